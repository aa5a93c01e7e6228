import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the recorder forwarded to Stripe, whole: method, path, idempotency key and form body. */
export interface StripeRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  body: string;
}

export interface StripeRecorderOptions {
  /** Where each request is appended as one JSON line (for other processes to read); otherwise kept in memory only. */
  logFile?: string;
  /**
   * Called with Stripe's answer before it is passed on; return true to swallow it (the caller sees its
   * connection dropped). The crash test uses it to kill payments between Stripe's confirmation and its answer.
   */
  onAnswer?: (request: StripeRequest) => boolean | Promise<boolean>;
}

/**
 * A recording proxy in front of stripe-mock, which keeps no state of its own. Each request is recorded as
 * one object once its body has arrived and before it is forwarded, so when payments has Stripe's answer the
 * record is already there, and records of concurrent requests cannot interleave (stripe-mock's verbose log
 * writes a request's line and its parameters' line separately, and concurrent requests mixed them up).
 */
export class StripeRecorder {
  readonly requests: StripeRequest[] = [];
  private server?: http.Server;

  constructor(private readonly options: StripeRecorderOptions = {}) {}

  /** Listens on a loopback port in front of `upstream` and resolves with the API base to give payments. */
  async start(upstream: string): Promise<string> {
    const target = new URL(upstream);
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = req.headers['idempotency-key'];
        const request: StripeRequest = {
          method: req.method ?? '',
          path: req.url ?? '/',
          idempotencyKey: typeof header === 'string' ? header : undefined,
          body: body.toString(),
        };
        this.requests.push(request);
        if (this.options.logFile) appendFileSync(this.options.logFile, `${JSON.stringify(request)}\n`);
        const forward = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: request.path, headers: req.headers },
          async (answer) => {
            if (await this.options.onAnswer?.(request)) {
              answer.resume();
              res.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', () => res.destroy());
        forward.end(body);
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** How many PaymentIntents were asked for `orderId` (payments puts it in the intent's metadata). */
export function intentsIn(requests: readonly StripeRequest[], orderId: string): number {
  return requests.filter(
    (r) => r.method === 'POST' && r.path === '/v1/payment_intents' && new URLSearchParams(r.body).get('metadata[orderId]') === orderId,
  ).length;
}

/**
 * The PaymentIntents the test run's Stripe (stripe-mock behind the run's recorder, see the jest global setup)
 * was asked to create for `orderId`, by any process of the run.
 */
export function intentsCreatedFor(orderId: string, logFile = process.env.STACK_STRIPE_REQUESTS): number {
  if (!logFile) throw new Error('STACK_STRIPE_REQUESTS is not set: run the tests through jest');
  const requests = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StripeRequest);
  return intentsIn(requests, orderId);
}
