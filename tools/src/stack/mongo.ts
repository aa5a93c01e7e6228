import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureServer, FERRETDB } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { canConnect, freePort } from './ports';

export type MongoKind = 'external' | 'mongodb-memory-server' | 'ferretdb';

export interface MongoServer {
  kind: MongoKind;
  /** Server URL without a database name, e.g. `mongodb://127.0.0.1:27017/`. */
  url: string;
  /** Present when we own the process (FerretDB). */
  process?: ManagedProcess;
  /** Stops and starts the server on the same port with the same data (fault tests); absent for external servers. */
  restart?: () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Mongo-compatible server, chosen in this order:
 * 1. `MONGO_URL` — use it as it is;
 * 2. `STACK_MONGO=memory-server|ferretdb` — what you asked for;
 * 3. mongodb-memory-server when a `mongod` is at hand or its download host resolves;
 * 4. otherwise FerretDB (SQLite handler, data in `dir`), built with Go on first use.
 * Step 3's check is a DNS look-up, so a machine without internet falls through at once.
 */
export async function startMongo(dir: string, log: StackLog): Promise<MongoServer> {
  const external = process.env.MONGO_URL;
  if (external) return { kind: 'external', url: external, stop: async () => {} };

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
  if (kind === 'external') return { kind: 'external', url: String(process.env.MONGO_URL), stop: async () => {} };
  return kind === 'mongodb-memory-server' ? startMemoryServer() : startFerretDb(dir, log);
}

async function startMemoryServer(): Promise<MongoServer> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const server = await MongoMemoryServer.create();
  return {
    kind: 'mongodb-memory-server',
    url: server.getUri(),
    restart: async () => {
      await server.stop({ doCleanup: false });
      await server.start(true);
    },
    stop: async () => {
      await server.stop({ doCleanup: true, force: true });
    },
  };
}

async function startFerretDb(dir: string, log: StackLog): Promise<MongoServer> {
  const binary = await ensureServer(FERRETDB, log);
  const [port, debugPort] = [await freePort(), await freePort()];
  const dataDir = path.join(dir, 'ferretdb');
  const server = new ManagedProcess({
    name: 'ferretdb',
    command: binary,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`,
      `--listen-addr=127.0.0.1:${port}`,
      `--debug-addr=127.0.0.1:${debugPort}`,
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      '--log-level=warn',
    ],
    // Go's collector at its default (GOGC=100) runs often on FerretDB's small heap: 400 lets the heap grow
    // four times its live size between collections, which took a quarter off FerretDB's CPU per query by
    // `_id` (0.185 → 0.138 ms, 10 concurrent clients) for about 15 MB more peak memory (50 → 64 MB).
    env: { ...process.env, GOGC: process.env.GOGC ?? '400' },
    logFile: path.join(dir, 'ferretdb.log'),
    isReady: () => canConnect(port),
  });
  mkdirSync(dataDir, { recursive: true });
  await server.start();
  return {
    kind: 'ferretdb',
    url: `mongodb://127.0.0.1:${port}/`,
    process: server,
    restart: async () => {
      await server.stop();
      await server.start();
    },
    stop: async () => {
      await server.stop();
    },
  };
}

/** The server URL with `name` as its database, keeping any query options. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
