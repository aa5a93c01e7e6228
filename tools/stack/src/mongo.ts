import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { ensurePostgresWithDocumentDb } from './documentdb';
import { ensureServer, FERRETDB, versionOf } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { canConnect, freePort } from './ports';
import { startPostgres } from './postgres';

export type MongoKind = 'external' | 'mongodb-memory-server' | 'ferretdb';

export interface MongoServer {
  kind: MongoKind;
  /** Server URL without a database name, e.g. `mongodb://127.0.0.1:27017/`. */
  url: string;
  /** What runs, for logs and reports, e.g. `FerretDB 2.5.0 on PostgreSQL 15.14 + DocumentDB 0.106.0`. */
  description: string;
  /** Present when we own the process (FerretDB). */
  process?: ManagedProcess;
  /** FerretDB's PostgreSQL server (its postmaster; the sessions are its child processes). */
  postgres?: ManagedProcess;
  /** Stops and starts the server on the same port with the same data (fault tests); absent for external servers. */
  restart?: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Mongo-compatible server, chosen in this order:
 * 1. `MONGO_URL` — use it as it is;
 * 2. `STACK_MONGO=memory-server|ferretdb` — what you asked for;
 * 3. mongodb-memory-server when a `mongod` is at hand or its download host resolves;
 * 4. otherwise FerretDB 2 on PostgreSQL with DocumentDB (data in `dir`), installed on first use (see
 *    documentdb.ts and install.ts).
 * Step 3's check is a DNS look-up, so a machine without internet falls through at once.
 */
export async function startMongo(dir: string, log: StackLog): Promise<MongoServer> {
  const external = process.env.MONGO_URL;
  if (external) return externalServer(external);

  const wanted = process.env.STACK_MONGO;
  if (wanted && wanted !== 'memory-server' && wanted !== 'ferretdb') {
    throw new Error(`STACK_MONGO must be memory-server or ferretdb, got "${wanted}"`);
  }
  const useMemoryServer = wanted ? wanted === 'memory-server' : await memoryServerCanRun();
  return useMemoryServer ? startMemoryServer() : startFerretDb(dir, log);
}

async function memoryServerCanRun(): Promise<boolean> {
  if (process.env.MONGOMS_SYSTEM_BINARY) return true;
  const cache = path.join(os.homedir(), '.cache', 'mongodb-binaries');
  if (existsSync(cache) && readdirSync(cache).some((f) => f.startsWith('mongod'))) return true;
  const host = process.env.MONGOMS_DOWNLOAD_MIRROR ? new URL(process.env.MONGOMS_DOWNLOAD_MIRROR).hostname : 'fastdl.mongodb.org';
  const resolved = await Promise.race([
    lookup(host).then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
  ]);
  return resolved;
}

/**
 * A server of the same kind as the run's (`STACK_MONGO_KIND`), owned by the caller so it can be
 * restarted: FerretDB or mongodb-memory-server. With an external `MONGO_URL` there is nothing to restart.
 */
export async function startOwnMongo(dir: string, log: StackLog): Promise<MongoServer> {
  const kind = process.env.STACK_MONGO_KIND;
  if (kind === 'external') return externalServer(String(process.env.MONGO_URL));
  return kind === 'mongodb-memory-server' ? startMemoryServer() : startFerretDb(dir, log);
}

async function externalServer(url: string): Promise<MongoServer> {
  return { kind: 'external', url, description: `${await serverVersion(url)} at MONGO_URL`, stop: async () => {} };
}

/** What the server says it is (`buildInfo`), e.g. `MongoDB 7.0.14`. */
async function serverVersion(url: string): Promise<string> {
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return `MongoDB ${info.version}`;
  } finally {
    await client.close();
  }
}

async function startMemoryServer(): Promise<MongoServer> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const server = await MongoMemoryServer.create();
  return {
    kind: 'mongodb-memory-server',
    url: server.getUri(),
    description: `${await serverVersion(server.getUri())} (mongodb-memory-server)`,
    restart: async () => {
      await server.stop({ doCleanup: false });
      await server.start(true);
    },
    stop: async () => {
      await server.stop({ doCleanup: true, force: true });
    },
  };
}

/**
 * FerretDB 2 on a private PostgreSQL cluster with DocumentDB, both with their data in `dir`. A restart stops
 * and starts both (as a database server restart does), keeping the data and the ports.
 */
async function startFerretDb(dir: string, log: StackLog): Promise<MongoServer> {
  // Both installs (first use only) at once: the Go build and the C builds wait on different things.
  const [binary] = await Promise.all([ensureServer(FERRETDB, log), ensurePostgresWithDocumentDb(log)]);
  const postgres = await startPostgres(dir, log);
  const stateDir = path.join(dir, 'ferretdb');
  mkdirSync(stateDir, { recursive: true });
  let server: ManagedProcess;
  try {
    const [port, debugPort] = [await freePort(), await freePort()];
    server = new ManagedProcess({
      name: 'ferretdb',
      command: binary,
      args: [
        `--postgresql-url=${postgres.url}`,
        `--listen-addr=127.0.0.1:${port}`,
        `--debug-addr=127.0.0.1:${debugPort}`,
        `--state-dir=${stateDir}`,
        // Nothing but this machine reaches it (loopback), as the stack's MongoDB alternatives.
        '--no-auth',
        '--telemetry=disable',
        '--log-level=warn',
      ],
      logFile: path.join(dir, 'ferretdb.log'),
      isReady: () => canConnect(port),
    });
    await server.start();
    const version = versionOf(binary).match(/v?(\d+\.\d+\.\d+)/)?.[1] ?? FERRETDB.version;
    return {
      kind: 'ferretdb',
      url: `mongodb://127.0.0.1:${port}/`,
      description: `FerretDB ${version} on ${postgres.description}`,
      process: server,
      postgres: postgres.process,
      restart: async () => {
        await server.stop();
        await postgres.process.stop();
        await postgres.process.start();
        await server.start();
      },
      stop: async () => {
        await server.stop();
        await postgres.process.stop();
      },
    };
  } catch (err) {
    await postgres.process.stop();
    throw err;
  }
}

/** The server URL with `name` as its database, keeping any query options. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
