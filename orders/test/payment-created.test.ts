import { type PaymentEventData, RejectionReason } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import { PaymentCreatedListener } from '../src/events/listeners/payment-created-listener';
import { Order } from '../src/models/order';
import { applyReservationDecision, cancelOrder, createOrder, expireDueOrders } from '../src/services/orders';
import { replicaTicket } from './helpers';

useTestDatabase();

// The listener's logic runs against the real database; the transport is not used by onMessage.
const listener = new PaymentCreatedListener({} as never);
const buyer = newUser('buyer');

const paymentOf = (orderId: string): PaymentEventData => ({ id: orderId, version: 0, orderId, stripeId: 'pi_test_1' });

/** An order tickets has accepted (awaiting payment). */
async function confirmedOrder(expirationSeconds = 60) {
  const ticket = await replicaTicket();
  const order = await createOrder(buyer.id, ticket.id, expirationSeconds);
  await applyReservationDecision({ id: order.id, version: 0, ticket: { id: ticket.id, version: 1 }, outcome: 'accepted' });
  return order.id;
}

describe('payment:created applied to orders', () => {
  it('When an order awaiting payment is paid, then it becomes complete and announces it, once', async () => {
    const id = await confirmedOrder();

    expect(await listener.onMessage(paymentOf(id))).toBe('applied');
    expect(await listener.onMessage(paymentOf(id))).toBe('stale');

    const order = await Order.findById(id);
    expect(order).toMatchObject({ status: 'complete', version: 2 });
    expect(JSON.parse(order?.pendingEvents.at(-1)?.payload ?? '{}')).toMatchObject({ version: 2, status: 'complete' });
  });

  it('When the payment arrives after the order was cancelled or expired, then the order stays cancelled (payments refunds it)', async () => {
    const cancelled = await confirmedOrder();
    await cancelOrder(cancelled, buyer.id);
    const expired = await confirmedOrder(1);
    await expireDueOrders(new Date(Date.now() + 5_000));

    for (const id of [cancelled, expired]) {
      expect(await listener.onMessage(paymentOf(id))).toBe('stale');
      expect((await Order.findById(id))?.status).toBe('cancelled');
    }
  });

  it('When an order is complete, then expiry never cancels it', async () => {
    const id = await confirmedOrder(1);
    await listener.onMessage(paymentOf(id));

    expect(await expireDueOrders(new Date(Date.now() + 5_000))).toBe(0);
    expect((await Order.findById(id))?.status).toBe('complete');
  });

  it('When a rejected order is paid (it never could be: payments refuses), then nothing changes', async () => {
    const ticket = await replicaTicket();
    const order = await createOrder(buyer.id, ticket.id, 60);
    await applyReservationDecision({
      id: order.id,
      version: 0,
      ticket: { id: ticket.id, version: 0 },
      outcome: 'rejected',
      reason: RejectionReason.TicketChanged,
    });
    expect(await listener.onMessage(paymentOf(order.id))).toBe('stale');
    await expect(listener.onMessage(paymentOf(new Types.ObjectId().toHexString()))).rejects.toThrow(/unknown order/);
  });
});
