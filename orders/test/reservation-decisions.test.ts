import { RejectionReason, type ReservationEventData } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser, sessionCookie } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import request from 'supertest';
import { ReservationDecidedListener } from '../src/events/listeners/reservation-decided-listener';
import { Order, type OrderDocument } from '../src/models/order';
import { cancelOrder, createOrder } from '../src/services/orders';
import { app, replicaTicket } from './helpers';

useTestDatabase();

// The listener's logic runs against the real database; the transport is not used by onMessage.
const listener = new ReservationDecidedListener({} as never);
const buyer = newUser('buyer');

/** The ticket's id, whether the order shows its ticket (as `createOrder` returns it) or only the id. */
const ticketIdOf = (order: OrderDocument) => String((order.ticket as unknown as { _id?: unknown })._id ?? order.ticket);
const accepted = (order: OrderDocument): ReservationEventData => ({
  id: order.id,
  version: 0,
  ticket: { id: ticketIdOf(order), version: order.ticketVersion + 1 },
  outcome: 'accepted',
});
const rejected = (order: OrderDocument, reason: RejectionReason): ReservationEventData => ({
  id: order.id,
  version: 0,
  ticket: { id: ticketIdOf(order), version: order.ticketVersion },
  outcome: 'rejected',
  reason,
});
const stored = async (order: OrderDocument) => {
  const found = await Order.findById(order.id);
  if (!found) throw new Error('order vanished');
  return found;
};

describe('reservation decisions applied to orders', () => {
  it('When tickets accepts the reservation, then the order moves to awaiting:payment and announces it', async () => {
    const order = await createOrder(buyer.id, (await replicaTicket()).id, 60);

    expect(await listener.onMessage(accepted(order))).toBe('applied');

    const o = await stored(order);
    expect(o.status).toBe('awaiting:payment');
    expect(o.version).toBe(1);
    expect(JSON.parse(o.pendingEvents.at(-1)?.payload ?? '{}')).toMatchObject({ id: order.id, version: 1, status: 'awaiting:payment' });
  });

  it('When tickets rejects it, then the order is cancelled with the reason, shown by GET, and the ticket can be ordered again', async () => {
    const ticket = await replicaTicket();
    const order = await createOrder(buyer.id, ticket.id, 60);

    expect(await listener.onMessage(rejected(order, RejectionReason.TicketChanged))).toBe('applied');

    const o = await stored(order);
    expect(o.status).toBe('cancelled');
    expect(o.reason).toBe('ticket changed');
    expect(JSON.parse(o.pendingEvents.at(-1)?.payload ?? '{}')).toMatchObject({ status: 'cancelled', reason: 'ticket changed' });
    const shown = await request(app).get(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(200);
    expect(shown.body).toMatchObject({ id: order.id, status: 'cancelled', reason: 'ticket changed' });
    await expect(createOrder(newUser().id, ticket.id, 60)).resolves.toBeDefined();
  });

  it('When a decision arrives twice, or after the buyer cancelled, then it is stale and changes nothing', async () => {
    const order = await createOrder(buyer.id, (await replicaTicket()).id, 60);
    await listener.onMessage(accepted(order));
    expect(await listener.onMessage(accepted(order))).toBe('stale');
    expect(await listener.onMessage(rejected(order, RejectionReason.TicketReserved))).toBe('stale');
    expect((await stored(order)).status).toBe('awaiting:payment');

    const cancelledFirst = await createOrder(buyer.id, (await replicaTicket()).id, 60);
    await cancelOrder(cancelledFirst.id, buyer.id);
    expect(await listener.onMessage(accepted(cancelledFirst))).toBe('stale');
    expect(await stored(cancelledFirst)).toMatchObject({ status: 'cancelled', reason: 'cancelled by buyer', version: 1 });
  });

  it('When a decision names an order this service does not have, then the handler fails (retried, then dead-lettered)', async () => {
    const ghost = { id: new Types.ObjectId().toHexString(), ticket: new Types.ObjectId(), ticketVersion: 0 } as unknown as OrderDocument;
    await expect(listener.onMessage(accepted(ghost))).rejects.toThrow(/unknown order/);
  });
});
