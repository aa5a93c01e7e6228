import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackLog } from './log';
import { type MongoServer, startMongo } from './mongo';
import { type NatsCluster, type NatsServer, startNats, startNatsCluster } from './nats';
import { adminUrl, type NatsPasswords, newNatsPasswords } from './nats-auth';
import { type StanServer, startStan } from './stan';
import { type StripeMockServer, startStripeMock } from './stripe-mock';

export interface StackOptions {
  /** Start nats-server with JetStream (default true). */
  jetstream?: boolean;
  /** Start nats-streaming-server (default false). */
  stan?: boolean;
  /** Start stripe-mock for the payments service (default true). */
  stripe?: boolean;
  /**
   * NATS servers admit only the configured identities (default true). Off only for the bench, whose baseline
   * is a tree from before NATS identities.
   */
  natsAuth?: boolean;
  /** JetStream on this many routed servers instead of one (`NATS_CLUSTER_SIZE`); streams get min(3, size) copies. */
  natsClusterSize?: number;
}

export interface Stack {
  nats?: NatsServer;
  stan?: StanServer;
  stripe?: StripeMockServer;
  mongo: MongoServer;
  /** Temp folder holding the servers' data and logs. */
  dir: string;
  /**
   * What the services and tests need to reach the servers. `NATS_URL`/`STAN_URL` carry the admin identity (for
   * tests and tools); `STACK_NATS_USERS` holds every identity's password (JSON) for starting services.
   */
  env: Record<string, string>;
  /** Every member of the JetStream cluster, when one was asked for (`nats` is then the first, `env.NATS_URL` lists all). */
  natsCluster?: NatsCluster;
  /** Each NATS identity's password; undefined when `natsAuth` is off. */
  natsPasswords?: NatsPasswords;
  describe(): string;
  stop(): Promise<void>;
}

/** Starts the servers asked for and a Mongo-compatible server; `stop` ends them all and removes their data. */
export async function startStack(log: StackLog, options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketing-stack-'));
  const natsPasswords = options.natsAuth === false ? undefined : newNatsPasswords();
  let nats: NatsServer | undefined;
  let cluster: NatsCluster | undefined;
  let stan: StanServer | undefined;
  let mongo: MongoServer | undefined;
  let stripe: StripeMockServer | undefined;
  const stop = async () => {
    await Promise.allSettled([
      ...(cluster?.members ?? []).map((m) => m.process.stop()),
      nats?.process.stop(),
      stan?.process.stop(),
      mongo?.stop(),
      stripe?.process.stop(),
    ]);
    if (!process.env.KEEP_STACK_DATA) rmSync(dir, { recursive: true, force: true });
  };
  const results = await Promise.allSettled([
    options.jetstream === false
      ? undefined
      : (options.natsClusterSize ?? 1) > 1
        ? startNatsCluster(dir, log, options.natsClusterSize ?? 1, natsPasswords).then((c) => (cluster = c))
        : startNats(dir, log, natsPasswords).then((n) => (nats = n)),
    options.stan ? startStan(dir, log, natsPasswords).then((s) => (stan = s)) : undefined,
    startMongo(dir, log).then((m) => (mongo = m)),
    options.stripe === false ? undefined : startStripeMock(dir, log).then((s) => (stripe = s)),
  ]);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure || !mongo) {
    await stop();
    throw failure?.status === 'rejected' ? failure.reason : new Error('stack did not start');
  }
  const started = { nats: nats ?? cluster?.members[0], stan, mongo, stripe };
  const env: Record<string, string> = { MONGO_URL: mongo.url };
  const asAdmin = (url: string) => adminUrl(url, natsPasswords);
  if (nats) Object.assign(env, { NATS_URL: asAdmin(nats.url), STACK_NATS_MONITOR_URL: nats.monitorUrl });
  if (cluster) {
    Object.assign(env, {
      NATS_URL: asAdmin(cluster.url),
      STACK_NATS_MONITOR_URL: cluster.members[0]?.monitorUrl ?? '',
      EVENTS_REPLICAS: String(cluster.replicas),
    });
  }
  if (stan) Object.assign(env, { STAN_URL: asAdmin(stan.url), STAN_CLUSTER_ID: stan.clusterId, STACK_STAN_MONITOR_URL: stan.monitorUrl });
  if (natsPasswords) {
    env.STACK_NATS_USERS = JSON.stringify(natsPasswords);
    // For the operator of a running stack (e.g. the dead-letters command as admin); gone with the stack.
    writeFileSync(path.join(dir, 'nats-users.json'), `${JSON.stringify(natsPasswords, null, 2)}\n`, { mode: 0o600 });
  }
  if (stripe) {
    Object.assign(env, { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: stripe.secretKey });
  }
  return {
    ...started,
    dir,
    env,
    natsPasswords,
    natsCluster: cluster,
    describe: () =>
      [
        cluster &&
          `NATS JetStream cluster of ${cluster.members.length} at ${cluster.url} (streams with ${cluster.replicas} copies; monitors ${cluster.members.map((m) => m.monitorUrl).join(', ')})`,
        !cluster && started.nats && `NATS JetStream at ${started.nats.url} (monitor ${started.nats.monitorUrl})`,
        started.stan && `NATS Streaming (cluster ${started.stan.clusterId}) at ${started.stan.url} (monitor ${started.stan.monitorUrl})`,
        natsPasswords && `NATS identities (user: password) in ${path.join(dir, 'nats-users.json')}`,
        `${started.mongo.description} at ${started.mongo.url}`,
        started.stripe && `stripe-mock at ${started.stripe.url} (HTTPS ${started.stripe.httpsUrl})`,
      ]
        .filter(Boolean)
        .join('; '),
    stop,
  };
}
