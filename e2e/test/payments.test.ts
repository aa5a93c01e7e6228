import { waitFor } from '@ticketing/stack/wait-for';
import { intentsCreatedFor, StripeRecorder } from '@ticketing/testkit/stripe';
import mongoose from 'mongoose';
import { type Client, type OrderBody, signedUpClient, type TicketBody } from './client';
import { violations } from './fault/invariants';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * Payments on real processes and the real stripe-mock: the course client's Pay request completes an order;
 * paying twice charges once; a payment that loses the race against expiry is refunded; and a crash of
 * payments between Stripe's answer and the database write does not charge twice.
 */
type Order = OrderBody & { reason?: string };

async function buyConfirmed(system: TestSystem, seller: Client, buyer: Client, price = 25): Promise<Order> {
  const ticket = (await seller.post<TicketBody>('/api/tickets', { title: 'Concert', price })).body;
  await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, { description: 'the replica' });
  const order = await buyer.post<Order>('/api/orders', { ticketId: ticket.id });
  expect(order.status).toBe(201);
  return waitFor(
    async () => {
      const shown = (await buyer.get<Order>(`/api/orders/${order.body.id}`)).body;
      return shown.status === 'awaiting:payment' ? shown : undefined;
    },
    { description: 'the order confirmed', intervalMs: 20 },
  );
}

/** Waits until payments' replica of the order has `status` (payments learns of orders from their events). */
async function paymentsSees(system: TestSystem, orderId: string, status: string): Promise<void> {
  await waitFor(
    async () => (await system.db.payments.collection('orders').findOne({ _id: new mongoose.Types.ObjectId(orderId) }))?.status === status,
    { description: `payments to see order ${orderId} ${status}`, intervalMs: 20 },
  );
}

describe('payments through the gateway', () => {
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;

  beforeAll(async () => {
    system = await startTestSystem();
    [seller, buyer] = await Promise.all([signedUpClient(system.gatewayUrl, 'seller'), signedUpClient(system.gatewayUrl, 'buyer')]);
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  it("When the course client's Pay request is sent, then it answers 201 {id}, the order becomes complete and paying again is 400 with one charge", async () => {
    const order = await buyConfirmed(system, seller, buyer, 25.5);
    await paymentsSees(system, order.id, 'awaiting:payment');

    // Exactly what the course client sends: JSON {token, orderId} with the session cookie.
    const paid = await buyer.post<{ id: string }>('/api/payments', { token: 'tok_visa', orderId: order.id });
    expect(paid.status).toBe(201);
    expect(paid.body).toEqual({ id: expect.any(String) });

    const complete = await waitFor(
      async () => {
        const mine = (await buyer.get<Order[]>('/api/orders')).body.find((o) => o.id === order.id);
        return mine?.status === 'complete' ? mine : undefined;
      },
      { description: 'My Orders to show the order complete', intervalMs: 20 },
    );
    expect(complete.version).toBe(2);
    const payment = await system.db.payments.collection('payments').findOne({ _id: new mongoose.Types.ObjectId(order.id) });
    expect(payment).toMatchObject({ amount: 2550, currency: 'usd' });
    // The ticket stays with the order: sold.
    expect((await seller.get<TicketBody>(`/api/tickets/${order.ticket.id}`)).body.orderId).toBe(order.id);

    const again = await buyer.post('/api/payments', { token: 'tok_mastercard', orderId: order.id });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: [{ message: 'The order has already been paid', field: 'orderId' }] });
    expect(intentsCreatedFor(order.id)).toBe(1);
    expect((await buyer.delete(`/api/orders/${order.id}`)).status).toBe(400); // complete: cannot be cancelled
  });

  it('When another user pays the order, or the order is cancelled, then 401 / 400 and nothing is charged', async () => {
    const order = await buyConfirmed(system, seller, buyer);
    await paymentsSees(system, order.id, 'awaiting:payment');
    expect((await seller.post('/api/payments', { token: 'tok_visa', orderId: order.id })).status).toBe(401);
    expect((await buyer.delete(`/api/orders/${order.id}`)).status).toBe(204);
    await paymentsSees(system, order.id, 'cancelled');
    const refused = await buyer.post('/api/payments', { token: 'tok_visa', orderId: order.id });
    expect(refused.status).toBe(400);
    expect(intentsCreatedFor(order.id)).toBe(0);
  });
});

describe('payment against expiry', () => {
  const ROUNDS = 50;
  const PARALLEL = 10;
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;

  beforeAll(async () => {
    system = await startTestSystem({ env: { orders: { ORDER_EXPIRATION_SECONDS: '2', EXPIRY_SWEEP_INTERVAL_MS: '100' } } });
    [seller, buyer] = await Promise.all([signedUpClient(system.gatewayUrl, 'seller'), signedUpClient(system.gatewayUrl, 'buyer')]);
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  it(`When payments are fired around the expiry, ${ROUNDS} times, then every order ends complete with one charge or cancelled with its charge refunded`, async () => {
    const outcomes: Array<{ order: Order; status: number }> = [];
    const round = async (index: number) => {
      const order = await buyConfirmed(system, seller, buyer);
      // From 400 ms before the deadline to 300 ms after it.
      const at = Date.parse(order.expiresAt) - 400 + (index % 8) * 100;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
      const paid = await buyer.post('/api/payments', { token: 'tok_visa', orderId: order.id });
      outcomes.push({ order, status: paid.status });
    };
    for (let first = 0; first < ROUNDS; first += PARALLEL) {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, ROUNDS - first) }, (_, i) => round(first + i)));
    }
    for (const { status } of outcomes) expect([201, 400]).toContain(status);

    const paid = new Set(outcomes.filter((o) => o.status === 201).map((o) => o.order.id));
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await violations(system.db, { tickets: new Map(), orders: new Map(), payments: paid }, 3_000);
        return last.length === 0;
      },
      { description: 'convergence', timeoutMs: 30_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error([err.message, ...last.slice(0, 20)].join('\n'));
    });

    const tally = { complete: 0, refunded: 0, refusedBeforeCharging: 0 };
    for (const { order } of outcomes) {
      const [stored, payment] = await Promise.all([
        system.db.orders.collection('orders').findOne({ _id: new mongoose.Types.ObjectId(order.id) }),
        system.db.payments.collection('payments').findOne({ _id: new mongoose.Types.ObjectId(order.id) }),
      ]);
      expect(intentsCreatedFor(order.id)).toBeLessThanOrEqual(1);
      if (stored?.status === 'complete') {
        tally.complete++;
        expect(payment?.refundId).toBeUndefined();
        expect(intentsCreatedFor(order.id)).toBe(1);
      } else {
        expect(stored).toMatchObject({ status: 'cancelled', reason: 'expired' });
        if (payment) {
          tally.refunded++;
          expect(payment.refundId).toMatch(/^re_/);
        } else {
          tally.refusedBeforeCharging++;
          expect(intentsCreatedFor(order.id)).toBe(0);
        }
      }
    }
    process.stdout.write(`\nexpiry vs payment: ${JSON.stringify({ rounds: outcomes.length, ...tally })}\n`);
    expect(tally.complete + tally.refunded + tally.refusedBeforeCharging).toBe(ROUNDS);
    expect(tally.complete).toBeGreaterThan(0);
  }, 240_000);
});

describe('a crash between charging and recording', () => {
  // Records what payments asks Stripe and, when armed, SIGKILLs payments once Stripe has confirmed a charge
  // but before payments gets the answer: the crash between charging and recording.
  let killOnConfirm: (() => Promise<void>) | undefined;
  const tap = new StripeRecorder({
    onAnswer: async (request) => {
      const kill = /\/confirm$/.test(request.path) ? killOnConfirm : undefined;
      if (!kill) return false;
      killOnConfirm = undefined;
      await kill();
      return true;
    },
  });
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;

  beforeAll(async () => {
    const { STRIPE_API_BASE, STRIPE_SECRET_KEY } = process.env;
    if (!STRIPE_API_BASE || !STRIPE_SECRET_KEY) throw new Error('stripe-mock is not running');
    const apiBase = await tap.start(STRIPE_API_BASE);
    system = await startTestSystem({ stripe: { apiBase, secretKey: STRIPE_SECRET_KEY } });
    [seller, buyer] = await Promise.all([signedUpClient(system.gatewayUrl, 'seller'), signedUpClient(system.gatewayUrl, 'buyer')]);
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
    await tap.stop();
  });

  it('When payments is SIGKILLed after Stripe confirmed the charge, then the retry records one payment on the same idempotency key and the order completes', async () => {
    const order = await buyConfirmed(system, seller, buyer);
    await paymentsSees(system, order.id, 'awaiting:payment');
    killOnConfirm = () => system.services.payments.kill();

    const lost = await buyer.post('/api/payments', { token: 'tok_visa', orderId: order.id });
    expect(lost.status).toBeGreaterThanOrEqual(500); // the gateway lost its upstream: the buyer clicks again
    expect(await system.db.payments.collection('payments').countDocuments()).toBe(0);

    await system.services.payments.start();
    // The buyer clicks again (a new token each time, as a card form gives), until the payment goes through.
    const answers: Array<{ status: number; body: unknown }> = [];
    // Until it goes through or 10 s pass: under a loaded run the restarted process can take a moment to be reachable.
    const deadline = Date.now() + 10_000;
    while (answers.at(-1)?.status !== 201 && Date.now() < deadline) {
      if (answers.length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      answers.push(await buyer.post('/api/payments', { token: 'tok_mastercard', orderId: order.id }));
    }
    expect(answers.at(-1)).toEqual({ status: 201, body: { id: order.id } });

    await waitFor(async () => (await buyer.get<Order>(`/api/orders/${order.id}`)).body.status === 'complete', {
      description: 'the order to complete',
    });
    expect(await system.db.payments.collection('payments').countDocuments()).toBe(1);
    const creates = tap.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    // Every attempt, one PaymentIntent at Stripe: each creation carries the order's key and identical parameters.
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(creates.length).toBeLessThanOrEqual(1 + answers.length);
    if (answers.length > 1) process.stdout.write(`\nretries after the crash needed ${answers.length} clicks: ${JSON.stringify(answers)}\n`);
    expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set([`payment-intent:${order.id}`]));
    expect(new Set(creates.map((r) => r.body)).size).toBe(1);
  }, 60_000);
});
