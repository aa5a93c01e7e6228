import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICES, type ServiceName } from '@ticketing/launcher/system';
import { repoRoot } from '@ticketing/stack/paths';
import { freePort } from '@ticketing/stack/ports';
import { waitFor } from '@ticketing/stack/wait-for';
import type { TransportKind } from '@ticketing/testkit/bus';
import { newUser, sessionCookie, testSessionKeys } from '@ticketing/testkit/session';
import mongoose from 'mongoose';
import { Client, type OrderBody, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * SIGTERM on the real service processes: each one stops accepting connections, finishes the request in
 * flight, drains its listeners, flushes its outbox, closes NATS and Mongo, and exits 0 within the bound.
 *
 * The request in flight is made deterministic with `Expect: 100-continue`: the service's `100 Continue`
 * proves its handler is running (waiting for the body); the body is sent only once the port refuses new
 * connections, i.e. once the shutdown has visibly begun. The request then has to complete normally.
 */

/** The services' own bound on the whole stop sequence (Shutdown's default). */
const SHUTDOWN_BOUND_MS = 10_000;

/** The system of the describe block running now. */
let system: TestSystem;

interface HeldReply<T> {
  status: number;
  body: T;
  /** The response's Connection header: `close` tells a keep-alive client not to reuse the connection. */
  connection?: string;
}

interface HeldRequest<T> {
  /** Resolves once the service answered `100 Continue`: its handler is running, waiting for the body. */
  received: Promise<void>;
  /** Sends the body and resolves with the response. */
  finish(): Promise<HeldReply<T>>;
}

/** A JSON request to a service's own port whose body is held back until `finish()`. */
function holdRequest<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  cookie?: string,
): HeldRequest<T> {
  const payload = JSON.stringify(body);
  const req = http.request(new URL(path, baseUrl), {
    method,
    agent: new http.Agent({ keepAlive: true }), // like a gateway: the connection would be reused
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      expect: '100-continue',
      ...(cookie ? { cookie } : {}),
    },
  });
  const response = new Promise<HeldReply<T>>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, connection: res.headers.connection }),
      );
    });
  });
  const received = new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    response.then((r) => reject(new Error(`answered ${r.status} before reading the body`)), reject);
  });
  req.flushHeaders();
  return {
    received,
    finish: () => {
      req.end(payload);
      return response;
    },
  };
}

/** True when nothing listens on the service's port any more (a new connection is refused). */
function isRefused(baseUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

interface Stopped<T> {
  exitCode: number | null;
  elapsedMs: number;
  reply: HeldReply<T>;
}

/**
 * Sends SIGTERM to `service` while `request` is in flight, lets `duringShutdown` act once the service has
 * stopped accepting connections, then releases the request and waits for the process to exit.
 */
async function stopDuring<T>(
  service: ServiceName,
  request: HeldRequest<T>,
  { signals = ['SIGTERM'], duringShutdown }: { signals?: NodeJS.Signals[]; duringShutdown?: () => void } = {},
): Promise<Stopped<T>> {
  await request.received;
  const managed = system.services[service];
  const startedAt = Date.now();
  for (const signal of signals.slice(0, -1)) managed.signal(signal);
  // The harness would SIGKILL after its grace: give it more than the service's own bound.
  const exited = managed.stop(signals[signals.length - 1], SHUTDOWN_BOUND_MS + 5_000);
  await waitFor(() => isRefused(system.urls[service]), { description: `${service} to stop accepting connections` });
  duringShutdown?.();
  const reply = await request.finish();
  const exitCode = await exited;
  return { exitCode, elapsedMs: Date.now() - startedAt, reply };
}

/** A seller and a buyer as tickets and orders know them: a session signed with the system's key. */
function session(name: string) {
  const cookie = sessionCookie(newUser(name), system.sessionKeys);
  return { cookie, client: new Client(system.gatewayUrl, cookie) };
}

async function listTicket(seller: Client, title: string, price: number): Promise<TicketBody> {
  const res = await seller.post<TicketBody>('/api/tickets', { title, price });
  expect(res.status).toBe(201);
  return res.body;
}

async function replicaAt(ticketId: string, version: number) {
  return waitFor(
    async () => {
      const pair = await ticketPair(system, ticketId);
      return pair.replica?.version === version ? pair : undefined;
    },
    { description: `orders' replica of ${ticketId} at version ${version}`, timeoutMs: 20_000 },
  );
}

describe.each<TransportKind>(['jetstream', 'stan'])('graceful shutdown of the real service processes on %s', (transport) => {
  beforeAll(async () => {
    system = await startTestSystem({ transport });
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  it('When auth gets SIGINT then SIGTERM (Ctrl-C under npm start) during a signup, then the signup completes and auth exits 0 within the bound', async () => {
    const email = `late-${Date.now()}@example.com`;
    const signup = holdRequest<{ id: string; email: string }>(system.urls.auth, 'POST', '/api/users/signup', {
      email,
      password: 'correct horse battery',
    });

    const stopped = await stopDuring('auth', signup, { signals: ['SIGINT', 'SIGTERM'] });

    expect(stopped.reply).toMatchObject({ status: 201, body: { email }, connection: 'close' });
    expect(stopped.exitCode).toBe(0);
    expect(stopped.elapsedMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await isRefused(system.urls.auth)).toBe(true);

    await system.services.auth.start();
    const signin = await new Client(system.gatewayUrl).post('/api/users/signin', { email, password: 'correct horse battery' });
    expect(signin.status).toBe(200); // the user written during the shutdown is there
  }, 60_000);

  it('When tickets gets SIGTERM right after an edit and during another, then both complete, their events are published and tickets exits 0 within the bound', async () => {
    const seller = session('seller');
    const [before, during] = [await listTicket(seller.client, 'Opera', 50), await listTicket(seller.client, 'Jazz', 30)];
    await Promise.all([replicaAt(before.id, 0), replicaAt(during.id, 0)]);
    const edit = holdRequest<TicketBody>(
      system.urls.tickets,
      'PUT',
      `/api/tickets/${during.id}`,
      { title: 'Jazz (late)', price: 35 },
      seller.cookie,
    );
    await edit.received;
    const committed = await seller.client.put<TicketBody>(`/api/tickets/${before.id}`, { title: 'Opera (moved)', price: 55 });
    expect(committed.status).toBe(200);

    const stopped = await stopDuring('tickets', edit);

    expect(stopped.reply).toMatchObject({ status: 200, body: { id: during.id, version: 1, price: 35 }, connection: 'close' });
    expect(stopped.exitCode).toBe(0);
    expect(stopped.elapsedMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await isRefused(system.urls.tickets)).toBe(true);
    // The relay flushed before NATS closed: nothing pending in tickets' database, and orders (still
    // running) hears both edits.
    for (const ticket of [before, during]) {
      const { source } = await ticketPair(system, ticket.id);
      expect(source).toMatchObject({ version: 1, pendingEvents: [] });
    }
    expect((await replicaAt(before.id, 1)).replica).toMatchObject({ title: 'Opera (moved)', price: 55 });
    expect((await replicaAt(during.id, 1)).replica).toMatchObject({ title: 'Jazz (late)', price: 35 });

    await system.services.tickets.start();
  }, 60_000);

  it('When orders gets SIGTERM during an order while ticket events keep arriving, then the order completes, orders exits 0 within the bound and after a restart its replica has every event', async () => {
    const seller = session('seller');
    const buyer = session('buyer');
    const wanted = await listTicket(seller.client, 'Cup final', 80);
    const edited = await Promise.all(Array.from({ length: 20 }, (_, i) => listTicket(seller.client, `Match ${i}`, 20 + i)));
    await Promise.all([wanted, ...edited].map((t) => replicaAt(t.id, 0)));
    const order = holdRequest<OrderBody>(system.urls.orders, 'POST', '/api/orders', { ticketId: wanted.id }, buyer.cookie);

    // Edits land while orders is stopping: some are handled before its listeners stop, some were buffered
    // (nak'd back), some arrive after: none may be lost.
    let edits: Promise<Array<{ status: number }>> = Promise.resolve([]);
    const stopped = await stopDuring('orders', order, {
      duringShutdown: () => {
        edits = Promise.all(
          edited.map((t) => seller.client.put(`/api/tickets/${t.id}`, { title: `${t.title} (rescheduled)`, price: t.price + 1 })),
        );
      },
    });

    expect(stopped.reply).toMatchObject({ status: 201, body: { status: 'created', ticket: { id: wanted.id } }, connection: 'close' });
    expect(stopped.exitCode).toBe(0);
    expect(stopped.elapsedMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await isRefused(system.urls.orders)).toBe(true);
    expect((await edits).map((r) => r.status)).toEqual(edited.map(() => 200));
    // orders' relay flushed too: the order's event is out, and tickets reserves the ticket.
    const stored = await system.db.orders.collection('orders').findOne({ _id: new mongoose.Types.ObjectId(stopped.reply.body.id) });
    expect(stored?.pendingEvents).toEqual([]);
    await waitFor(async () => (await seller.client.get<TicketBody>(`/api/tickets/${wanted.id}`)).body.orderId === stopped.reply.body.id, {
      description: 'tickets to reserve the ticket',
    });

    await system.services.orders.start();
    for (const ticket of edited) {
      const { source, replica } = await replicaAt(ticket.id, 1);
      expect(replica).toMatchObject({ title: source?.title, price: source?.price, version: source?.version });
    }
  }, 60_000);
});

describe('SIGTERM while a service is still starting', () => {
  it.each(SERVICES.map((s) => s.name))(
    'When %s gets SIGTERM before it could reach its database, then it stops there and exits 0 at once',
    async (name) => {
      const nothingListens = await freePort();
      const child = spawn(process.execPath, [path.join(repoRoot, name, 'dist', 'index.js')], {
        env: {
          ...process.env,
          PORT: String(await freePort()),
          MONGO_URL: `mongodb://127.0.0.1:${nothingListens}/startup`, // server selection waits here for 10 s
          NATS_URL: process.env.NATS_URL,
          JWT_PRIVATE_KEY: testSessionKeys.privateKey,
          JWT_PUBLIC_KEYS: testSessionKeys.publicKeys,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const messages: string[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => messages.push((JSON.parse(line) as { msg: string }).msg));
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      try {
        await waitFor(() => messages.includes('starting'), { description: `${name} to start`, timeoutMs: 15_000 });
        const startedAt = Date.now();
        child.kill('SIGTERM');
        const [code, signal] = await exited;

        expect({ code, signal }).toEqual({ code: 0, signal: null });
        expect(Date.now() - startedAt).toBeLessThan(SHUTDOWN_BOUND_MS);
        expect(messages).toEqual(['starting', 'shutting down', 'stopped']);
      } finally {
        child.kill('SIGKILL');
      }
    },
    30_000,
  );
});
