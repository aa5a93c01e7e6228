import { type OrderEventData, OrderStatus, RejectionReason } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser } from '@ticketing/testkit/session';
import { mongo, Types } from 'mongoose';
import type { TicketView } from '../src/api';
import { OrderCreatedListener, OrderUpdatedListener } from '../src/events/listeners/order-listeners';
import { Ticket } from '../src/models/ticket';
import { createTicket, updateTicket } from '../src/services/tickets';

useTestDatabase();

// The listeners' logic runs against the real database; the transport is not used by onMessage.
const noTransport = {} as never;
const created = new OrderCreatedListener(noTransport);
const updated = new OrderUpdatedListener(noTransport);

const buyer = newUser('buyer');
const seller = newUser('seller');
let ticket: TicketView;
/** How many orders were placed for `ticket` so far, as orders counts them. */
let placements = 0;
beforeEach(async () => {
  ticket = await createTicket({ title: 'Concert', price: 20, userId: seller.id });
  placements = 0;
});

interface OrderSpec {
  id?: string;
  version?: number;
  status?: OrderEventData['status'];
  /** The ticket version the order was placed against (default: the ticket's version at creation, 0). */
  ticketVersion?: number;
  /** Its place in the ticket's line of orders (default: the next, as orders numbers a new order). */
  placement?: number;
  userId?: string;
}

/** One order's events: `at(version, status)` is that order's state at `version`. */
function order({
  id = new Types.ObjectId().toHexString(),
  ticketVersion = 0,
  placement = ++placements,
  userId = buyer.id,
}: OrderSpec = {}) {
  const at = (version: number, status: OrderEventData['status']): OrderEventData => ({
    id,
    version,
    status,
    userId,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: ticket.id, price: 20, version: ticketVersion, placement },
  });
  return { id, created: at(0, OrderStatus.Created), at };
}

const stored = async () => {
  const t = await Ticket.findById(ticket.id);
  if (!t) throw new Error('ticket vanished');
  return t;
};
/** The pending events after the ticket's own `ticket:created`, as [subject, payload]. */
const announced = async () => (await stored()).pendingEvents.slice(1).map((e) => [e.subject, JSON.parse(e.payload)]);

describe('reservations decided by tickets', () => {
  it('When order:created arrives for a free ticket at the version it saw, then the ticket is reserved and the acceptance announced with it', async () => {
    const o = order();
    expect(await created.onMessage(o.created)).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(o.id);
    expect(t.version).toBe(1);
    expect(await announced()).toEqual([
      ['ticket:updated', expect.objectContaining({ id: ticket.id, version: 1, orderId: o.id, price: 20 })],
      ['reservation:decided', { id: o.id, version: 0, ticket: { id: ticket.id, version: 1 }, outcome: 'accepted' }],
    ]);
  });

  it('When the same order:created arrives twice, then the second is stale and changes nothing', async () => {
    const o = order();
    await created.onMessage(o.created);
    expect(await created.onMessage(o.created)).toBe('stale');

    const t = await stored();
    expect(t.version).toBe(1);
    expect(t.pendingEvents).toHaveLength(3);
  });

  it('When the seller edited the ticket after the buyer saw it, then the reservation is rejected as "ticket changed" and the ticket stays as edited', async () => {
    await updateTicket(ticket.id, seller.id, { title: 'Concert', price: 999 });
    const o = order({ ticketVersion: 0 });

    expect(await created.onMessage(o.created)).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBeUndefined();
    expect(t.version).toBe(1);
    expect(t.price).toBe(999);
    expect((await announced()).at(-1)).toEqual([
      'reservation:decided',
      { id: o.id, version: 0, ticket: { id: ticket.id, version: 1 }, outcome: 'rejected', reason: RejectionReason.TicketChanged },
    ]);
  });

  it('When an earlier order still holds the ticket, then the next order waits (gap) for its cancellation and is accepted once the ticket is free', async () => {
    const holder = order();
    await created.onMessage(holder.created);
    // Placed against the version showing the reservation, right after the holder was cancelled in orders.
    const next = order({ ticketVersion: 1 });

    expect(await created.onMessage(next.created)).toBe('gap');
    expect((await stored()).orderId).toBe(holder.id);

    expect(await updated.onMessage(holder.at(1, OrderStatus.Cancelled))).toBe('applied');
    expect(await created.onMessage(next.created)).toBe('applied');
    const t = await stored();
    expect(t.orderId).toBe(next.id);
    expect(t.version).toBe(3);
    expect((await announced()).at(-1)?.[1]).toMatchObject({ id: next.id, outcome: 'accepted' });
  });

  it('When the ticket was reserved and freed since the version the order saw, then the order is accepted: the terms did not change', async () => {
    const earlier = order();
    await created.onMessage(earlier.created);
    await updated.onMessage(earlier.at(1, OrderStatus.Cancelled));
    const o = order({ ticketVersion: 0 });

    expect(await created.onMessage(o.created)).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(o.id);
    expect(t.version).toBe(3);
    expect((await announced()).at(-1)?.[1]).toMatchObject({ id: o.id, outcome: 'accepted', ticket: { id: ticket.id, version: 3 } });
  });

  it('When an order arrives after a later order was decided, then it is rejected as "ticket reserved" and the ticket stays with the later order', async () => {
    const overtaken = order();
    const later = order();
    expect(await created.onMessage(later.created)).toBe('applied');

    expect(await created.onMessage(overtaken.created)).toBe('applied');

    expect((await stored()).orderId).toBe(later.id);
    expect((await announced()).at(-1)?.[1]).toMatchObject({
      id: overtaken.id,
      outcome: 'rejected',
      reason: RejectionReason.TicketReserved,
    });
  });

  it('When the seller\'s own order arrives, then it is rejected as "own ticket"', async () => {
    const own = order({ userId: seller.id });
    await created.onMessage(own.created);

    expect((await stored()).orderId).toBeUndefined();
    expect((await announced()).at(-1)?.[1]).toMatchObject({ id: own.id, outcome: 'rejected', reason: RejectionReason.OwnTicket });
  });
});

describe('later order events', () => {
  it('When the cancellation arrives before the creation, then it waits (gap), and both apply in order once the creation came', async () => {
    const o = order();
    expect(await updated.onMessage(o.at(1, OrderStatus.Cancelled))).toBe('gap');
    expect((await stored()).version).toBe(0);

    expect(await created.onMessage(o.created)).toBe('applied');
    expect(await updated.onMessage(o.at(1, OrderStatus.Cancelled))).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBeUndefined();
    expect(t.version).toBe(2);
    expect(t.pendingEvents.filter((e) => e.subject === 'ticket:updated').map((e) => JSON.parse(e.payload).orderId)).toEqual([
      o.id,
      undefined,
    ]);
  });

  it('When a rejected order is cancelled (by its buyer or by expiry), then the cancellation waits for the decision and is then stale: it can never hold the ticket', async () => {
    await updateTicket(ticket.id, seller.id, { title: 'Concert', price: 30 });
    const o = order({ ticketVersion: 0 });
    // Before its creation was decided, the cancellation cannot tell: it waits.
    expect(await updated.onMessage(o.at(1, OrderStatus.Cancelled))).toBe('gap');
    await created.onMessage(o.created);
    expect(await updated.onMessage(o.at(1, OrderStatus.Cancelled))).toBe('stale');

    expect((await stored()).version).toBe(1);
  });

  it('When the holding order moves to a status that keeps the ticket, then nothing is read or written', async () => {
    const o = order();
    await created.onMessage(o.created);
    const reads = jest.spyOn(Ticket, 'findById');
    try {
      expect(await updated.onMessage(o.at(1, OrderStatus.AwaitingPayment))).toBe('stale');
      expect(await updated.onMessage(o.at(2, OrderStatus.Complete))).toBe('stale');
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }

    const t = await stored();
    expect(t.orderId).toBe(o.id);
    expect(t.version).toBe(1);
    expect(t.pendingEvents).toHaveLength(3);
  });

  it('When a confirmation arrives after the cancellation that freed the ticket, then it is stale and the ticket stays free', async () => {
    const o = order();
    await created.onMessage(o.created);
    await updated.onMessage(o.at(2, OrderStatus.Cancelled));

    expect(await updated.onMessage(o.at(1, OrderStatus.AwaitingPayment))).toBe('stale');
    expect(await created.onMessage(o.created)).toBe('applied'); // a late duplicate: rejected, the ticket moved on

    const t = await stored();
    expect(t.orderId).toBeUndefined();
    expect(t.version).toBe(2);
  });

  it('When a cancelled order is followed by a new one against the new version, then the ticket moves to the new order', async () => {
    const first = order();
    await created.onMessage(first.created);
    await updated.onMessage(first.at(1, OrderStatus.Cancelled));
    const second = order({ ticketVersion: 2 });
    expect(await created.onMessage(second.created)).toBe('applied');

    const t = await stored();
    expect(t.orderId).toBe(second.id);
    expect(t.version).toBe(3);
  });
});

describe('bookkeeping', () => {
  /** One order reserves the ticket and is cancelled; the relay's part (removing sent events) is done by hand. */
  async function cycle(): Promise<void> {
    const { version } = await stored();
    const o = order({ ticketVersion: version });
    expect(await created.onMessage(o.created)).toBe('applied');
    expect(await updated.onMessage(o.at(1, OrderStatus.Cancelled))).toBe('applied');
    await Ticket.updateOne({ _id: ticket.id }, { $set: { pendingEvents: [] } });
  }
  const size = async () => mongo.BSON.calculateObjectSize((await Ticket.findById(ticket.id).lean()) ?? {});

  it('When 1,000 orders reserve and release one ticket, then its document is no larger than after 10', async () => {
    for (let i = 0; i < 10; i++) await cycle();
    const afterTen = await size();
    for (let i = 10; i < 1_000; i++) await cycle();
    const afterThousand = await size();

    const t = await stored();
    expect(t.version).toBe(2_000);
    expect(t.orderId).toBeUndefined();
    expect(afterThousand).toBeLessThanOrEqual(afterTen);
  }, 120_000);
});
