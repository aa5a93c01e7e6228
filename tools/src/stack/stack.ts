import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackLog } from './log';
import { type MongoServer, startMongo } from './mongo';
import { type NatsServer, startNats } from './nats';

export interface Stack {
  nats: NatsServer;
  mongo: MongoServer;
  /** Temp folder holding the servers' data and logs. */
  dir: string;
  /** What the services and tests need to reach the servers. */
  env: { NATS_URL: string; MONGO_URL: string };
  describe(): string;
  stop(): Promise<void>;
}

/** Starts NATS (JetStream) and a Mongo-compatible server; `stop` ends both and removes their data. */
export async function startStack(log: StackLog): Promise<Stack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketing-stack-'));
  let nats: NatsServer | undefined;
  let mongo: MongoServer | undefined;
  const stop = async () => {
    await Promise.allSettled([nats?.process.stop(), mongo?.stop()]);
    if (!process.env.KEEP_STACK_DATA) rmSync(dir, { recursive: true, force: true });
  };
  const results = await Promise.allSettled([startNats(dir, log).then((n) => (nats = n)), startMongo(dir, log).then((m) => (mongo = m))]);
  const failure = results.find((r) => r.status === 'rejected');
  if (failure || !nats || !mongo) {
    await stop();
    throw failure?.status === 'rejected' ? failure.reason : new Error('stack did not start');
  }
  const started = { nats, mongo };
  return {
    ...started,
    dir,
    env: { NATS_URL: nats.url, MONGO_URL: mongo.url },
    describe: () =>
      `NATS JetStream at ${started.nats.url} (monitor ${started.nats.monitorUrl}); MongoDB (${started.mongo.kind}) at ${started.mongo.url}`,
    stop,
  };
}
