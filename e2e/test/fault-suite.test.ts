import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetStreamNames } from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { stderrLog } from '@ticketing/stack/log';
import { type MongoServer, startOwnMongo } from '@ticketing/stack/mongo';
import { type NatsServer, startNats } from '@ticketing/stack/nats';
import { adminUrl, natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import { awaitConvergence, redeliveries, streamVersionViolations } from './fault/invariants';
import { LoadGenerator } from './fault/load';
import { startTestSystem, type TestSystem } from './system';

/**
 * The fault suite: load through the gateway (many users creating, editing, buying, paying and cancelling
 * tickets, orders expiring after a few seconds) while every part fails in turn — each service killed
 * with SIGKILL and restarted, the NATS server restarted (its file store survives), the Mongo-compatible
 * server restarted, and orders frozen (SIGSTOP) for longer than its ackWait. Then the system must
 * converge: replicas equal sources, reservations match orders, every active order at its ticket's price,
 * complete orders paid once and cancelled ones refunded, nothing sold twice, no 2xx lost, every
 * event stored once with versions strictly +1, and no dead letters. It prints its figures.
 */
const ORDER_EXPIRATION_SECONDS = 4;
const LISTENER_ACK_WAIT_MS = 10_000; // the Listener default
/** Pacing between faults: the shape of the load, not a wait for a condition. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This file's own NATS server admits the same identities as the run's (services connect as themselves). */
const natsPasswords = natsPasswordsFromEnv();
const asAdmin = (url: string) => adminUrl(url, natsPasswords);
let dir: string;
let nats: NatsServer;
let mongo: MongoServer;
let system: TestSystem;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fault-suite-'));
  [nats, mongo] = await Promise.all([startNats(dir, stderrLog, natsPasswords), startOwnMongo(dir, stderrLog)]);
  system = await startTestSystem({
    natsUrl: asAdmin(nats.url),
    mongoUrl: mongo.url,
    env: { orders: { ORDER_EXPIRATION_SECONDS: String(ORDER_EXPIRATION_SECONDS), EXPIRY_SWEEP_INTERVAL_MS: '250' } },
  });
}, 120_000);

afterAll(async () => {
  await system?.shutdown();
  await Promise.allSettled([nats?.process.stop(), mongo?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('fault suite', () => {
  it('When every part fails in turn under load, then the system converges with nothing lost, doubled or sold twice', async () => {
    const load = new LoadGenerator(system.gatewayUrl, { users: 8, workers: 6, maxRequests: 20_000 });
    await load.start();
    const faults: string[] = [];
    const fault = async (name: string, action: () => Promise<void>) => {
      faults.push(name);
      await action();
      await pause(2_000);
    };

    await pause(3_000);
    for (const service of ['tickets', 'orders', 'payments', 'auth'] as const) {
      await fault(`SIGKILL ${service}, restart`, async () => {
        await system.services[service].kill();
        await pause(500);
        await system.services[service].start();
      });
    }
    await fault('restart NATS (file store kept)', async () => {
      await nats.process.stop();
      await nats.process.start();
    });
    if (mongo.restart) await fault(`restart ${mongo.kind}`, mongo.restart);
    await fault(`SIGSTOP orders for ${LISTENER_ACK_WAIT_MS + 2_000} ms (beyond ackWait), SIGCONT`, async () => {
      system.services.orders.signal('SIGSTOP');
      await pause(LISTENER_ACK_WAIT_MS + 2_000);
      system.services.orders.signal('SIGCONT');
    });
    await pause(3_000);
    await load.stop();

    const convergedMs = await awaitConvergence(system, load.ledger);

    const bus = await JetStreamTransport.connect({ servers: asAdmin(nats.url), ...jetStreamNames(system.namespace) });
    try {
      const stream = await streamVersionViolations(bus);
      const deadLetters = await bus.listDeadLetters();
      const figures = {
        faults,
        requests: load.figures.requests,
        status: load.figures.byStatus,
        '2xx': Object.entries(load.figures.byStatus)
          .filter(([s]) => s.startsWith('2'))
          .reduce((sum, [, n]) => sum + n, 0),
        networkErrors: load.figures.networkErrors,
        ticketsCreated: load.ledger.tickets.size,
        ordersCreated: load.ledger.orders.size,
        ordersPaid: load.ledger.payments.size,
        eventsPublished: stream.messages,
        redeliveries: await redeliveries(bus),
        deadLetters: deadLetters.length,
        convergedMs,
      };
      process.stdout.write(`\nfault suite figures: ${JSON.stringify(figures, null, 2)}\n`);

      expect(stream.problems).toEqual([]);
      expect(deadLetters).toEqual([]);
      expect(figures.ticketsCreated).toBeGreaterThan(20);
      expect(figures.ordersCreated).toBeGreaterThan(10);
      expect(figures.ordersPaid).toBeGreaterThan(0);
    } finally {
      await bus.close();
    }
  }, 300_000);
});
