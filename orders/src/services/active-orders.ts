import { EXPIRING_STATUSES } from '@ticketing/common/events';
import { KeyedQueue } from '@ticketing/common/mongo';
import { Order } from '../models/order';

/**
 * The active orders (created or awaiting payment) each buyer holds, for the cap on them: counted by the
 * database on the `{userId, status}` index, so the count costs the same however many orders a buyer placed
 * before.
 *
 * One buyer's placements in this process take turns, so each count sees the commit of the one before
 * (counted and placed side by side, simultaneous requests could all pass the count before any of them is
 * written). Several replicas count apart: across them the cap is soft by a few orders.
 */
export class ActiveOrders {
  private readonly turns = new KeyedQueue();

  /** Runs `place` in the buyer's turn with the buyer's active orders counted now. */
  placeFor<R>(userId: string, place: (active: number) => Promise<R>): Promise<R> {
    return this.turns.run(userId, async () => place(await Order.countDocuments({ userId, status: { $in: EXPIRING_STATUSES } })));
  }
}
