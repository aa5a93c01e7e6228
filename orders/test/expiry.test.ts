import { createLogger } from '@ticketing/common/http';
import { waitFor } from '@ticketing/stack/wait-for';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser } from '@ticketing/testkit/session';
import { Order } from '../src/models/order';
import { ExpirySweeper } from '../src/services/expiry-sweeper';
import { cancelOrder, createOrder, expireDueOrders } from '../src/services/orders';
import { replicaTicket } from './helpers';

useTestDatabase();

const buyer = newUser('buyer');
const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

describe('order expiry', () => {
  it('When an order is past its expiry, then a sweep cancels it, announces it and frees the ticket', async () => {
    const ticket = await replicaTicket();
    const order = await createOrder(buyer.id, ticket.id, 60);

    expect(await expireDueOrders(later(30))).toBe(0);
    expect(await expireDueOrders(later(61))).toBe(1);

    const stored = await Order.findById(order.id);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.version).toBe(1);
    expect(JSON.parse(stored?.pendingEvents.at(-1)?.payload ?? '{}')).toMatchObject({ version: 1, status: 'cancelled', reason: 'expired' });
    await expect(createOrder(newUser().id, ticket.id, 60)).resolves.toBeDefined();
  });

  it('When several sweeps run at once (several replicas), then each order is cancelled exactly once', async () => {
    const tickets = await Promise.all(Array.from({ length: 5 }, () => replicaTicket()));
    for (const t of tickets) await createOrder(buyer.id, t.id, 1);

    const counts = await Promise.all([expireDueOrders(later(5)), expireDueOrders(later(5)), expireDueOrders(later(5))]);

    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    const orders = await Order.find();
    expect(orders.map((o) => [o.status, o.version, o.pendingEvents.length])).toEqual(Array(5).fill(['cancelled', 1, 2]));
  });

  it('When an order is complete, then expiry leaves it alone', async () => {
    const ticket = await replicaTicket();
    const order = await createOrder(buyer.id, ticket.id, 1);
    await Order.updateOne({ _id: order._id }, { $set: { status: 'complete' } });

    expect(await expireDueOrders(later(5))).toBe(0);
    expect((await Order.findById(order.id))?.status).toBe('complete');
  });

  it('When the sweeper runs, then it cancels an order placed after it started once its expiry passes, and leaves a cancelled one alone', async () => {
    const sweeper = new ExpirySweeper({ intervalMs: 50, logger: createLogger('expiry-test', 'silent') });
    sweeper.start();
    try {
      const [first, second] = await Promise.all([replicaTicket(), replicaTicket()]);
      const expiring = await createOrder(buyer.id, first.id, 1);
      const cancelled = await createOrder(buyer.id, second.id, 1);
      await cancelOrder(cancelled.id, buyer.id);

      await waitFor(async () => (await Order.findById(expiring.id))?.status === 'cancelled', { description: 'the order expired' });
      expect((await Order.findById(expiring.id))?.version).toBe(1);
      expect((await Order.findById(cancelled.id))?.version).toBe(1);
    } finally {
      await sweeper.stop();
    }
  });
});
