/**
 * The read → decide → conditional write loop. A step reads a document, decides, and writes on the condition
 * that the document is still as it read it (`updateIfMatches`). When another writer got there first, the
 * step returns `CONFLICT` and is run again on a fresh read; anything else it returns, or throws, ends the
 * loop. A document that keeps changing under every attempt is a hot spot the caller reports as it sees fit:
 * a listener throws (the event is redelivered), a route answers 409.
 */

/** What a step returns when its conditional write found the document changed since its read. */
export const CONFLICT: unique symbol = Symbol('conflict');

/** Attempts before `whileConflicting` gives up: a few, since each one lost to a write that happened meanwhile. */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Runs `step` until it returns something other than `CONFLICT`, at most `CONFLICT_ATTEMPTS` times; then
 * throws what `exhausted()` returns.
 */
export async function whileConflicting<T>(step: () => Promise<T | typeof CONFLICT>, exhausted: () => Error): Promise<T> {
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt++) {
    const result = await step();
    if (result !== CONFLICT) return result;
  }
  throw exhausted();
}
