import { EXPIRING_STATUSES } from '@ticketing/common/events';
import { KeyedQueue, writeIsolation } from '@ticketing/common/mongo';
import { Order, orders } from '../models/order';

/**
 * The active orders (created or awaiting payment): how many each buyer has, for the cap on them, and when
 * each expires, for the expiry sweeper.
 *
 * On FerretDB, which reads the whole collection for a count or a query on expiry, this process is the only
 * writer of orders (`process` isolation): it follows every order's status from the order store, after one
 * read of the active orders at start (`isTracking`), so counts are synchronous and the cap exact. On MongoDB
 * nothing is kept here: the count is a query on the `{userId}` index (a placement that commits while another's
 * count is on its way can let that one pass, and several replicas count apart — the cap is then soft by a
 * few orders), and the sweeper asks the database.
 *
 * A placement in progress counts as active from the moment it is let through (`placeFor`), so simultaneous
 * requests cannot all pass the count before any of them is written, without queueing one buyer's requests.
 */
export class ActiveOrders {
  /** Tracked active orders: buyer and expiry (only with `process` isolation, once started). */
  private tracked?: Map<string, { userId: string; expiresAt: number }>;
  private readonly byBuyer = new Map<string, Set<string>>();
  private detach?: () => void;
  /** Placements let through and not finished yet, per buyer (tracking). */
  private readonly placing = new Map<string, number>();
  /** One buyer's placements, one after another (without tracking). */
  private readonly turns = new KeyedQueue();

  get isTracking(): boolean {
    return this.tracked !== undefined;
  }

  async start(): Promise<void> {
    if (writeIsolation() !== 'process') return;
    const tracked = new Map<string, { userId: string; expiresAt: number }>();
    this.tracked = tracked;
    const written = new Set<string>();
    let isLoading = true;
    this.detach = orders.onCommitted((order) => {
      const id = order._id.toHexString();
      if (isLoading) written.add(id);
      this.track(id, EXPIRING_STATUSES.includes(order.status) ? { userId: order.userId, expiresAt: order.expiresAt.getTime() } : undefined);
    });
    await this.learn((id) => !written.has(id)); // a write during the read knows better
    isLoading = false;
  }

  stop(): void {
    this.detach?.();
  }

  /**
   * Reads the active orders from the database and tracks them (at start, and as the sweeper's periodic check
   * in case a write bypassed the store). `isNewer(id)` false keeps what the store said since.
   */
  async learn(isNewer: (id: string) => boolean = () => true): Promise<void> {
    if (!this.tracked) return;
    for (const order of await Order.find({ status: { $in: EXPIRING_STATUSES } }, { userId: 1, expiresAt: 1 }).lean()) {
      const id = String(order._id);
      if (isNewer(id)) this.track(id, { userId: order.userId, expiresAt: order.expiresAt.getTime() });
    }
  }

  /** Tracked orders whose expiry is at or before `now`. */
  dueBy(now: number): string[] {
    return [...(this.tracked ?? [])].filter(([, order]) => order.expiresAt <= now).map(([id]) => id);
  }

  /** Stops tracking an order found no longer active. */
  forget(id: string): void {
    this.track(id, undefined);
  }

  /**
   * Runs `place` with the buyer's active orders counted now, including placements still in progress; while
   * it runs, it counts as one more of those.
   */
  async placeFor<R>(userId: string, place: (active: number) => Promise<R>): Promise<R> {
    if (!this.tracked) return this.placeCounted(userId, place);
    const committed = this.byBuyer.get(userId)?.size ?? 0;
    const inProgress = this.placing.get(userId) ?? 0;
    this.placing.set(userId, inProgress + 1);
    try {
      return await place(committed + inProgress);
    } finally {
      const left = (this.placing.get(userId) ?? 1) - 1;
      if (left > 0) this.placing.set(userId, left);
      else this.placing.delete(userId);
    }
  }

  /**
   * Without tracking, the count is a read of the database: one buyer's placements in this process take turns,
   * so each count sees the commit of the one before (counted and placed together, the count could miss a
   * placement that committed while it was being read).
   */
  private placeCounted<R>(userId: string, place: (active: number) => Promise<R>): Promise<R> {
    return this.turns.run(userId, async () => place(await Order.countDocuments({ userId, status: { $in: EXPIRING_STATUSES } })));
  }

  /** `active` undefined: the order is no longer active. */
  private track(id: string, active: { userId: string; expiresAt: number } | undefined): void {
    const previous = this.tracked?.get(id);
    if (previous) this.byBuyer.get(previous.userId)?.delete(id);
    if (previous && this.byBuyer.get(previous.userId)?.size === 0) this.byBuyer.delete(previous.userId);
    if (!active) {
      this.tracked?.delete(id);
      return;
    }
    this.tracked?.set(id, active);
    const ids = this.byBuyer.get(active.userId) ?? new Set<string>();
    ids.add(id);
    this.byBuyer.set(active.userId, ids);
  }
}
