import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { jetStreamNames } from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { stderrLog } from '@ticketing/stack/log';
import { type MongoServer, startOwnMongo } from '@ticketing/stack/mongo';
import { type NatsCluster, startNatsCluster } from '@ticketing/stack/nats';
import { adminUrl, natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import { waitFor } from '@ticketing/stack/wait-for';
import mongoose from 'mongoose';
import { signedUpClient } from './client';
import { awaitConvergence, redeliveries, streamVersionViolations } from './fault/invariants';
import { LoadGenerator } from './fault/load';
import { startTestSystem, type TestSystem } from './system';

/**
 * The fault suite's load and invariants on a 3-node JetStream cluster with streams of 3 copies, while the
 * cluster loses servers: SIGKILL the server leading the EVENTS stream and restart it, then SIGKILL another,
 * then freeze one (SIGSTOP) for longer than the clients' timeouts. Nothing may be lost, doubled or sold
 * twice, and the services find a surviving server by themselves. It prints its figures: how long each
 * election took, how long events waited to be published, how long until the system converged.
 */
const ORDER_EXPIRATION_SECONDS = 4;
/** Longer than a client needs to give up on a silent server (9–12 s: three unanswered pings 3 s apart). */
const FREEZE_MS = 20_000;
/** Pacing between faults: the shape of the load, not a wait for a condition. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const natsPasswords = natsPasswordsFromEnv();
const asAdmin = (url: string) => adminUrl(url, natsPasswords);
let dir: string;
let cluster: NatsCluster;
let mongo: MongoServer;
let system: TestSystem;
let bus: JetStreamTransport;
/** Asks who leads with a short timeout (see `eventsLeader`). */
let quickManager: JetStreamManager;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-fault-'));
  [cluster, mongo] = await Promise.all([startNatsCluster(dir, stderrLog, 3, natsPasswords), startOwnMongo(dir, stderrLog)]);
  system = await startTestSystem({
    natsUrl: asAdmin(cluster.url),
    streamReplicas: cluster.replicas,
    mongoUrl: mongo.url,
    env: { orders: { ORDER_EXPIRATION_SECONDS: String(ORDER_EXPIRATION_SECONDS), EXPIRY_SWEEP_INTERVAL_MS: '250' } },
  });
  bus = await JetStreamTransport.connect({ servers: asAdmin(cluster.url), provision: false, ...jetStreamNames(system.namespace) });
  quickManager = await jetstreamManager(bus.connection, { timeout: 250, checkAPI: false });
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await system?.shutdown();
  await Promise.allSettled([...(cluster?.members ?? []).map((m) => m.process.stop()), mongo?.stop()]);
  if (!process.env.KEEP_STACK_DATA) rmSync(dir, { recursive: true, force: true });
});

/**
 * The server leading the EVENTS stream, as JetStream reports it (undefined during an election). Asked with a
 * short timeout: during an election the request goes unanswered, and the default 5 s would round every
 * election time up to a multiple of it.
 */
async function eventsLeader(): Promise<string | undefined> {
  const info = await quickManager.streams.info(bus.streamName).catch(() => undefined);
  return info?.cluster?.leader || undefined;
}

/** Waits until a server other than `former` leads the stream; returns how long that took from `since`. */
async function electionMs(former: string, since: number): Promise<number> {
  await waitFor(
    async () => {
      const leader = await eventsLeader();
      return leader !== undefined && leader !== former;
    },
    { description: `a new leader of the EVENTS stream after ${former}`, timeoutMs: 60_000, intervalMs: 100 },
  );
  return Date.now() - since;
}

/**
 * A seller creating one ticket every 100 ms through the gateway, beside the load. For each ticket it notes when
 * the 201 came, when tickets' outbox no longer held its event (the server acknowledged the publish) and when
 * orders' replica had it: the figures of how long a node loss makes events wait.
 */
type ProbeSample = { at: number; publishedMs?: number; appliedMs?: number };

class Probe {
  readonly samples: ProbeSample[] = [];
  private isStopped = false;
  private stoppedAt = 0;
  private loops: Promise<void>[] = [];

  async start(gatewayUrl: string): Promise<void> {
    const seller = await signedUpClient(gatewayUrl, 'probe');
    const outstanding = new Map<string, ProbeSample>();
    let isCreating = true;
    const create = async () => {
      while (!this.isStopped) {
        const res = await seller.post<{ id: string }>('/api/tickets', { title: 'probe', price: 10 }).catch(() => undefined);
        if (res?.status === 201) {
          const sample = { at: Date.now() };
          this.samples.push(sample);
          outstanding.set(res.body.id, sample);
        }
        await pause(100);
      }
      isCreating = false;
    };
    const watch = async () => {
      // After stop, follows the outstanding tickets for at most a minute (the test then reports the missing ones).
      while (isCreating || (outstanding.size > 0 && Date.now() - this.stoppedAt < 60_000)) {
        for (const [id, sample] of outstanding) {
          const _id = new mongoose.Types.ObjectId(id);
          if (sample.publishedMs === undefined) {
            const source = await system.db.tickets.collection('tickets').findOne({ _id }, { projection: { pendingEvents: 1 } });
            if (source && source.pendingEvents.length === 0) sample.publishedMs = Date.now() - sample.at;
          }
          if (await system.db.orders.collection('tickets').findOne({ _id }, { projection: { _id: 1 } })) {
            sample.appliedMs = Date.now() - sample.at;
            sample.publishedMs ??= sample.appliedMs;
            outstanding.delete(id);
          }
        }
        await pause(50);
      }
    };
    this.loops = [create(), watch()];
  }

  /** The longest waits among tickets created in [from, to). */
  worst(from: number, to: number): { tickets: number; publishWaitMs: number; appliedAfterMs: number } {
    const window = this.samples.filter((s) => s.at >= from && s.at < to);
    return {
      tickets: window.length,
      publishWaitMs: Math.max(0, ...window.map((s) => s.publishedMs ?? Number.POSITIVE_INFINITY)),
      appliedAfterMs: Math.max(0, ...window.map((s) => s.appliedMs ?? Number.POSITIVE_INFINITY)),
    };
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.stoppedAt = Date.now();
    await Promise.all(this.loops);
  }
}

describe('cluster fault test', () => {
  it('When the cluster loses its stream leader, another server, and a frozen one under load, then nothing is lost, doubled or sold twice', async () => {
    const memberNamed = (name: string) => {
      const member = cluster.members.find((m) => m.name === name);
      if (!member) throw new Error(`no cluster member named ${name}`);
      return member;
    };
    const load = new LoadGenerator(system.gatewayUrl, { users: 8, workers: 6, maxRequests: 20_000 });
    const probe = new Probe();
    await load.start();
    await probe.start(system.gatewayUrl);
    const faults: Array<{ fault: string; server: string; electionMs: number; from: number; to?: number }> = [];
    const leaderNow = async () => waitFor(eventsLeader, { description: 'a leader of the EVENTS stream', timeoutMs: 60_000 });

    await pause(3_000);
    // 1. SIGKILL the leader, then restart it (its file store is kept).
    const first = await leaderNow();
    let from = Date.now();
    await memberNamed(first).process.kill();
    faults.push({ fault: 'SIGKILL the EVENTS leader', server: first, electionMs: await electionMs(first, from), from });
    await pause(3_000);
    await memberNamed(first).process.start();
    await pause(3_000);

    // 2. SIGKILL another server: the leader now, unless leadership went back to the first one.
    const current = await leaderNow();
    const second = current !== first ? current : (cluster.members.find((m) => m.name !== first)?.name ?? current);
    from = Date.now();
    await memberNamed(second).process.kill();
    faults.push({
      fault: 'SIGKILL another server',
      server: second,
      electionMs: second === current ? await electionMs(second, from) : 0,
      from,
    });
    await pause(3_000);
    await memberNamed(second).process.start();
    await pause(3_000);

    // 3. Freeze the leader for longer than the clients wait for it, then let it go on.
    const frozen = await leaderNow();
    from = Date.now();
    memberNamed(frozen).process.signal('SIGSTOP');
    try {
      faults.push({
        fault: `SIGSTOP the EVENTS leader for ${FREEZE_MS} ms`,
        server: frozen,
        electionMs: await electionMs(frozen, from),
        from,
      });
      await pause(Math.max(0, FREEZE_MS - (Date.now() - from)));
    } finally {
      memberNamed(frozen).process.signal('SIGCONT');
    }
    await pause(3_000);
    await probe.stop();
    await load.stop();
    for (const [i, fault] of faults.entries()) fault.to = faults[i + 1]?.from ?? Date.now();

    const convergedMs = await awaitConvergence(system, load.ledger);

    const stream = await streamVersionViolations(bus);
    const deadLetters = await bus.listDeadLetters();
    const info = await bus.manager.streams.info(bus.streamName);
    const figures = {
      faults: faults.map(({ fault, server, electionMs, from, to }) => ({ fault, server, electionMs, ...probe.worst(from, to ?? from) })),
      beforeFaults: probe.worst(0, faults[0]?.from ?? 0),
      requests: load.figures.requests,
      status: load.figures.byStatus,
      networkErrors: load.figures.networkErrors,
      ticketsCreated: load.ledger.tickets.size + probe.samples.length,
      ordersCreated: load.ledger.orders.size,
      ordersPaid: load.ledger.payments.size,
      eventsPublished: stream.messages,
      streamReplicas: info.config.num_replicas,
      redeliveries: await redeliveries(bus),
      deadLetters: deadLetters.length,
      convergedMs,
    };
    process.stdout.write(`\ncluster fault test figures: ${JSON.stringify(figures, null, 2)}\n`);

    expect(info.config.num_replicas).toBe(3);
    expect(stream.problems).toEqual([]);
    expect(deadLetters).toEqual([]);
    // Every probe ticket reached orders' replica (the convergence check covers the load's own tickets too).
    expect(probe.samples.filter((s) => s.appliedMs === undefined)).toEqual([]);
    expect(figures.ticketsCreated).toBeGreaterThan(50);
    expect(figures.ordersCreated).toBeGreaterThan(10);
    expect(figures.ordersPaid).toBeGreaterThan(0);
  }, 300_000);
});
