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
 * hashing: an admitted check waits for a bounded number of hashes, a refused one costs next to nothing.
 *
 * The `remembered` lane (a client with a device cookie for the account, see `DeviceCookies`) is served
 * first, and anonymous checks leave it one slot of their own (they use at most `inFlight - 1`, when there
 * are two or more): so a flood of anonymous guesses never makes the account's owner wait for its hashes,
 * and takes at most all cores but one. With `inFlight` 1 the slot is shared and the owner waits for one
 * hash at most.
 *
 * A few lines instead of a queue library: p-queue would give the priorities but is ESM-only, and the
 * bound on the queue and the reserved slot, which are the point here, would still be ours to write.
 */
export class HashingBudget {
  private running = 0;
  private readonly waiting: Record<HashingLane, Array<() => void>> = { remembered: [], anonymous: [] };

  constructor(private readonly settings: HashingBudgetSettings) {}

  /** Runs `check` (the lookup and the hash) in a slot; throws 429, with `Retry-After` on `res`, when `lane` is full. */
  async run<T>(lane: HashingLane, res: Response, check: () => Promise<T>): Promise<T> {
    if (this.waiting[lane].length === 0 && this.running < this.slots(lane)) this.running++;
    else {
      const queue = this.waiting[lane];
      if (queue.length >= this.settings.queued) throw tooMany(res, 1_000, 'Too many sign-ins at once; try again in a moment');
      // `admitWaiting` counts this check in `running` before it resolves.
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    try {
      return await check();
    } finally {
      this.running--;
      this.admitWaiting();
    }
  }

  private slots(lane: HashingLane): number {
    return lane === 'remembered' ? this.settings.inFlight : Math.max(1, this.settings.inFlight - 1);
  }

  private admitWaiting(): void {
    for (const lane of ['remembered', 'anonymous'] as const) {
      while (this.waiting[lane].length > 0 && this.running < this.slots(lane)) {
        this.running++;
        this.waiting[lane].shift()?.();
      }
    }
  }
}
