import mongoose, { type ConnectOptions } from 'mongoose';
import type { Logger } from '../support/logger';

export interface MongoConnection {
  /** Stops the connection watchdog and disconnects (use this, not `mongoose.disconnect`, on shutdown). */
  close(): Promise<void>;
}

/** A ping that fails this many times in a row (about 30 s) means the client is stuck: reconnect. */
const STUCK_AFTER_FAILED_PINGS = 3;
const PING_INTERVAL_MS = 5_000;

/**
 * Connects mongoose to `url`. A watchdog pings the server: after a restart of the database server the driver
 * (6.x) was seen staying on a closed connection and failing every server selection for good (in the fault
 * suite). When pings keep failing while the process still runs, the watchdog drops the client and connects
 * again; while that fails (the server still away), it tries again every ping interval until it works.
 */
export interface MongoConnectionOptions {
  /**
   * How long a command may wait for its reply before it fails and its connection is dropped (default 30 s).
   * Without it, a command whose reply never comes (a server stopped or cut off mid-command) waits forever,
   * and with it whatever waits for it: an event handler and its aggregate's later events, or the outbox sweep.
   */
  socketTimeoutMs?: number;
}

export async function connectMongo(
  url: string,
  logger?: Logger,
  { socketTimeoutMs = 30_000 }: MongoConnectionOptions = {},
): Promise<MongoConnection> {
  // Mongoose records a stack trace for every query it runs, only to name the first call site when the same
  // query object is run twice (which our code never does): 2 % of a service's CPU on a read-heavy route.
  mongoose.set('skipOriginalStackTraces', true);
  // Every call bounded (see `socketTimeoutMs`); no command of ours runs anywhere near the default. Opening a
  // connection is bounded too (its handshake is not a command under the socket timeout): 10 s at most.
  const options: ConnectOptions = {
    serverSelectionTimeoutMS: 10_000,
    socketTimeoutMS: socketTimeoutMs,
    connectTimeoutMS: Math.min(socketTimeoutMs, 10_000),
  };
  await mongoose.connect(url, options);

  let isClosed = false;
  let isChecking = false;
  let failedPings = 0;
  /** Our reconnect has not succeeded yet: every command fails at once until it does, so it is tried each tick. */
  let isReconnecting = false;
  const reconnect = async () => {
    await mongoose.connect(url, options);
    if (isClosed) return void (await mongoose.disconnect());
    isReconnecting = false;
    logger?.info('database client connected again');
  };
  const check = async () => {
    if (isClosed || isChecking) return;
    isChecking = true;
    try {
      if (isReconnecting) {
        await reconnect().catch(() => undefined);
        return;
      }
      try {
        const db = mongoose.connection.db;
        if (!db) throw new Error('not connected');
        await db.admin().ping();
        failedPings = 0;
      } catch {
        failedPings++;
        if (failedPings >= STUCK_AFTER_FAILED_PINGS && !isClosed) {
          failedPings = 0;
          isReconnecting = true;
          logger?.warn('database client cannot reach the server; connecting again');
          await mongoose.disconnect().catch(() => undefined);
          if (!isClosed) await reconnect().catch(() => undefined);
        }
      }
    } finally {
      isChecking = false;
    }
  };
  const watchdog = setInterval(() => void check(), PING_INTERVAL_MS);
  watchdog.unref();

  return {
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
