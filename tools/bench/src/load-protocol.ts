/** Messages between the bench and its load-generating child process (autocannon runs there). */

/** How each request differs from the previous one. */
export type Variation =
  /** GET /api/tickets/:id over these ids, in turn. */
  | { kind: 'ticketPath'; ids: string[] }
  /** POST /api/orders, one distinct ticket id per request; the run stops before the ids run out. */
  | { kind: 'orderBody'; ids: string[] }
  /** POST /api/users/signup with a new email per request. */
  | { kind: 'signupBody'; prefix: string; password: string }
  /**
   * POST /api/users/signin with an email no account has, a new one per request: each request is checked
   * against auth's decoy hash (a full scrypt), and no email fails often enough to be locked.
   */
  | { kind: 'unknownSigninBody'; prefix: string; password: string };

export interface LoadSpec {
  /** Origin and path, e.g. `http://127.0.0.1:4100/api/tickets`. */
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Run length in seconds (ignored when `amount` is set). */
  durationSec: number;
  /** Stop after this many requests. */
  amount?: number;
  /** Requests per second over all connections; spread over `slices` staggered instances (see load-runner). */
  overallRate?: number;
  timeoutSec: number;
  vary?: Variation;
  /**
   * Connection i sends from `localAddresses[i % length]` (e.g. 127.0.0.2 … 127.0.0.33: that many client IPs
   * to a server on loopback). autocannon cannot bind, so such a run uses bound-load.ts (email bodies only).
   */
  localAddresses?: string[];
  /** Report each 201's `id` (with the time of the response) as it arrives. */
  reportCreated?: boolean;
}

export interface LoadResult {
  /** Completed responses. */
  requests: number;
  durationSec: number;
  reqPerSec: number;
  /** Latency in ms, from autocannon's histogram. */
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  /** Wall-clock ms (see `nowMs`) of the first request and of the last response. */
  startedAt: number;
  lastResponseAt: number;
  /** The run stopped early because its distinct ids ran out. */
  exhausted: boolean;
  /** How many of `vary.ids` were handed out (a follow-up run must start after them). */
  usedIds: number;
}

export type ToRunner = { type: 'run'; runId: number; spec: LoadSpec } | { type: 'exit' };

export type FromRunner =
  | { type: 'ready' }
  | { type: 'created'; runId: number; id: string; at: number }
  | { type: 'done'; runId: number; result: LoadResult }
  | { type: 'failed'; runId: number; message: string };
