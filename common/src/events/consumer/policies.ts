/** A listener's consumer policies, each declared as an option with a default. */
import type { Ordering } from './ordering';
import { perAggregate } from './ordering';
import { DEFAULT_RETRY, type RetryPolicy } from './retry';

export interface ListenerPolicies<D> {
  /** What happens after the handler: ack, back off and retry, or dead-letter (default `DEFAULT_RETRY`). */
  readonly retry: RetryPolicy;
  /** Which events wait for which (default `perAggregate()`: one aggregate's events one at a time). */
  readonly ordering: Ordering<D>;
  /** Deliveries handled at once, whatever their order allows (default 32). */
  readonly concurrency: number;
  /**
   * How long a delivery may stay unsettled before the server delivers it again (default 10 s); also the
   * handler's deadline, after which the listener gives the delivery up as failed.
   */
  readonly ackWaitMs: number;
}

/** The declared policies over the defaults (a new default ordering per call: its queue is the listener's). */
export function resolvePolicies<D extends { id: string }>(declared: Partial<ListenerPolicies<D>>): ListenerPolicies<D> {
  return {
    retry: declared.retry ?? DEFAULT_RETRY,
    ordering: declared.ordering ?? perAggregate<D>(),
    concurrency: declared.concurrency ?? 32,
    ackWaitMs: declared.ackWaitMs ?? 10_000,
  };
}
