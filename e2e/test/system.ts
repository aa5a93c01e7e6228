import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningSystem, type SystemOptions, startSystem } from '@ticketing/launcher/system';
import { natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import mongoose, { type Connection } from 'mongoose';

export interface TestSystem extends RunningSystem {
  namespace: string;
  /** Direct, read-only use of each service's database (sources and replicas). */
  db: { tickets: Connection; orders: Connection; payments: Connection };
  logDir: string;
  shutdown(): Promise<void>;
}

/** Starts auth, tickets, orders and payments as real processes on the run's servers, in their own namespace. */
export async function startTestSystem(overrides: Partial<SystemOptions> = {}): Promise<TestSystem> {
  const namespace = `e2e${randomBytes(3).toString('hex')}`;
  const logDir = mkdtempSync(path.join(os.tmpdir(), `${namespace}-logs-`));
  const isStan = overrides.transport === 'stan';
  const natsUrl = overrides.natsUrl ?? (isStan ? process.env.STAN_URL : process.env.NATS_URL);
  const clusterId = isStan ? process.env.STAN_CLUSTER_ID : undefined;
  const mongoUrl = process.env.MONGO_URL;
  if (!natsUrl || !mongoUrl) throw new Error('NATS_URL and MONGO_URL must be set by the jest global setup');
  // Every test client comes from 127.0.0.1: lift auth's per-IP limits, the bound on queued password checks
  // and the account lockout unless a test sets its own (auth's own tests cover them).
  const liftedLimits = {
    RATE_LIMIT_PER_MINUTE: '1000000',
    HASHES_IN_FLIGHT_PER_CLIENT: '1000',
    HASHES_QUEUED: '1000000',
    SIGNIN_FAILURES_BEFORE_LOCKOUT: '1000000',
  };
  const env = {
    ...overrides.env,
    auth: { ...liftedLimits, ...overrides.env?.auth },
    // One test buyer places many orders: the cap on active orders is orders' own tests' business.
    orders: { MAX_ACTIVE_ORDERS_PER_BUYER: '100000', ...overrides.env?.orders },
  };
  const natsPasswords = natsPasswordsFromEnv();
  const system = await startSystem({ natsUrl, mongoUrl, natsPasswords, namespace, logDir, clusterId, ...overrides, env });
  const [tickets, orders, payments] = await Promise.all([
    mongoose.createConnection(system.databases.tickets, { maxPoolSize: 1 }).asPromise(),
    mongoose.createConnection(system.databases.orders, { maxPoolSize: 1 }).asPromise(),
    mongoose.createConnection(system.databases.payments, { maxPoolSize: 1 }).asPromise(),
  ]);
  return {
    ...system,
    namespace,
    logDir,
    db: { tickets, orders, payments },
    shutdown: async () => {
      await system.stop();
      await Promise.all([tickets.dropDatabase(), orders.dropDatabase(), payments.dropDatabase()]).catch(() => undefined);
      await Promise.all([tickets.close(), orders.close(), payments.close()]);
      if (!process.env.KEEP_STACK_DATA) rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** The source ticket (tickets' database) and orders' replica of it. */
export async function ticketPair(system: TestSystem, id: string) {
  const _id = new mongoose.Types.ObjectId(id);
  const [source, replica] = await Promise.all([
    system.db.tickets.collection('tickets').findOne({ _id }),
    system.db.orders.collection('tickets').findOne({ _id }),
  ]);
  return { source, replica };
}
