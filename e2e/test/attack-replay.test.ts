import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  BUS_IDENTITIES,
  connectEventBus,
  type DeadLetter,
  type EventTransport,
  jetStreamNames,
  natsEndpoint,
  type ServiceIdentityName,
  Subjects,
} from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { StanTransport } from '@ticketing/common/stan';
import { natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import { waitFor } from '@ticketing/stack/wait-for';
import { Types } from 'mongoose';
import { Client, type Reply, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * The attacks of issue 13, replayed against the real stack on both transports: someone on the network with a
 * NATS client (anonymous, or holding one service's credentials), and someone holding a copy of a session
 * token after its owner signed out. Every one must be refused by the server that owns the decision, and none
 * may leave a 5xx or a changed ticket behind.
 */
const TRANSPORTS = ['jetstream', 'stan'] as const;
const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));

/** Every HTTP answer seen in this file: none may be a 5xx. */
const answers: Array<{ what: string; status: number }> = [];
function seen<T>(what: string, reply: Reply<T>): Reply<T> {
  answers.push({ what, status: reply.status });
  return reply;
}

afterAll(() => {
  expect(answers.filter((a) => a.status >= 500)).toEqual([]);
});

describe.each(TRANSPORTS)('attacks replayed on %s', (transport) => {
  let system: TestSystem;
  let seller: Client;
  const passwords = natsPasswordsFromEnv();
  const serverUrl = () => {
    const url = transport === 'stan' ? process.env.STAN_URL : process.env.NATS_URL;
    if (!url || !passwords) throw new Error('the jest global setup must start the stack with NATS identities');
    return natsEndpoint(url).servers.join(',');
  };
  /** A client holding one service's credentials, as an attacker who read that service's secret would. */
  const connectAs = (service: ServiceIdentityName): Promise<EventTransport> =>
    connectEventBus({
      transport,
      natsUrl: serverUrl(),
      user: BUS_IDENTITIES[service].user,
      password: passwords?.[BUS_IDENTITIES[service].user],
      clientName: `attacker-as-${service}-${transport}`,
      clusterId: process.env.STAN_CLUSTER_ID ?? 'ticketing',
      namespace: system.namespace,
    });

  /** The dead letters of this system, read as the admin (the operator's tool does the same). */
  const deadLetters = async (): Promise<DeadLetter[]> => {
    if (transport === 'jetstream') {
      const admin = await JetStreamTransport.connect({
        servers: String(process.env.NATS_URL),
        provision: false,
        ...jetStreamNames(system.namespace),
      });
      try {
        return await admin.listDeadLetters();
      } finally {
        await admin.close();
      }
    }
    const admin = await StanTransport.connect({
      url: String(process.env.STAN_URL),
      clusterId: process.env.STAN_CLUSTER_ID ?? 'ticketing',
      subjectPrefix: jetStreamNames(system.namespace).subjectPrefix,
      deadLetterPrefix: jetStreamNames(system.namespace).deadLetterPrefix,
    });
    try {
      return await admin.readDeadLetters(['orders-service'], [Subjects.TicketUpdated]);
    } finally {
      await admin.close();
    }
  };

  beforeAll(async () => {
    system = await startTestSystem({ transport, env: { auth: { SIGNIN_FAILURES_BEFORE_LOCKOUT: '3' } } });
    seller = await signedUpClient(system.gatewayUrl, 'seller');
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  it('When a client connects without credentials or with a wrong password, then the server refuses it', async () => {
    if (transport === 'jetstream') {
      await expect(connect({ servers: serverUrl(), reconnect: false })).rejects.toThrow(/Authorization Violation/);
      await expect(connect({ servers: serverUrl(), user: 'tickets', pass: 'guessed', reconnect: false })).rejects.toThrow(
        /Authorization Violation/,
      );
    } else {
      const anonymous = { url: serverUrl(), clusterId: process.env.STAN_CLUSTER_ID ?? 'ticketing', clientId: 'anonymous' };
      await expect(StanTransport.connect(anonymous)).rejects.toThrow(/Authorization Violation/);
      await expect(StanTransport.connect({ ...anonymous, user: 'tickets', pass: 'guessed' })).rejects.toThrow(/Authorization Violation/);
    }
  });

  it("When one service's identity forges another service's events, then the server refuses them and the real events still apply", async () => {
    const ticket = seen('create', await seller.post<TicketBody>('/api/tickets', { title: 'Concert', price: 40 })).body;
    await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, { description: 'the replica' });
    const { source } = await ticketPair(system, ticket.id);

    const asOrders = await connectAs('orders');
    const asTickets = await connectAs('tickets');
    const asPayments = await connectAs('payments');
    /** On JetStream the refusal comes back with the publish; NATS Streaming never acknowledges a refused one. */
    const publishOutcome = async (bus: EventTransport, subject: string, data: unknown, messageId: string) => {
      const attempt = bus.publish(subject, json(data), { messageId });
      attempt.catch(() => undefined);
      return Promise.race([
        attempt.then(
          () => 'stored',
          (err: Error) => err.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('no acknowledgement'), 2_000)),
      ]);
    };
    const refusal = transport === 'jetstream' ? /Permissions Violation/ : /no acknowledgement|Permissions Violation/;
    try {
      // The forgery that cut a buyer's price to 0.01, with the message id the real next version carries.
      const cheap = { id: ticket.id, version: 1, title: 'Concert', price: 0.01, userId: String(source?.userId) };
      expect(await publishOutcome(asOrders, Subjects.TicketUpdated, cheap, `${Subjects.TicketUpdated}/${ticket.id}:1`)).toMatch(refusal);
      // The seller's real edit is version 1 too: applied, not dropped as a duplicate of the forgery.
      expect(seen('edit', await seller.put(`/api/tickets/${ticket.id}`, { title: 'Concert', price: 45 })).status).toBe(200);
      await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 1, { description: 'the real edit' });
      expect((await ticketPair(system, ticket.id)).replica).toMatchObject({ price: 45, version: 1 });

      const buyer = await signedUpClient(system.gatewayUrl, 'buyer');
      const order = seen('order', await buyer.post<{ id: string }>('/api/orders', { ticketId: ticket.id })).body;
      const confirmed = async () => (await buyer.get<{ status: string }>(`/api/orders/${order.id}`)).body.status === 'awaiting:payment';
      await waitFor(confirmed, { description: 'the order confirmed' });
      const held = await ticketPair(system, ticket.id);

      // The cancellation that freed a held ticket, and an order that does not exist, meant to lock a ticket.
      const cancel = { id: order.id, version: 1, status: 'cancelled', userId: 'x', expiresAt: new Date().toISOString() };
      expect(await publishOutcome(asTickets, Subjects.OrderUpdated, cancel, `${Subjects.OrderUpdated}/${order.id}:1`)).toMatch(refusal);
      const phantom = {
        id: new Types.ObjectId().toHexString(),
        version: 0,
        status: 'created',
        ticket: { id: ticket.id, price: 45, version: 1, placement: 2 },
      };
      expect(await publishOutcome(asPayments, Subjects.OrderCreated, phantom, `${Subjects.OrderCreated}/${phantom.id}:0`)).toMatch(refusal);

      // Nor may one service take over another's consumer.
      if (transport === 'jetstream') {
        const stolen = asOrders.subscribe(
          Subjects.OrderCreated,
          { queueGroup: 'tickets-service', ackWaitMs: 1_000, maxDeliver: 1 },
          async () => undefined,
        );
        await expect(stolen).rejects.toThrow(/Permissions Violation/);
      }

      await new Promise((resolve) => setTimeout(resolve, 500)); // what a forgery would have needed to land
      expect(await ticketPair(system, ticket.id)).toEqual(held);
      expect(await confirmed()).toBe(true);
    } finally {
      await Promise.all([asOrders.close(), asTickets.close(), asPayments.close()]);
    }
  });

  it('When a signed-out session token is replayed, then every service refuses it within a second, also after a restart', async () => {
    const user = new Client(system.gatewayUrl);
    const email = `victim-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const signup = await fetch(`${system.gatewayUrl}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });
    expect(signup.status).toBe(201);
    const stolenCookie = String(signup.headers.get('set-cookie')).split(';')[0];
    const thief = new Client(system.gatewayUrl, stolenCookie);
    const owner = new Client(system.gatewayUrl, stolenCookie);
    expect(seen('create', await thief.post('/api/tickets', { title: 'Before signout', price: 10 })).status).toBe(201);

    expect(seen('signout', await owner.post('/api/users/signout')).status).toBe(200);
    const signedOutAt = Date.now();
    /** What each service answers the replayed token. */
    const probes = async () => ({
      auth: seen('currentuser', await thief.get<{ currentUser: unknown }>('/api/users/currentuser')).body.currentUser,
      tickets: seen('tickets', await thief.post('/api/tickets', { title: 'After signout', price: 10 })).status,
      orders: seen('orders', await thief.get('/api/orders')).status,
      payments: seen('payments', await thief.post('/api/payments', { token: 'tok_visa', orderId: new Types.ObjectId().toHexString() }))
        .status,
    });
    const refusedEverywhere = { auth: null, tickets: 401, orders: 401, payments: 401 };
    await waitFor(async () => JSON.stringify(await probes()) === JSON.stringify(refusedEverywhere), {
      timeoutMs: 1_000,
      intervalMs: 50,
      description: 'every service to refuse the signed-out token',
    });
    const refusedAfterMs = Date.now() - signedOutAt;
    console.log(`signed-out token refused everywhere after ${refusedAfterMs} ms (${transport})`);
    expect(refusedAfterMs).toBeLessThanOrEqual(1_000);

    // A process that starts after the signout learns it from auth's list.
    await system.services.tickets.stop('SIGTERM', 15_000);
    await system.services.tickets.start();
    expect(await probes()).toEqual(refusedEverywhere);
    // auth's own processes resync the same way (its permissions let it ask, like every service).
    await system.services.auth.stop('SIGTERM', 15_000);
    await system.services.auth.start();
    expect(await probes()).toEqual(refusedEverywhere);
    expect(readFileSync(path.join(system.logDir, 'auth.log'), 'utf8')).not.toMatch(/Permissions Violation/);
    // The user signs in again: a new session works.
    expect(seen('signin', await user.post('/api/users/signin', { email, password: 'correct horse battery' })).status).toBe(200);
    expect(seen('create', await user.post('/api/tickets', { title: 'New session', price: 10 })).status).toBe(201);
  });

  it('When one account is guessed at, then sign-in answers 429 with Retry-After, even with the right password', async () => {
    const victim = await signedUpClient(system.gatewayUrl, 'guessed');
    const { currentUser } = (await victim.get<{ currentUser: { email: string } }>('/api/users/currentuser')).body;
    const guesser = new Client(system.gatewayUrl);
    for (let i = 0; i < 3; i++) {
      expect(seen('guess', await guesser.post('/api/users/signin', { email: currentUser.email, password: `guess-${i}` })).status).toBe(400);
    }
    const locked = await fetch(`${system.gatewayUrl}/api/users/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: currentUser.email, password: 'correct horse battery' }),
    });
    answers.push({ what: 'locked signin', status: locked.status });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('When junk and an oversized event are published on an allowed subject, then each is dead-lettered once, bounded, and no ticket changes', async () => {
    const ticket = seen('create', await seller.post<TicketBody>('/api/tickets', { title: 'Untouched', price: 25 })).body;
    await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, { description: 'the replica' });
    const before = await ticketPair(system, ticket.id);

    const asTickets = await connectAs('tickets');
    try {
      const junk = Array.from({ length: 20 }, (_, i) => ({ id: `junk-${i}`, version: 'x' }));
      for (const [i, body] of junk.entries()) await asTickets.publish(Subjects.TicketUpdated, json(body), { messageId: `junk-${i}` });
      const huge = { id: ticket.id, version: 1, title: 'x'.repeat(60_000), price: 1, userId: String(before.source?.userId) };
      await asTickets.publish(Subjects.TicketUpdated, json(huge), { messageId: 'huge' });

      const letters = await waitFor(
        async () => {
          const all = (await deadLetters()).filter((l) => l.subject === Subjects.TicketUpdated && l.queueGroup === 'orders-service');
          return all.length >= junk.length + 1 ? all : undefined;
        },
        { timeoutMs: 30_000, description: 'the dead letters' },
      );
      expect(letters).toHaveLength(junk.length + 1);
      for (const letter of letters) expect(letter.deliveryCount).toBe(1);
      const oversized = letters.find((l) => (l.payloadBytes ?? 0) > 60_000);
      expect(oversized).toMatchObject({ isTruncated: true, payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(Buffer.byteLength(oversized?.payload ?? '')).toBeLessThanOrEqual(16 * 1024);

      const after = await ticketPair(system, ticket.id);
      // The same ticket (its sent events aside, which the relay removes meanwhile).
      const { pendingEvents: _sent, ...unchanged } = before.source as Record<string, unknown>;
      expect(after.source).toMatchObject(unchanged);
      expect(after.replica).toMatchObject({ price: 25, version: 0, title: 'Untouched' });
    } finally {
      await asTickets.close();
    }
  });
});
