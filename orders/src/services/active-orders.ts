import { EXPIRING_STATUSES, KeyedQueue } from '@ticketing/common/events';
import { writeIsolation } from '@ticketing/common/mongo';
import { Order, orders } from '../models/order';

/**
 * How many active orders (created or awaiting payment) each buyer has, for the cap on them, and a queue that
 * places one buyer's orders one at a time, so simultaneous requests cannot all pass the count before any of
 * them is written. On MongoDB the count is a query on the `{userId}` index (several replicas each queue their
 * own requests: a burst can pass the cap by at most the number of replicas minus one). On FerretDB, which
 * reads the whole collection for such a query, this process is the only writer of orders (`process`
 * isolation): it learns every order's status from the order store, after one read of the active orders at
 * start, and the cap is exact.
 */
export class ActiveOrders {
  private byBuyer?: Map<string, Set<string>>;
  private detach?: () => void;
  private readonly perBuyer = new KeyedQueue();

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

  /** Runs `place` once the buyer's earlier placements have finished, with their active orders counted now. */
  placeFor<R>(userId: string, place: (active: number) => Promise<R>): Promise<R> {
    return this.perBuyer.run(userId, async () => place(await this.count(userId)));
  }

  private async count(userId: string): Promise<number> {
    if (this.byBuyer) return this.byBuyer.get(userId)?.size ?? 0;
    return Order.countDocuments({ userId, status: { $in: EXPIRING_STATUSES } });
  }
}
