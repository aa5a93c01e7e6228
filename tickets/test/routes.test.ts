import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser, sessionCookie } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import request from 'supertest';
import { Ticket } from '../src/models/ticket';
import { app, handedOff } from './helpers';

useTestDatabase();

const seller = newUser('seller');
const other = newUser('other');

function createTicket(title = 'Concert', price: number | string = 20, user = seller) {
  return request(app).post('/api/tickets').set('Cookie', sessionCookie(user)).send({ title, price });
}

describe('POST /api/tickets', () => {
  it('When a signed-in user lists a ticket, then it returns 201 and stores it with version 0 and a pending ticket:created handed to the relay', async () => {
    const res = await createTicket('  Concert  ', 19.99).expect(201);

    expect(res.body).toEqual({ id: expect.any(String), title: 'Concert', price: 19.99, userId: seller.id, version: 0 });
    const stored = await Ticket.findById(res.body.id);
    expect(stored?.pendingEvents.map((e) => [e.subject, e.messageId, JSON.parse(e.payload)])).toEqual([
      [
        'ticket:created',
        `ticket:created/${res.body.id}:0`,
        { id: res.body.id, version: 0, title: 'Concert', price: 19.99, userId: seller.id },
      ],
    ]);
    expect(handedOff).toContain(`ticket:created/${res.body.id}:0`);
  });

  it('When a title comes decomposed or with emoji joiners, then it is stored normalised (NFC) and the joiners kept', async () => {
    const decomposed = await createTicket('Cafe\u0301 concert').expect(201);
    expect(decomposed.body.title).toBe('Caf\u00e9 concert');
    expect((await Ticket.findById(decomposed.body.id))?.title).toBe('Caf\u00e9 concert');

    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} family show';
    expect((await createTicket(family).expect(201)).body.title).toBe(family);
  });

  it('When a title could hide or disguise what it says, then it is refused with a 400 naming title and nothing is stored', async () => {
    for (const title of ['a\u0085b', 'evil\u202Etxt.exe', '\u2066x\u2069', 'a\u2028b', '\u200B\u200B', '\u2060\uFEFF', 'x\ud800y']) {
      const res = await createTicket(title).expect(400);
      expect(res.body.errors.map((e: { field?: string }) => e.field)).toEqual(['title']);
    }
    expect(await Ticket.countDocuments()).toBe(0);
  });

  it('When the price comes as a decimal string, then it is stored as a number', async () => {
    const res = await createTicket('Play', '25.50').expect(201);
    expect(res.body.price).toBe(25.5);
  });

  it('When nobody is signed in, then it returns 401 and stores nothing', async () => {
    await request(app).post('/api/tickets').send({ title: 'Concert', price: 10 }).expect(401);
    expect(await Ticket.countDocuments()).toBe(0);
  });

  it.each([
    ['an empty title', { title: '   ', price: 10 }, 'title'],
    ['a missing title', { price: 10 }, 'title'],
    ['an over-long title', { title: 'x'.repeat(201), price: 10 }, 'title'],
    ['a title with a NUL byte', { title: 'Con\u0000cert', price: 10 }, 'title'],
    ['an operator object as title', { title: { $ne: '' }, price: 10 }, 'title'],
    ['a missing price', { title: 'Concert' }, 'price'],
    ['a zero price', { title: 'Concert', price: 0 }, 'price'],
    ['a negative price', { title: 'Concert', price: -10 }, 'price'],
    ['three decimals', { title: 'Concert', price: 10.001 }, 'price'],
    ['a huge price', { title: 'Concert', price: 1e12 }, 'price'],
    ['a non-numeric string price', { title: 'Concert', price: 'free' }, 'price'],
    ['a NaN-like string price', { title: 'Concert', price: 'NaN' }, 'price'],
    ['an operator object as price', { title: 'Concert', price: { $gt: 0 } }, 'price'],
  ])('When the body has %s, then it returns 400 naming the field and stores nothing', async (_case, body, field) => {
    const res = await request(app).post('/api/tickets').set('Cookie', sessionCookie(seller)).send(body).expect(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    expect(await Ticket.countDocuments()).toBe(0);
  });
});

describe('GET /api/tickets and /api/tickets/:id', () => {
  it('When some tickets are reserved, then the list shows only the free ones', async () => {
    const free = (await createTicket('Free')).body;
    const reserved = (await createTicket('Reserved')).body;
    await Ticket.updateOne({ _id: reserved.id }, { $set: { orderId: new Types.ObjectId().toHexString() } });

    const res = await request(app).get('/api/tickets').expect(200);
    expect(res.body.map((t: { id: string }) => t.id)).toEqual([free.id]);
  });

  it('When tickets are listed a page at a time, then newest first, with the next page named until the last', async () => {
    const listed = [];
    for (let i = 0; i < 5; i++) listed.push((await createTicket(`Show ${i}`)).body);
    const ids = listed.map((t) => t.id).reverse();

    const first = await request(app).get('/api/tickets?limit=2').expect(200);
    expect(first.body.map((t: { id: string }) => t.id)).toEqual(ids.slice(0, 2));
    expect(first.get('X-Next-Cursor')).toBe(ids[1]);
    expect(first.get('Link')).toBe(`</api/tickets?limit=2&cursor=${ids[1]}>; rel="next"`);

    const second = await request(app).get(`/api/tickets?limit=2&cursor=${ids[1]}`).expect(200);
    expect(second.body.map((t: { id: string }) => t.id)).toEqual(ids.slice(2, 4));
    const last = await request(app)
      .get(`/api/tickets?limit=2&cursor=${second.get('X-Next-Cursor')}`)
      .expect(200);
    expect(last.body.map((t: { id: string }) => t.id)).toEqual(ids.slice(4));
    expect(last.get('X-Next-Cursor')).toBeUndefined();
    expect(last.get('Link')).toBeUndefined();

    const all = await request(app).get('/api/tickets').expect(200);
    expect(all.body.map((t: { id: string }) => t.id)).toEqual(ids);
  });

  it('When the page parameters are not what they should be, then 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['cursor=nope', 'cursor'],
      ['cursor=a&cursor=b', 'cursor'],
    ]) {
      const res = await request(app).get(`/api/tickets?${query}`).expect(400);
      expect(res.body.errors.map((e: { field?: string }) => e.field)).toEqual([field]);
    }
  });

  it('When the ticket exists, then anyone can see it', async () => {
    const created = (await createTicket('Opera', 80)).body;
    const res = await request(app).get(`/api/tickets/${created.id}`).expect(200);
    expect(res.body).toEqual(created);
  });

  it('When the id is unknown or malformed, then it returns 404', async () => {
    for (const id of [new Types.ObjectId().toHexString(), 'not-an-id', '{"$ne":null}']) {
      const res = await request(app)
        .get(`/api/tickets/${encodeURIComponent(id)}`)
        .expect(404);
      expect(res.body).toEqual({ errors: [{ message: 'Ticket not found' }] });
    }
  });
});

describe('PUT /api/tickets/:id', () => {
  it('When the owner edits a free ticket, then it returns 200, bumps the version and adds a pending ticket:updated', async () => {
    const created = (await createTicket('Concert', 20)).body;
    const res = await request(app)
      .put(`/api/tickets/${created.id}`)
      .set('Cookie', sessionCookie(seller))
      .send({ title: 'Concert (late show)', price: 25 })
      .expect(200);

    expect(res.body).toEqual({ ...created, title: 'Concert (late show)', price: 25, version: 1 });
    const stored = await Ticket.findById(created.id);
    expect(stored?.pendingEvents.map((e) => e.messageId)).toEqual([`ticket:created/${created.id}:0`, `ticket:updated/${created.id}:1`]);
    expect(JSON.parse(stored?.pendingEvents[1].payload ?? '{}')).toEqual({
      id: created.id,
      version: 1,
      title: 'Concert (late show)',
      price: 25,
      userId: seller.id,
    });
  });

  it('When someone else edits the ticket, then it returns 401 and nothing changes', async () => {
    const created = (await createTicket()).body;
    await request(app)
      .put(`/api/tickets/${created.id}`)
      .set('Cookie', sessionCookie(other))
      .send({ title: 'Mine now', price: 1 })
      .expect(401);
    expect((await Ticket.findById(created.id))?.toJSON()).toEqual(created);
  });

  it('When nobody is signed in, then it returns 401', async () => {
    const created = (await createTicket()).body;
    await request(app).put(`/api/tickets/${created.id}`).send({ title: 'x', price: 1 }).expect(401);
  });

  it('When the ticket is reserved, then editing it returns 400 and nothing changes', async () => {
    const created = (await createTicket()).body;
    const orderId = new Types.ObjectId().toHexString();
    await Ticket.updateOne({ _id: created.id }, { $set: { orderId } });

    const res = await request(app)
      .put(`/api/tickets/${created.id}`)
      .set('Cookie', sessionCookie(seller))
      .send({ title: 'x', price: 1 })
      .expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
    expect((await Ticket.findById(created.id))?.version).toBe(0);
  });

  it('When the input is invalid or the ticket unknown, then it returns 400 or 404', async () => {
    const created = (await createTicket()).body;
    await request(app).put(`/api/tickets/${created.id}`).set('Cookie', sessionCookie(seller)).send({ title: '', price: -1 }).expect(400);
    await request(app)
      .put(`/api/tickets/${new Types.ObjectId().toHexString()}`)
      .set('Cookie', sessionCookie(seller))
      .send({ title: 'x', price: 1 })
      .expect(404);
    await request(app).put('/api/tickets/zzz').set('Cookie', sessionCookie(seller)).send({ title: 'x', price: 1 }).expect(404);
    expect((await Ticket.findById(created.id))?.version).toBe(0);
  });
});
