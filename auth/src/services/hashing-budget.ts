import type { Response } from 'express';
import { tooMany } from './rate-limiter';

/** Which queue a password check waits in: clients that signed in to the account before go first. */
export type HashingLane = 'remembered' | 'anonymous';

export interface HashingBudgetSettings {
  /** Password hashes computed at once, over all clients (`HASHES_IN_FLIGHT`). */
  inFlight: number;
  /** Password checks allowed to wait for a slot, per lane; more are refused with 429 (`HASHES_QUEUED`). */
  queued: number;
}

/**
 * The CPU that password hashing may take, over all clients. scrypt is the one expensive thing auth does
 * (about 50 ms of a core each) and per-IP limits cannot bound it: a flood from many addresses (a botnet,
 * or 32 loopback addresses in the bench) fills libuv's thread pool with hashes, and each real user then
 * waits behind all of them (p50 1.1 s at 32 addresses). So at most `inFlight` hashes run at once, at most
 * `queued` checks wait per lane, and the rest get 429 with `Retry-After` before any database lookup or
 * hashing: an admitted check waits for a bounded number of hashes, a refused one costs a few microseconds.
 * A freed slot goes to the `remembered` lane first (a client with a device cookie for the account, see
 * `DeviceCookies`), so a flood of anonymous guesses can delay the account's owner by at most one hash.
 *
 * Twenty lines instead of a queue library: p-queue would give the priorities but is ESM-only, and the
 * bound on the queue, which is the point here, would still be ours to write around it.
 */
export class HashingBudget {
  private running = 0;
  private readonly waiting: Record<HashingLane, Array<() => void>> = { remembered: [], anonymous: [] };

  constructor(private readonly settings: HashingBudgetSettings) {}

  /** Runs `check` (the lookup and the hash) in a slot; throws 429, with `Retry-After` on `res`, when `lane` is full. */
  async run<T>(lane: HashingLane, res: Response, check: () => Promise<T>): Promise<T> {
    if (this.running < this.settings.inFlight) this.running++;
    else {
      const queue = this.waiting[lane];
      if (queue.length >= this.settings.queued) throw tooMany(res, 1_000, 'Too many sign-ins at once; try again in a moment');
      // `release` hands its slot straight to the first waiter, so `running` already counts this check.
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    try {
      return await check();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.remembered.shift() ?? this.waiting.anonymous.shift();
    if (next) next();
    else this.running--;
  }
}
