import { type OrderEventData, OrderStatus } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/tools/testing/mongo';
import { newUser } from '@ticketing/tools/testing/session';
import { Types } from 'mongoose';
import { OrderCreatedListener } from '../src/events/listeners/order-created-listener';
import { OrderUpdatedListener } from '../src/events/listeners/order-updated-listener';
import { Ticket, type TicketDocument } from '../src/models/ticket';
import { createTicket } from '../src/services/tickets';

useTestDatabase();

// The listeners' logic runs against the real database; the transport is not used by onMessage.
const noTransport = {} as never;
const created = new OrderCreatedListener(noTransport);
const updated = new OrderUpdatedListener(noTransport);

function orderEvent(ticket: TicketDocument, version: number, status: OrderEventData['status'], id = orderId): OrderEventData {
  return {
    id,
    version,
    status,
    userId: buyer.id,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: ticket.id, price: ticket.price },
  };
}

const buyer = newUser('buyer');
let orderId: string;
let ticket: TicketDocument;
beforeEach(async () => {
  orderId = new Types.ObjectId().toHexString();
  ticket = await createTicket({ title: 'Concert', price: 20, userId: newUser('seller').id });
});

const stored = async () => {
  const t = await Ticket.findById(ticket.id);
  if (!t) throw new Error('ticket vanished');
  return t;
};

describe('order events applied to tickets', () => {
  it('When order:created arrives, then the ticket is reserved, its version bumped and ticket:updated pending', async () => {
    expect(await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created))).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(orderId);
    expect(t.version).toBe(1);
    expect(JSON.parse(t.pendingEvents.at(-1)?.payload ?? '{}')).toMatchObject({ id: ticket.id, version: 1, orderId });
  });

  it('When the same event arrives twice, then the second is stale and changes nothing', async () => {
    await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created));
    expect(await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created))).toBe('stale');

    const t = await stored();
    expect(t.version).toBe(1);
    expect(t.pendingEvents).toHaveLength(2);
  });

  it('When the cancellation arrives before the creation, then it waits (gap), and both apply in order once the creation came', async () => {
    expect(await updated.onMessage(orderEvent(ticket, 1, OrderStatus.Cancelled))).toBe('gap');
    expect((await stored()).version).toBe(0);

    expect(await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created))).toBe('applied');
    expect(await updated.onMessage(orderEvent(ticket, 1, OrderStatus.Cancelled))).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBeUndefined();
    expect(t.version).toBe(2);
    expect(t.pendingEvents.map((e) => JSON.parse(e.payload).orderId)).toEqual([undefined, orderId, undefined]);
  });

  it('When an order moves to a status that still holds the ticket, then the order version is recorded without a ticket change', async () => {
    await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created));
    expect(await updated.onMessage(orderEvent(ticket, 1, OrderStatus.AwaitingPayment))).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(orderId);
    expect(t.version).toBe(1);
    expect(t.orderVersions.get(orderId)).toBe(1);
  });

  it('When a cancelled order is followed by a new one, then the ticket moves to the new order', async () => {
    await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created));
    await updated.onMessage(orderEvent(ticket, 1, OrderStatus.Cancelled));
    const second = new Types.ObjectId().toHexString();
    expect(await created.onMessage(orderEvent(ticket, 0, OrderStatus.Created, second))).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(second);
    expect(t.version).toBe(3);
  });
});
