import { EXPIRING_STATUSES } from '@ticketing/common/events';
import { writeIsolation } from '@ticketing/common/mongo';
import { Order, orders } from '../models/order';

/**
 * How many active orders (created or awaiting payment) each buyer has, for the cap on them. A placement in
 * progress counts as active from the moment it is let through (`placeFor`), so simultaneous requests cannot
 * all pass the count before any of them is written — without queueing one buyer's requests behind each other.
 * On FerretDB, which reads the whole collection for a count, this process is the only writer of orders
 * (`process` isolation): it learns every order's status from the order store, after one read of the active
 * orders at start, so the count is synchronous and the cap exact. On MongoDB the count is a query on the
 * `{userId}` index: a placement that commits while another's count is on its way can let that one pass, and
 * several replicas count apart — the cap is then soft by a few orders.
 */
export class ActiveOrders {
  private byBuyer?: Map<string, Set<string>>;
  private detach?: () => void;
  /** Placements let through and not finished yet, per buyer. */
  private readonly placing = new Map<string, number>();

  async start(): Promise<void> {
    if (writeIsolation() !== 'process') return;
    const byBuyer = new Map<string, Set<string>>();
    const seen = new Set<string>();
    const track = (userId: string, orderId: string, isActive: boolean) => {
      const active = byBuyer.get(userId) ?? new Set<string>();
      if (isActive) active.add(orderId);
      else active.delete(orderId);
      if (active.size > 0) byBuyer.set(userId, active);
      else byBuyer.delete(userId);
    };
    let isLoading = true;
    this.detach = orders.onCommitted((order) => {
      if (isLoading) seen.add(order.id);
      track(order.userId, order.id, EXPIRING_STATUSES.includes(order.status));
    });
    for (const order of await Order.find({ status: { $in: EXPIRING_STATUSES } }, { userId: 1 }).lean()) {
      const id = String(order._id);
      if (!seen.has(id)) track(order.userId, id, true); // a write during the read knows better
    }
    isLoading = false;
    seen.clear();
    this.byBuyer = byBuyer;
  }

  stop(): void {
    this.detach?.();
  }

  /**
   * Runs `place` with the buyer's active orders counted now, including placements still in progress; while
   * it runs, it counts as one more of those.
   */
  async placeFor<R>(userId: string, place: (active: number) => Promise<R>): Promise<R> {
    const committed = this.byBuyer
      ? (this.byBuyer.get(userId)?.size ?? 0)
      : await Order.countDocuments({ userId, status: { $in: EXPIRING_STATUSES } });
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
}
