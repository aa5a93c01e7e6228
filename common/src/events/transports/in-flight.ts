/**
 * Bounds how many deliveries a subscription hands to its handler at once. Tasks start in the order they
 * are offered; beyond the limit they wait in a queue. A task's failure is the handler's business (the
 * Listener settles its own messages): here it only frees the slot. A counter and plain callbacks, not
 * `Promise.race` over the running tasks: a race per message would pile a reaction onto every running task.
 */
export class InFlight {
  private running = 0;
  private queued: Array<() => Promise<void>> = [];
  private vacancyWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, got ${limit}`);
  }

  /** Starts `task` now if a slot is free, otherwise once one frees up. */
  offer(task: () => Promise<void>): void {
    if (this.running < this.limit) this.start(task);
    else this.queued.push(task);
  }

  /** Resolves once a slot is free (for a pull loop that should not read further ahead than it can handle). */
  vacancy(): Promise<void> {
    if (!this.isFull()) return Promise.resolve();
    return new Promise((resolve) => this.vacancyWaiters.push(resolve));
  }

  /** Forgets the tasks not started yet and resolves once the running ones have finished. */
  drain(): Promise<void> {
    this.queued = [];
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isFull(): boolean {
    return this.running + this.queued.length >= this.limit;
  }

  private start(task: () => Promise<void>): void {
    this.running++;
    const done = () => this.finish();
    task().then(done, done);
  }

  private finish(): void {
    this.running--;
    const next = this.queued.shift();
    if (next) this.start(next);
    if (!this.isFull()) for (const wake of this.vacancyWaiters.splice(0)) wake();
    if (this.running === 0 && this.queued.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
