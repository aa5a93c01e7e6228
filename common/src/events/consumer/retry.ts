/**
 * The retry policy: what happens to a delivery after its handler ran. A transient failure comes back after a
 * back-off, a permanent one goes to the dead letters at once, and nothing is retried forever.
 */
import { UnprocessableEventError } from '../unprocessable';
import type { ApplyResult } from '../versioning';

/** What the consumer does with a delivery once its handler has finished with it. */
export type Settlement =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number }
  | { readonly action: 'dead-letter'; readonly reason: string };

export interface RetryPolicy {
  /**
   * Deliveries of one message at most, the first included. On the last one, a message whose handler still
   * fails, or which still waits for its predecessor, is dead-lettered.
   */
  readonly maxDeliveries: number;
  /** Delay before a message whose handler failed (a transient error) is delivered again. */
  readonly failureDelayMs: (deliveryCount: number) => number;
  /** Delay before an event that arrived before its predecessor (`gap`) is offered again. */
  readonly gapDelayMs: (deliveryCount: number) => number;
  /** Errors that no retry can fix: the message is dead-lettered at once, the error its reason. */
  readonly isPermanent: (err: unknown) => boolean;
}

/** After a failure: 200 ms, 400 ms, … capped at 5 s. */
export function failureDelayMs(deliveryCount: number): number {
  return Math.min(200 * 2 ** Math.max(0, deliveryCount - 1), 5_000);
}

/** After a version gap: 50 ms, 100 ms, … capped at 1 s (the predecessor is usually a moment behind). */
export function gapDelayMs(deliveryCount: number): number {
  return Math.min(50 * 2 ** Math.max(0, deliveryCount - 1), 1_000);
}

/**
 * The defaults. With 100 deliveries a version gap waits about 95 s for its predecessor (offered again every
 * second after the first few) and a failing handler is retried for about 8 minutes (every 5 s), before the
 * message is dead-lettered. A gap waits that long because its predecessor may come through another consumer
 * (`order:created` and `order:updated` are two), which can lag by a NATS server's failover: clients give up
 * on a silent server after 9–12 s, then the consumer elects a leader. A gap dead-lettered too soon is an
 * event lost. Permanent: `UnprocessableEventError` (the event names something that cannot exist).
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxDeliveries: 100,
  failureDelayMs,
  gapDelayMs,
  isPermanent: (err) => err instanceof UnprocessableEventError,
};

/** The default retry policy with some of its parts replaced. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY, ...overrides };
}

/**
 * What to do after the handler returned `result` on delivery `deliveryCount`; undefined when it returned
 * nothing (it settled the message itself).
 */
export function afterResult(policy: RetryPolicy, result: ApplyResult | undefined, deliveryCount: number): Settlement | undefined {
  if (result === 'applied' || result === 'stale') return { action: 'ack' };
  if (result !== 'gap') return undefined;
  if (deliveryCount >= policy.maxDeliveries) {
    return { action: 'dead-letter', reason: `version gap never filled after ${deliveryCount} deliveries` };
  }
  return { action: 'retry', delayMs: policy.gapDelayMs(deliveryCount) };
}

/** What to do after the handler threw `err` on delivery `deliveryCount`. */
export function afterError(policy: RetryPolicy, err: unknown, deliveryCount: number): Settlement {
  if (policy.isPermanent(err)) return { action: 'dead-letter', reason: `unprocessable: ${errorText(err)}` };
  if (deliveryCount >= policy.maxDeliveries) {
    return { action: 'dead-letter', reason: `handler failed on delivery ${deliveryCount}: ${errorText(err)}` };
  }
  return { action: 'retry', delayMs: policy.failureDelayMs(deliveryCount) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
