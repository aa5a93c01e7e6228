/**
 * Bounds how many deliveries a subscription hands to its handler at once. Tasks start in the order they
 * are offered; beyond the limit they wait in a queue. A task's failure is the handler's business (the
 * Listener settles its own messages): here it only frees the slot.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private queued: Array<() => Promise<void>> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, got ${limit}`);
  }

  /** Starts `task` now if a slot is free, otherwise once one frees up. */
  offer(task: () => Promise<void>): void {
    if (this.running.size < this.limit) this.start(task);
    else this.queued.push(task);
  }

  /** Resolves once a slot is free (for a pull loop that should not read further ahead than it can handle). */
  async vacancy(): Promise<void> {
    while (this.running.size + this.queued.length >= this.limit) await Promise.race(this.running);
  }

  /** Forgets the tasks not started yet and resolves once the running ones have finished. */
  async drain(): Promise<void> {
    this.queued = [];
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private start(task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(running);
        const next = this.queued.shift();
        if (next) this.start(next);
      });
    this.running.add(running);
  }
}
