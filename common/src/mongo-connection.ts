import mongoose, { type ConnectOptions } from 'mongoose';
import { setWriteIsolation } from './conditional-write';
import type { Logger } from './logger';

export interface MongoConnection {
  /** True when the server is FerretDB rather than MongoDB. */
  isFerretDb: boolean;
  maxPoolSize: number;
  /** Stops the connection watchdog and disconnects (use this, not `mongoose.disconnect`, on shutdown). */
  close(): Promise<void>;
}

/** A ping that fails this many times in a row (about 30 s) means the client is stuck: reconnect. */
const STUCK_AFTER_FAILED_PINGS = 3;
const PING_INTERVAL_MS = 5_000;

let connectedToFerretDb = false;

/**
 * True once `connectMongo` found FerretDB. Its SQLite handler answers a filter on `_id` alone with an index
 * (our build, see tools/src/stack/install.ts) but reads the whole collection for any other filter or sort.
 */
export function isFerretDb(): boolean {
  return connectedToFerretDb;
}

/** Connections to FerretDB: reads and inserts run side by side; SQLite still writes one at a time. */
const FERRETDB_POOL_SIZE = 8;

/**
 * Connects mongoose to `url` and chooses how conditional writes stay atomic (see `WriteIsolation`).
 *
 * MongoDB applies a conditional single-document update atomically: `server` isolation, any number of
 * replicas. FerretDB 1.x (SQLite) does not do so across concurrent connections (two updates filtered on the
 * same version can both succeed), and it scans the collection for any filter other than `_id` alone. On
 * FerretDB we therefore use `process` isolation: the service is one process that serialises the writes of
 * each document in memory and filters them on `_id` alone, while reads, inserts and the writes of different
 * documents share a pool of connections (several replicas of one service need MongoDB).
 *
 * A watchdog pings the server; after a restart of FerretDB the driver (6.x) can stay stuck on a closed
 * connection and fail every server selection for good (seen in the fault suite). When pings keep failing
 * while the process still runs, the watchdog drops the client and connects again.
 */
export async function connectMongo(url: string, logger?: Logger): Promise<MongoConnection> {
  // Mongoose records a stack trace for every query it runs, only to name the first call site when the same
  // query object is run twice (which our code never does): 2 % of a service's CPU on a read-heavy route.
  mongoose.set('skipOriginalStackTraces', true);
  const base: ConnectOptions = { serverSelectionTimeoutMS: 10_000 };
  await mongoose.connect(url, base);
  const buildInfo = await mongoose.connection.db?.admin().command({ buildInfo: 1 });
  const isFerretDb = typeof buildInfo?.ferretdbVersion === 'string';
  let options = base;
  connectedToFerretDb = isFerretDb;
  setWriteIsolation(isFerretDb ? 'process' : 'server');
  if (isFerretDb) {
    options = { ...base, maxPoolSize: FERRETDB_POOL_SIZE };
    await mongoose.disconnect();
    await mongoose.connect(url, options);
    logger?.info(
      { ferretdbVersion: buildInfo?.ferretdbVersion, maxPoolSize: FERRETDB_POOL_SIZE },
      'FerretDB detected: conditional writes are serialised per document in this process (run one replica)',
    );
  }

  let isClosed = false;
  let isChecking = false;
  let failedPings = 0;
  const check = async () => {
    if (isClosed || isChecking) return;
    isChecking = true;
    try {
      await mongoose.connection.db?.admin().ping();
      failedPings = 0;
    } catch {
      failedPings++;
      if (failedPings >= STUCK_AFTER_FAILED_PINGS && !isClosed) {
        failedPings = 0;
        logger?.warn('database client cannot reach the server; connecting again');
        await mongoose.disconnect().catch(() => undefined);
        if (!isClosed) await mongoose.connect(url, options).catch(() => undefined);
      }
    } finally {
      isChecking = false;
    }
  };
  const watchdog = setInterval(() => void check(), PING_INTERVAL_MS);
  watchdog.unref();

  return {
    isFerretDb,
    maxPoolSize: options.maxPoolSize ?? 100,
    close: async () => {
      isClosed = true;
      clearInterval(watchdog);
      await mongoose.disconnect();
    },
  };
}

export function isMongoConnected(): boolean {
  return mongoose.connection.readyState === mongoose.ConnectionStates.connected;
}
