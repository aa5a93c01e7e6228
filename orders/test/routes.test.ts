import { OrderStatus } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser, sessionCookie, type TestUser } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import request from 'supertest';
import { Order } from '../src/models/order';
import { Ticket } from '../src/models/ticket';
import { ActiveOrders } from '../src/services/active-orders';
import { PLACING_CLAIM_MS } from '../src/services/orders';
import { app, EXPIRATION_SECONDS, MAX_ACTIVE, replicaTicket } from './helpers';

useTestDatabase();

const buyer = newUser('buyer');
const other = newUser('other');

const placeOrder = (ticketId: unknown, user: TestUser = buyer) =>
  request(app).post('/api/orders').set('Cookie', sessionCookie(user)).send({ ticketId });

describe('POST /api/orders', () => {
  it('When a signed-in user orders a free ticket, then it returns 201 with status created, the expiry and the ticket, and an order:created is pending', async () => {
    const ticket = await replicaTicket('Opera', 80);
    const before = Date.now();
    const res = await placeOrder(ticket.id).expect(201);

    expect(res.body).toEqual({
      id: expect.any(String),
      userId: buyer.id,
      status: 'created',
      expiresAt: expect.any(String),
      version: 0,
      ticket: { id: ticket.id, title: 'Opera', price: 80, version: 0 },
    });
    const expiresIn = (Date.parse(res.body.expiresAt) - before) / 1000;
    expect(expiresIn).toBeGreaterThan(EXPIRATION_SECONDS - 5);
    expect(expiresIn).toBeLessThanOrEqual(EXPIRATION_SECONDS + 5);
    const stored = await Order.findById(res.body.id);
    expect(stored?.pendingEvents.map((e) => [e.subject, JSON.parse(e.payload)])).toEqual([
      [
        'order:created',
        {
          id: res.body.id,
          version: 0,
          status: 'created',
          userId: buyer.id,
          expiresAt: res.body.expiresAt,
          ticket: { id: ticket.id, price: 80, version: 0, placement: 1 },
        },
      ],
    ]);
  });

  it('When the ticket is unknown, then it returns 404; when the id is malformed, 400', async () => {
    await placeOrder(new Types.ObjectId().toHexString()).expect(404);
    for (const bad of ['nope', { $ne: null }, 42, undefined]) {
      const res = await placeOrder(bad).expect(400);
      expect(res.body.errors[0].field).toBe('ticketId');
    }
    expect(await Order.countDocuments()).toBe(0);
  });

  it('When nobody is signed in, then it returns 401', async () => {
    const ticket = await replicaTicket();
    await request(app).post('/api/orders').send({ ticketId: ticket.id }).expect(401);
    expect(await Order.countDocuments()).toBe(0);
  });

  it('When the ticket already has an active order, then a second order returns 400', async () => {
    const ticket = await replicaTicket();
    await placeOrder(ticket.id).expect(201);
    const res = await placeOrder(ticket.id, other).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved', field: 'ticketId' }] });
  });

  it('When the seller orders their own ticket, then it returns 400 naming ticketId and no order is stored', async () => {
    const ticket = await replicaTicket('Own', 20, buyer.id);
    const res = await placeOrder(ticket.id).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'You cannot order your own ticket', field: 'ticketId' }] });
    expect(await Order.countDocuments()).toBe(0);
  });

  it('When twenty orders race for each of twenty tickets at once, then exactly one per ticket succeeds, the rest get 400, and no claim is left', async () => {
    const tickets = await Promise.all(Array.from({ length: 20 }, (_, i) => replicaTicket(`Race ${i}`)));
    const users = Array.from({ length: 20 }, (_, i) => newUser(`racer${i}`));
    const results = await Promise.all(tickets.flatMap((t) => users.map((u) => placeOrder(t.id, u))));

    for (const [i, ticket] of tickets.entries()) {
      const statuses = results.slice(i * 20, (i + 1) * 20).map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(19);
      expect(await Order.countDocuments({ ticket: ticket._id })).toBe(1);
    }
    expect(await Ticket.countDocuments({ placingUntil: { $exists: true } })).toBe(0);
  });

  it("When a placing request died holding the ticket's claim, then orders are refused until the claim lapses, then accepted", async () => {
    const ticket = await replicaTicket();
    await Ticket.updateOne({ _id: ticket._id }, { $set: { placingUntil: new Date(Date.now() + PLACING_CLAIM_MS) } });
    const refused = await placeOrder(ticket.id).expect(400);
    expect(refused.body).toEqual({ errors: [{ message: 'Ticket is already reserved', field: 'ticketId' }] });
    expect(await Order.countDocuments()).toBe(0);

    await Ticket.updateOne({ _id: ticket._id }, { $set: { placingUntil: new Date(Date.now() - 1) } });
    await placeOrder(ticket.id).expect(201);
    expect((await Ticket.findById(ticket._id).lean())?.placingUntil).toBeUndefined();
  });

  it(`When a buyer holds ${MAX_ACTIVE} active orders, then another is refused with 400 until one is cancelled`, async () => {
    const tickets = await Promise.all(Array.from({ length: MAX_ACTIVE + 1 }, (_, i) => replicaTicket(`Show ${i}`)));
    const placed = [];
    for (const ticket of tickets.slice(0, MAX_ACTIVE)) placed.push((await placeOrder(ticket.id).expect(201)).body);

    const refused = await placeOrder(tickets[MAX_ACTIVE].id).expect(400);
    expect(refused.body).toEqual({ errors: [{ message: `You already have ${MAX_ACTIVE} active orders; pay for or cancel one first` }] });
    await placeOrder(tickets[MAX_ACTIVE].id, other).expect(201); // another buyer is not affected

    await request(app).delete(`/api/orders/${placed[0].id}`).set('Cookie', sessionCookie(buyer)).expect(204);
    const freed = await replicaTicket('Another');
    await placeOrder(freed.id).expect(201);
  });

  it('When a buyer fires many orders at once, then exactly the cap succeeds', async () => {
    const tickets = await Promise.all(Array.from({ length: 10 }, (_, i) => replicaTicket(`Burst ${i}`)));
    const results = await Promise.all(tickets.map((t) => placeOrder(t.id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX_ACTIVE);
    expect(results.filter((r) => r.status === 400)).toHaveLength(10 - MAX_ACTIVE);
  });

  it("When orders are placed and cancelled, then the counter counts each buyer's active ones", async () => {
    const counter = new ActiveOrders();
    const [a, b] = [await replicaTicket('Counted A'), await replicaTicket('Counted B')];
    const first = (await placeOrder(a.id).expect(201)).body;
    await placeOrder(b.id).expect(201);
    expect(await counter.placeFor(buyer.id, async (active) => active)).toBe(2);
    await request(app).delete(`/api/orders/${first.id}`).set('Cookie', sessionCookie(buyer)).expect(204);
    expect(await counter.placeFor(buyer.id, async (active) => active)).toBe(1);
    expect(await counter.placeFor(other.id, async (active) => active)).toBe(0);
  });

  it('When the previous order was cancelled, then the ticket can be ordered again', async () => {
    const ticket = await replicaTicket();
    const first = (await placeOrder(ticket.id).expect(201)).body;
    await request(app).delete(`/api/orders/${first.id}`).set('Cookie', sessionCookie(buyer)).expect(204);
    await placeOrder(ticket.id, other).expect(201);
  });
});

describe('GET /api/orders and /api/orders/:id', () => {
  it('When a user lists orders, then they see only their own, with their tickets', async () => {
    const [a, b] = [await replicaTicket('A'), await replicaTicket('B')];
    const mine = (await placeOrder(a.id).expect(201)).body;
    await placeOrder(b.id, other).expect(201);

    const res = await request(app).get('/api/orders').set('Cookie', sessionCookie(buyer)).expect(200);
    expect(res.body).toEqual([mine]);
    await request(app).get('/api/orders').expect(401);
  });

  it('When a user asks for an order, then the owner gets it, another user 401, and an unknown id 404', async () => {
    const ticket = await replicaTicket();
    const order = (await placeOrder(ticket.id).expect(201)).body;

    expect((await request(app).get(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(200)).body).toEqual(order);
    await request(app).get(`/api/orders/${order.id}`).set('Cookie', sessionCookie(other)).expect(401);
    await request(app).get(`/api/orders/${new Types.ObjectId().toHexString()}`).set('Cookie', sessionCookie(buyer)).expect(404);
    await request(app).get('/api/orders/xyz').set('Cookie', sessionCookie(buyer)).expect(404);
  });
});

describe('DELETE /api/orders/:id', () => {
  it('When the owner cancels, then it returns 204, the order is cancelled with version 1 and order:updated is pending', async () => {
    const ticket = await replicaTicket();
    const order = (await placeOrder(ticket.id).expect(201)).body;

    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(204);

    const stored = await Order.findById(order.id);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.version).toBe(1);
    expect(stored?.reason).toBe('cancelled by buyer');
    expect(JSON.parse(stored?.pendingEvents[1].payload ?? '{}')).toMatchObject({
      id: order.id,
      version: 1,
      status: 'cancelled',
      reason: 'cancelled by buyer',
    });
    const shown = await request(app).get(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(200);
    expect(shown.body).toMatchObject({ status: 'cancelled', reason: 'cancelled by buyer' });
  });

  it('When the order is cancelled twice, then the second is a no-op 204 without a new event', async () => {
    const ticket = await replicaTicket();
    const order = (await placeOrder(ticket.id).expect(201)).body;
    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(204);
    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(204);
    expect((await Order.findById(order.id))?.pendingEvents).toHaveLength(2);
  });

  it('When the order is complete, then cancelling returns 400 and changes nothing', async () => {
    const ticket = await replicaTicket();
    const order = (await placeOrder(ticket.id).expect(201)).body;
    await Order.updateOne({ _id: order.id }, { $set: { status: OrderStatus.Complete } });

    const res = await request(app).delete(`/api/orders/${order.id}`).set('Cookie', sessionCookie(buyer)).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
    expect((await Order.findById(order.id))?.status).toBe('complete');
  });

  it('When another user or nobody cancels, then it returns 401 and the order stays', async () => {
    const ticket = await replicaTicket();
    const order = (await placeOrder(ticket.id).expect(201)).body;
    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', sessionCookie(other)).expect(401);
    await request(app).delete(`/api/orders/${order.id}`).expect(401);
    await request(app).delete(`/api/orders/${new Types.ObjectId().toHexString()}`).set('Cookie', sessionCookie(buyer)).expect(404);
    expect((await Order.findById(order.id))?.status).toBe('created');
  });
});
