/**
 * A system under test: one version of auth, tickets and orders (the current tree or the baseline
 * worktree) running on the shared stack in its own namespace, with what the bench needs around it:
 * direct database access for seeding and checks, JetStream counts, users and tokens, pause and resume.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { type RunningSystem, type ServiceName, startSystem } from '@ticketing/launcher/system';
import { waitFor } from '@ticketing/stack/wait-for';
import { sessionToken } from '@ticketing/testkit/session';
import jwt from 'jsonwebtoken';
import { type Db, type MongoClient, ObjectId } from 'mongodb';
import { type CommonApi, loadCommon, type WireNames, wireNames } from './common-api';
import { nowMs } from './stats';

export type TargetName = 'current' | 'baseline';

export interface BenchUser {
  id: string;
  email: string;
  /** `Bearer <jwt>` signed with the system's key. */
  authorization: string;
}

/** Shared by every target: the stack's URLs and the bench's own connections to it. */
export interface BenchContext {
  natsUrl: string;
  mongoUrl: string;
  mongo: MongoClient;
  jsm: JetStreamManager;
  js: JetStreamClient;
  /** Where the services' logs go (removed at the end unless KEEP_STACK_DATA is set). */
  logDir: string;
  /** The stack's stripe-mock, for payments (in versions that have it). */
  stripe?: { apiBase: string; secretKey: string };
}

export interface Target {
  name: TargetName;
  /** e.g. `63ec4e2 (working tree, 12 files changed)`. */
  label: string;
  root: string;
  namespace: string;
  system: RunningSystem;
  api: CommonApi;
  wire: WireNames;
  db: { tickets: Db; orders: Db };
  seller: BenchUser;
  buyer: BenchUser;
  /** An account that exists, for signin. */
  member: { email: string; password: string };
  /** Ids of the seeded tickets, in insertion order. */
  seedIds: string[];
  isPaused: boolean;
}

export const PASSWORD = 'correct horse battery staple';

/** Auth's per-IP limits and lockout, lifted as the test systems lift them (every bench client is 127.0.0.1). */
const AUTH_ENV = {
  RATE_LIMIT_PER_MINUTE: '1000000',
  HASHES_IN_FLIGHT_PER_CLIENT: '1000',
  HASHES_QUEUED: '1000000',
  SIGNIN_FAILURES_BEFORE_LOCKOUT: '1000000',
};

function dbName(url: string): string {
  return new URL(url).pathname.replace(/^\//, '');
}

/**
 * A user with a session the target's services accept: ES256 from the system's key pair, or HS256 with the
 * shared key for a tree from before ES256 sessions (whose auth reads `JWT_KEY`).
 */
function user(name: string, system: RunningSystem, root: string): BenchUser {
  const id = randomBytes(12).toString('hex');
  const email = `${name}-${id.slice(0, 8)}@bench.example.com`;
  const usesKeyPair = readFileSync(path.join(root, 'auth', 'src', 'config.ts'), 'utf8').includes('JWT_PRIVATE_KEY');
  const token = usesKeyPair
    ? sessionToken({ id, email }, system.sessionKeys, 6 * 3600)
    : jwt.sign({ id, email }, system.jwtKey, { algorithm: 'HS256', expiresIn: 6 * 3600 });
  return { id, email, authorization: `Bearer ${token}` };
}

export async function startTarget(
  ctx: BenchContext,
  options: { name: TargetName; label: string; root: string; namespace: string },
): Promise<Target> {
  const api = loadCommon(options.root);
  const system = await startSystem({
    natsUrl: ctx.natsUrl,
    mongoUrl: ctx.mongoUrl,
    namespace: options.namespace,
    logDir: path.join(ctx.logDir, options.name),
    root: options.root,
    // One bench buyer places thousands of orders: no cap on active orders.
    env: { auth: AUTH_ENV, orders: { MAX_ACTIVE_ORDERS_PER_BUYER: '100000' } },
    ...(ctx.stripe ? { stripe: ctx.stripe } : {}),
  });
  const target: Target = {
    ...options,
    system,
    api,
    wire: wireNames(api, options.namespace),
    db: { tickets: ctx.mongo.db(dbName(system.databases.tickets)), orders: ctx.mongo.db(dbName(system.databases.orders)) },
    seller: user('seller', system, options.root),
    buyer: user('buyer', system, options.root),
    member: { email: `member-${randomBytes(4).toString('hex')}@bench.example.com`, password: PASSWORD },
    seedIds: [],
    isPaused: false,
  };
  try {
    const res = await fetch(`${system.urls.auth}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(target.member),
    });
    if (res.status !== 201) throw new Error(`signup of the signin user answered ${res.status}: ${await res.text()}`);
  } catch (err) {
    await system.stop();
    throw err;
  }
  return target;
}

/** Pauses the services (SIGSTOP) so that their periodic work does not take CPU from the system being measured. */
export function pause(target: Target): void {
  if (target.isPaused) return;
  for (const service of Object.values(target.system.services)) service.signal('SIGSTOP');
  target.isPaused = true;
}

/** Resumes the services and waits until each is ready again (its NATS connection may have been dropped meanwhile). */
export async function resume(target: Target): Promise<void> {
  for (const service of Object.values(target.system.services)) service.signal('SIGCONT');
  target.isPaused = false;
  for (const [name, url] of Object.entries(target.system.urls)) {
    const prefix = name === 'auth' ? '/api/users' : `/api/${name}`;
    await waitFor(async () => (await fetch(`${url}${prefix}/readyz`).catch(() => undefined))?.ok === true, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `${target.name} ${name} to be ready after resuming`,
    });
  }
}

/** The processes whose CPU and memory are reported. */
export function processesOf(target: Target): Record<string, number | undefined> {
  const { services } = target.system;
  return { auth: services.auth.pid, tickets: services.tickets.pid, orders: services.orders.pid };
}

// --- data -------------------------------------------------------------------------------------------

/**
 * A ticket as the tickets service stores it (tickets/src/models/ticket.ts). `orderVersions` is for versions
 * before 1.0, which kept it per ticket; later ones ignore it.
 */
function ticketDoc(_id: ObjectId, title: string, price: number, userId: string) {
  return { _id, title, price, userId, version: 0, orderVersions: {}, pendingEvents: [] };
}

/** Orders' replica of it (orders/src/models/ticket.ts). */
function replicaDoc(_id: ObjectId, title: string, price: number) {
  return { _id, title, price, version: 0 };
}

/** The seed documents' fields; a required schema field outside these is reported as a warning. */
const SEEDED_FIELDS = {
  'tickets/src/models/ticket.ts': ['title', 'price', 'userId', 'orderId', 'version', 'orderVersions', 'pendingEvents'],
  'orders/src/models/ticket.ts': ['title', 'price', 'version'],
};

/** Reads each model's schema source and names required fields the seeds do not write. */
export function checkSeedShapes(root: string): string[] {
  const warnings: string[] = [];
  for (const [file, fields] of Object.entries(SEEDED_FIELDS)) {
    let source: string;
    try {
      source = readFileSync(path.join(root, file), 'utf8');
    } catch {
      warnings.push(`${file} not found in ${root}: seed documents may not match its model`);
      continue;
    }
    for (const match of source.matchAll(/^\s+(\w+): \{[^}\n]*required: true/gm)) {
      const field = match[1];
      if (field && !fields.includes(field)) warnings.push(`${file} in ${root} requires "${field}", which the seed documents lack`);
    }
  }
  return warnings;
}

const BATCH = 1_000;

/** Inserts seed tickets (and their replicas) until `total` are seeded. */
export async function seedTickets(target: Target, total: number): Promise<void> {
  while (target.seedIds.length < total) {
    const start = target.seedIds.length;
    const count = Math.min(BATCH, total - start);
    const ids = Array.from({ length: count }, () => new ObjectId());
    const docs = ids.map((id, i) => ticketDoc(id, `seed ${start + i}`, 10 + ((start + i) % 90), target.seller.id));
    await Promise.all([
      target.db.tickets.collection('tickets').insertMany(docs, { ordered: false }),
      target.db.orders.collection('tickets').insertMany(
        docs.map((d) => replicaDoc(d._id, d.title, d.price)),
        { ordered: false },
      ),
    ]);
    target.seedIds.push(...ids.map((id) => id.toHexString()));
  }
}

/** Free tickets sold by the seller, present in the replica: one per order the bench will place. */
export async function insertPool(target: Target, count: number, title: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, () => new ObjectId());
    const docs = batch.map((id) => ticketDoc(id, title, 25, target.seller.id));
    await Promise.all([
      target.db.tickets.collection('tickets').insertMany(docs, { ordered: false }),
      target.db.orders.collection('tickets').insertMany(
        docs.map((d) => replicaDoc(d._id, d.title, d.price)),
        { ordered: false },
      ),
    ]);
    ids.push(...batch.map((id) => id.toHexString()));
  }
  return ids;
}

/** Removes what a run created: tickets (source and replica) with these titles, and optionally every order. */
export async function removeCreated(target: Target, titles: string[], orders = false): Promise<void> {
  const filter = { title: { $in: titles } };
  await Promise.all([
    target.db.tickets.collection('tickets').deleteMany(filter),
    target.db.orders.collection('tickets').deleteMany(filter),
    orders ? target.db.orders.collection('orders').deleteMany({}) : undefined,
  ]);
}

/** Removes tickets (source and replica) by `_id`, a few at a time, and optionally every order. */
export async function removeByIds(target: Target, ids: readonly string[], orders = false): Promise<void> {
  const tickets = target.db.tickets.collection('tickets');
  const replicas = target.db.orders.collection('tickets');
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const _id = new ObjectId(ids[next++]);
      await Promise.all([tickets.deleteOne({ _id }), replicas.deleteOne({ _id })]);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  if (orders) await target.db.orders.collection('orders').deleteMany({});
}

// --- events -----------------------------------------------------------------------------------------

/** Messages stored per event name in the system's stream. */
export async function eventCounts(ctx: BenchContext, target: Target): Promise<Record<string, number>> {
  const info = await ctx.jsm.streams.info(target.wire.streamName, { subjects_filter: '>' });
  const counts: Record<string, number> = {};
  for (const subject of ['ticket:created', 'ticket:updated', 'order:created', 'order:updated', 'reservation:decided']) {
    counts[subject] = info.state.subjects?.[target.wire.toWire(subject)] ?? 0;
  }
  return counts;
}

/** True when every consumer of the system's stream has nothing left to deliver or to be acknowledged. */
export async function consumersIdle(ctx: BenchContext, target: Target): Promise<boolean> {
  for await (const consumer of ctx.jsm.consumers.list(target.wire.streamName)) {
    if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) return false;
  }
  return true;
}

/**
 * Waits until at least `expected` more events of each name are stored than in `before` and every consumer
 * is idle, i.e. what the run caused has been published and applied. Resolves whether that happened
 * within `capMs`.
 */
export async function waitForEvents(
  ctx: BenchContext,
  target: Target,
  before: Record<string, number>,
  expected: Record<string, number>,
  capMs: number,
): Promise<boolean> {
  const deadline = nowMs() + capMs;
  for (;;) {
    const counts = await eventCounts(ctx, target);
    const published = Object.entries(expected).every(([subject, n]) => (counts[subject] ?? 0) - (before[subject] ?? 0) >= n);
    if (published && (await consumersIdle(ctx, target))) return true;
    if (nowMs() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Drops every stored event of the system (a backlog the bench will not wait for); consumers move past them. */
export async function purgeEvents(ctx: BenchContext, target: Target): Promise<void> {
  await ctx.jsm.streams.purge(target.wire.streamName);
}

// --- requests ---------------------------------------------------------------------------------------

/**
 * One request sent after a row's load: while the service still works off what the run queued (its event
 * loop and its database connections busy), it answers late, so an answer within `timeoutMs` means the
 * service is usable again. Resolves its latency in ms, or undefined if it did not answer in time.
 */
export async function drainProbe(target: Target, service: ServiceName, timeoutMs: number): Promise<number | undefined> {
  const base = target.system.urls[service];
  const unknownId = randomBytes(12).toString('hex');
  const request: { url: string; init: RequestInit } =
    service === 'tickets'
      ? { url: `${base}/api/tickets/${unknownId}`, init: {} }
      : service === 'orders'
        ? { url: `${base}/api/orders/${unknownId}`, init: { headers: { authorization: target.buyer.authorization } } }
        : {
            url: `${base}/api/users/signin`,
            init: {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ email: 'nobody@bench.example.com', password: 'not a password' }),
            },
          };
  const started = nowMs();
  try {
    const res = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return nowMs() - started;
  } catch {
    return undefined;
  }
}

/** Kills and restarts one service (its queued work is dropped with it). */
export async function restartService(target: Target, service: ServiceName): Promise<void> {
  const process = target.system.services[service];
  await process.stop('SIGKILL');
  await process.start();
}
