import { type EventTransport, type OrderEventData, OrderStatus } from '@ticketing/common/events';
import type { JetStreamTransport } from '@ticketing/common/jetstream';
import { OutboxRelay } from '@ticketing/common/outbox';
import { waitFor } from '@ticketing/stack/wait-for';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { newUser, sessionCookie, type TestUser } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import request from 'supertest';
import { OrderCreatedListener, OrderUpdatedListener } from '../src/events/listeners/order-listeners';
import { Order } from '../src/models/order';
import { Payment, payments } from '../src/models/payment';
import { refundIfPaid } from '../src/services/payments';
import { amountInMinorUnits, type PaymentProvider } from '../src/services/stripe';
import { app, intentsCreatedFor, logger, provider } from './helpers';

useTestDatabase();

// The listeners' logic runs against the real database and the real stripe-mock; the transport is not used by onMessage.
const noTransport = {} as never;
const created = new OrderCreatedListener(noTransport, provider, logger);
const updated = new OrderUpdatedListener(noTransport, provider, logger);

const buyer = newUser('buyer');
const other = newUser('other');

function orderEvent(id: string, version: number, status: OrderEventData['status'], price = 19.99): OrderEventData {
  return {
    id,
    version,
    status,
    userId: buyer.id,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: new Types.ObjectId().toHexString(), price, version: 0, placement: 1 },
  };
}

/** An order in payments' replica at `status`, as its events would leave it. */
async function replicaOrder(status: OrderEventData['status'] = OrderStatus.AwaitingPayment, price = 19.99): Promise<string> {
  const id = new Types.ObjectId().toHexString();
  await created.onMessage(orderEvent(id, 0, OrderStatus.Created, price));
  if (status !== OrderStatus.Created) await updated.onMessage(orderEvent(id, 1, status, price));
  return id;
}

const payFor = (orderId: unknown, user: TestUser = buyer, token: unknown = 'tok_visa') =>
  request(app).post('/api/payments').set('Cookie', sessionCookie(user)).send({ token, orderId });

describe('POST /api/payments', () => {
  it('When the buyer pays a confirmed order, then it answers 201 {id}, charges its price in cents once and records the payment with payment:created', async () => {
    const orderId = await replicaOrder(OrderStatus.AwaitingPayment, 19.99);

    const res = await payFor(orderId).expect(201);

    expect(res.body).toEqual({ id: orderId });
    const payment = await Payment.findById(orderId);
    expect(payment).toMatchObject({ userId: buyer.id, amount: 1999, currency: 'usd', version: 0 });
    expect(payment?.stripeId).toMatch(/^pi_/);
    expect(payment?.pendingEvents.map((e) => [e.subject, JSON.parse(e.payload)])).toEqual([
      ['payment:created', { id: orderId, version: 0, orderId, stripeId: payment?.stripeId }],
    ]);
    expect(intentsCreatedFor(orderId)).toBe(1);
  });

  it('When the order is paid again, then it answers 400 and Stripe is not asked again', async () => {
    const orderId = await replicaOrder();
    await payFor(orderId).expect(201);

    const again = await payFor(orderId, buyer, 'tok_mastercard').expect(400);

    expect(again.body).toEqual({ errors: [{ message: 'The order has already been paid', field: 'orderId' }] });
    expect(intentsCreatedFor(orderId)).toBe(1);
    expect(await Payment.countDocuments({ _id: orderId })).toBe(1);
  });

  it('When two payments for one order race, then one charge is recorded and both answer with it', async () => {
    const orderId = await replicaOrder();

    const [a, b] = await Promise.all([payFor(orderId), payFor(orderId)]);

    const answered = [a, b].filter((r) => r.status === 201).map((r) => r.body.id);
    expect(answered.length).toBeGreaterThan(0);
    expect(new Set(answered)).toEqual(new Set([orderId]));
    for (const r of [a, b]) expect([201, 400]).toContain(r.status);
    expect(await Payment.countDocuments({ _id: orderId })).toBe(1);
  });

  it('When the order is unknown, another user’s, not confirmed yet, cancelled or complete, then it answers 404, 401 or 400 and charges nothing', async () => {
    await payFor(new Types.ObjectId().toHexString()).expect(404);
    const mine = await replicaOrder();
    await payFor(mine, other).expect(401);
    const cases: Array<[OrderEventData['status'], string]> = [
      [OrderStatus.Created, 'The order is not confirmed yet; try again in a moment'],
      [OrderStatus.Cancelled, 'The order is cancelled or expired and cannot be paid'],
      [OrderStatus.Complete, 'The order has already been paid'],
    ];
    for (const [status, message] of cases) {
      const orderId = await replicaOrder(status);
      const res = await payFor(orderId).expect(400);
      expect(res.body).toEqual({ errors: [{ message, field: 'orderId' }] });
      expect(intentsCreatedFor(orderId)).toBe(0);
    }
    expect(intentsCreatedFor(mine)).toBe(0);
    expect(await Payment.countDocuments()).toBe(0);
  });

  it('When the body is malformed, then it answers 400 naming the field; without a session, 401', async () => {
    const orderId = await replicaOrder();
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ orderId }, 'token'],
      [{ token: '', orderId }, 'token'],
      [{ token: 'not-a-token', orderId }, 'token'],
      [{ token: { $ne: null }, orderId }, 'token'],
      [{ token: `tok_${'x'.repeat(300)}`, orderId }, 'token'],
      [{ token: 'tok_visa' }, 'orderId'],
      [{ token: 'tok_visa', orderId: 'nope' }, 'orderId'],
      [{ token: 'tok_visa', orderId: { $gt: '' } }, 'orderId'],
    ];
    for (const [body, field] of bad) {
      const res = await request(app).post('/api/payments').set('Cookie', sessionCookie(buyer)).send(body).expect(400);
      expect(res.body.errors.map((e: { field?: string }) => e.field)).toContain(field);
    }
    await request(app).post('/api/payments').send({ token: 'tok_visa', orderId }).expect(401);
    expect(await Payment.countDocuments()).toBe(0);
  });
});

describe('orders as payments sees them', () => {
  it('When order events arrive, then the replica follows them by version (duplicates stale, gaps wait)', async () => {
    const id = new Types.ObjectId().toHexString();
    expect(await updated.onMessage(orderEvent(id, 1, OrderStatus.AwaitingPayment))).toBe('gap');
    expect(await created.onMessage(orderEvent(id, 0, OrderStatus.Created, 40))).toBe('applied');
    expect(await created.onMessage(orderEvent(id, 0, OrderStatus.Created, 40))).toBe('stale');
    expect(await updated.onMessage(orderEvent(id, 1, OrderStatus.AwaitingPayment, 40))).toBe('applied');

    expect(await Order.findById(id).lean()).toMatchObject({ userId: buyer.id, status: 'awaiting:payment', price: 40, version: 1 });
  });

  it('When an order with a recorded payment is cancelled, then the charge is refunded once, also if the cancellation is redelivered', async () => {
    const orderId = await replicaOrder();
    await payFor(orderId).expect(201);

    expect(await updated.onMessage(orderEvent(orderId, 2, OrderStatus.Cancelled))).toBe('applied');
    const refunded = await Payment.findById(orderId).lean();
    expect(refunded?.refundId).toMatch(/^re_/);

    expect(await updated.onMessage(orderEvent(orderId, 2, OrderStatus.Cancelled))).toBe('stale');
    expect((await Payment.findById(orderId).lean())?.refundId).toBe(refunded?.refundId);
  });
});

describe('a refund while the relay removes the published payment:created', () => {
  let transports: JetStreamTransport[] = [];
  afterEach(async () => {
    await closeIsolated(transports);
    transports = [];
  });

  it('When cancellations refund payments whose events the relay is removing, then every payment keeps both its refund and the removal', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    // The real bus and the real stripe-mock; each payment's publish is held until its refund is back from
    // Stripe, so the relay removes the published event just as the refund is recorded.
    const refunded = new Map<string, () => void>();
    const refundedOrder = (orderId: string) =>
      new Promise<void>((resolve) => {
        refunded.set(orderId, resolve);
      });
    const held = new Map<string, Promise<void>>();
    const gated: EventTransport = {
      kind: bus.kind,
      signals: bus.signals,
      publish: (subject, payload, options) => {
        const orderId = options?.messageId?.split('/')[1]?.split(':')[0] ?? '';
        return (held.get(orderId) ?? Promise.resolve()).then(() => bus.publish(subject, payload, options));
      },
      subscribe: bus.subscribe.bind(bus),
      deadLetter: bus.deadLetter.bind(bus),
      isConnected: () => bus.isConnected(),
      close: async () => {},
    };
    const signalling = {
      refund: async (orderId: string, stripeId: string) => {
        const refundId = await provider.refund(orderId, stripeId);
        refunded.get(orderId)?.();
        return refundId;
      },
    } as PaymentProvider;
    const relay = new OutboxRelay([Payment], gated, { sweepIntervalMs: 0 });
    const detach = payments.attach(relay);
    try {
      const orderIds = await Promise.all(Array.from({ length: 100 }, () => replicaOrder()));
      for (const orderId of orderIds) held.set(orderId, refundedOrder(orderId));
      for (const orderId of orderIds) await payFor(orderId).expect(201);

      await Promise.all(orderIds.map((orderId) => refundIfPaid(orderId, signalling, logger)));
      await waitFor(() => relay.backlog === 0);

      // Read before the relay stops: its final sweep would clear an event a lost update put back.
      const recorded = await Payment.find({ _id: { $in: orderIds } }).lean();
      expect(recorded.filter((p) => !p.refundId).map((p) => p._id.toHexString())).toEqual([]);
      expect(recorded.filter((p) => p.pendingEvents.length > 0).map((p) => p._id.toHexString())).toEqual([]);
    } finally {
      detach();
      await relay.stop();
    }
  });
});

describe('amounts', () => {
  it('When a price is converted, then it is in the smallest unit of the currency', () => {
    expect(amountInMinorUnits(19.99, 'usd')).toBe(1999);
    expect(amountInMinorUnits(0.1 + 0.2, 'eur')).toBe(30);
    expect(amountInMinorUnits(1500, 'jpy')).toBe(1500);
  });
});
