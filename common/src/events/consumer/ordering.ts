/**
 * The ordering policy: which of the events a consumer holds at once must wait for one another. The transport
 * hands deliveries over in arrival order; an ordering keeps that order where it matters and lets the rest run
 * concurrently (up to the consumer's concurrency).
 */
import { KeyedQueue } from '../../support/keyed-queue';

export interface Ordering<D> {
  /** Runs `task`, the handling of `data`, when the events it must follow have been handled. */
  run<R>(data: D, task: () => Promise<R>): Promise<R>;
}

/**
 * Events with the same key one at a time, in arrival order; different keys concurrently. Key by what the
 * handler writes: a listener whose events all change another document keys by that document (a coarser key
 * keeps every aggregate's order and saves the writes that would otherwise race for the document).
 */
export function orderedBy<D>(keyOf: (data: D) => string): Ordering<D> {
  const queue = new KeyedQueue();
  return { run: (data, task) => queue.run(keyOf(data), task) };
}

/** One aggregate's events (same `id`) one at a time: the default. */
export function perAggregate<D extends { id: string }>(): Ordering<D> {
  return orderedBy((data) => data.id);
}

/** No order between events: for handlers whose effect does not depend on it. */
export function unordered<D>(): Ordering<D> {
  return { run: (_data, task) => task() };
}
