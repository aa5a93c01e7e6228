/** The bench's report as data: what `--json` writes and the markdown renders. */
import type { ConvergenceSeries, OutOfOrderRun, SettleRun } from './event-figures';
import type { HttpRow, HttpRun } from './http-figures';
import type { FloodSource, SigninFloodRun } from './signin-flood';
export interface Machine {
  cpus: number;
  model: string;
  node: string;
  os: string;
  memoryGb: number;
}

export interface SystemInfo {
  label: string;
  commit: string;
}

export interface HttpCell {
  reqPerSec?: number;
  p50?: number;
  p99?: number;
  /** Summed over the rounds. */
  non2xx: number;
  errors: number;
  rounds: number;
  skipped?: string;
  notes: string[];
}

export interface HttpFigure {
  label: string;
  row: HttpRow;
  current?: HttpCell;
  baseline?: HttpCell;
  /** current / baseline req/s. */
  ratio?: number;
}

export interface ConvergenceCell {
  p50?: number;
  p99?: number;
  max?: number;
  /** Achieved request rate (median). */
  reqPerSec?: number;
  unconverged: number;
  non2xx: number;
  /** In how many of the rounds that tried this rate it was sustained. */
  sustained: string;
}

export interface ConvergenceFigure {
  rate: number;
  current?: ConvergenceCell;
  baseline?: ConvergenceCell;
}

export interface SettleCell {
  orders: number;
  settleMs?: number;
  ticketsMs?: number;
  replicaMs?: number;
  unsettled: number;
  non2xx: number;
}

export interface OutOfOrderCell {
  afterGapMs?: number;
  afterGapMaxMs?: number;
  afterV2Ms?: number;
  failed: number;
}

/** The real user's sign-ins over one phase of the flood figure (medians over the rounds; counts summed). */
export interface SigninLatencyCell {
  /** Sign-ins answered 200. */
  signins: number;
  /** Sign-ins answered otherwise or not at all. */
  failed: number;
  /** ms, of the 200 answers. */
  p50?: number;
  p99?: number;
  /** Highest over the rounds. */
  max?: number;
}

/** One flood and the real user during it. */
export interface FloodPhaseCell {
  /** The real user on its known device. */
  user: SigninLatencyCell;
  /** The real user on a new device. */
  newDevice: SigninLatencyCell;
  /** The flood's requests (summed over the rounds), by HTTP status: 429 refused before hashing, 400 hashed. */
  attack: { requests: number; reqPerSec?: number; statusCounts: Record<string, number>; errors: number };
}

export interface SigninFloodCell {
  /** The real user alone. */
  idle: SigninLatencyCell;
  /** The flood from one address, and from one address per connection. */
  floods: Record<FloodSource, FloodPhaseCell>;
  rounds: number;
  notes: string[];
}

export interface SigninFloodFigure {
  connections: number;
  /** Seconds of the flood, and of the idle phase before it. */
  seconds: number;
  /** What was measured and how (auth's limits in the flood's process, the attacker's requests). */
  note: string;
  current?: SigninFloodCell;
  baseline?: SigninFloodCell;
}

export interface PubSubFigures {
  events: number;
  publish: { raw?: number; current?: number; baseline?: number };
  consume: { raw?: number; current?: number; baseline?: number };
}

export interface ResourceRow {
  label: string;
  /** CPU seconds per 1,000 requests, per process (medians over rounds). */
  current?: Record<string, number | undefined>;
  baseline?: Record<string, number | undefined>;
}

export interface RssRow {
  size: string;
  process: string;
  /** Highest RSS seen after any run at this size, MB. */
  current?: number;
  baseline?: number;
}

export interface PerTarget<T> {
  current: T;
  baseline?: T;
}

export interface RawResults {
  httpRuns: HttpRun[];
  convergence: PerTarget<ConvergenceSeries[]>;
  settle: PerTarget<SettleRun[]>;
  outOfOrder: PerTarget<OutOfOrderRun[]>;
  signinFlood: PerTarget<SigninFloodRun[]>;
  pubsub: {
    raw: { publish: number[]; consume: number[] };
    current: { publish: number[]; consume: number[] };
    baseline?: { publish: number[]; consume: number[] };
  };
}

export interface BenchReport {
  generatedAt: string;
  mode: 'quick' | 'full';
  wallSeconds: number;
  machine: Machine;
  stack: string;
  current: SystemInfo;
  baseline?: SystemInfo;
  settings: Record<string, string | number | boolean>;
  /** The parts measured (`--only`); the others are left out of the markdown and the targets. */
  parts: string[];
  http: HttpFigure[];
  convergence: { rates: ConvergenceFigure[]; maxSustainedRate: { current?: number; baseline?: number } };
  settle: { current?: SettleCell; baseline?: SettleCell };
  outOfOrder: { current?: OutOfOrderCell; baseline?: OutOfOrderCell };
  /** Sign-in under a 32-connection flood (issue 13). */
  signinFlood: SigninFloodFigure;
  pubsub: PubSubFigures;
  resources: { processes: string[]; cpuPer1k: ResourceRow[]; rss: RssRow[] };
  warnings: string[];
  errors: string[];
  /** Every process the bench started and stopped (servers, services, load generator). */
  processes: Array<{ name: string; pid: number }>;
  raw: RawResults;
}

export const PROCESSES = ['auth', 'tickets', 'orders', 'gateway', 'database', 'nats'] as const;
