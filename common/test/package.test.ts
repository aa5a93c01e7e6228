/**
 * The package as npm would publish it: packs common, installs the tarball into fresh projects outside the
 * monorepo (so nothing resolves through the workspace) and uses it from strict TypeScript consumers and
 * from the README's samples: one project with every optional peer, one with express only (the `/errors`
 * and `/http` entry points need neither mongoose nor NATS), and one per transport with only that broker's
 * client, which publishes and listens on the run's server. Needs the npm registry or npm's cache, and the
 * NATS (JetStream) and NATS Streaming servers of the jest global setup; no Mongo server.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const repoRoot = path.resolve(__dirname, '../..');
const commonDir = path.join(repoRoot, 'common');
const SETUP_TIMEOUT_MS = 240_000;

/** The package's entry points, as its `exports` must list them (besides `./package.json`). */
const ENTRY_POINTS = ['errors', 'http', 'events', 'mongo', 'outbox', 'jetstream', 'stan'];

/** The optional peers that only `/events`, `/mongo` and `/outbox` need. */
const DATABASE_AND_NATS_PEERS = ['mongoose', '@nats-io/jetstream', '@nats-io/transport-node', 'node-nats-streaming'];

/** What a web-only consumer installs next to the tarball: express and a TypeScript toolchain, pinned. */
const HTTP_ONLY_DEPENDENCIES = ['express@5.1.0', 'typescript@5.9.3', '@types/express@5.0.6', '@types/node@20'];

type TransportKind = 'jetstream' | 'stan';

/**
 * A project per transport, with that broker's client only (the JetStream one with mongoose too, as a service
 * with an outbox has; the STAN one without, as `/events` and `/stan` need none) and a TypeScript toolchain.
 */
const TRANSPORT_ONLY_DEPENDENCIES: Record<TransportKind, string[]> = {
  jetstream: ['@nats-io/jetstream@3.4.0', '@nats-io/transport-node@3.4.0', 'mongoose@8.24.10', 'typescript@5.9.3', '@types/node@20'],
  stan: ['node-nats-streaming@0.3.2', 'typescript@5.9.3', '@types/node@20'],
};

/** What the full consumer installs next to the tarball: every optional peer as well, pinned. */
const CONSUMER_DEPENDENCIES = [
  ...HTTP_ONLY_DEPENDENCIES,
  'mongoose@8.24.10',
  '@nats-io/jetstream@3.4.0',
  '@nats-io/transport-node@3.4.0',
  'node-nats-streaming@0.3.2',
  'zod@4.6.7',
];

/**
 * The environment for child processes, without what `npm test` exported for this repo (npm_config_local_prefix,
 * npm_package_*, …), which would make npm in the temporary project act on the monorepo.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => {
      const name = key.toLowerCase();
      return keep.has(name) || !(name.startsWith('npm_') || name === 'init_cwd');
    }),
  );
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000, env = childEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      // A process killed (timeout) says so: its output is then empty.
      const end = err?.killed ? ` (killed by ${err.signal} after ${timeoutMs} ms)` : '';
      if (err) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}${end}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** `task`, run at most `limit` at once: the calls past that wait for a running one to finish. */
function atMostAtOnce<A extends unknown[], T>(limit: number, task: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (...args) => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task(...args);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** An HS256 token as auth issues it, signed without a JWT library (source shared by the consumers). */
const BEARER_TS = `
function bearer(payload: object, key: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = \`\${part({ alg: 'HS256', typ: 'JWT' })}.\${part({ ...payload, exp: Math.floor(Date.now() / 1000) + 3600 })}\`;
  return \`Bearer \${unsigned}.\${createHmac('sha256', key).update(unsigned).digest('base64url')}\`;
}
`;

/** A consumer written the way a service would use the package, with no event bus: an in-memory transport. */
const CONSUMER_TS = `
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BadRequestError, NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import {
  type ApplyResult,
  type DeadLetter,
  type EventData,
  type EventTransport,
  EventValidationError,
  Listener,
  type MessageContext,
  type MessageHandler,
  type OrderCreatedEvent,
  OrderStatus,
  type PublishOptions,
  Publisher,
  type Signals,
  Subjects,
  type Subscription,
  type TicketCreatedEvent,
  versionVerdict,
} from '@ticketing/common/events';
import { createLogger, currentUser, errorHandler, notFoundHandler, requireAuth, userOf } from '@ticketing/common/http';
import express from 'express';

class MemoryTransport implements EventTransport {
  readonly kind = 'jetstream' as const;
  /** No signals in this test: nothing subscribes or asks. */
  readonly signals: Signals = {
    publish: async () => undefined,
    subscribe: () => ({ stop: () => undefined }),
    request: async () => {
      throw new Error('no server');
    },
    serve: () => ({ stop: () => undefined }),
    onReconnect: () => undefined,
  };
  readonly published: Array<{ subject: string; messageId?: string; payload: unknown }> = [];
  readonly settled: string[] = [];
  private handler?: MessageHandler;

  async publish(subject: string, payload: Uint8Array, options?: PublishOptions): Promise<void> {
    this.published.push({ subject, messageId: options?.messageId, payload: JSON.parse(new TextDecoder().decode(payload)) });
  }
  async subscribe(_subject: string, _options: unknown, handler: MessageHandler): Promise<Subscription> {
    this.handler = handler;
    return { stop: async () => undefined };
  }
  async deliver(subject: string, payload: unknown): Promise<void> {
    await this.handler?.({
      subject,
      data: new TextEncoder().encode(JSON.stringify(payload)),
      deliveryCount: 1,
      ack: () => this.settled.push('ack'),
      nak: () => this.settled.push('nak'),
      term: () => this.settled.push('term'),
    });
  }
  async deadLetter(record: DeadLetter): Promise<void> {
    this.settled.push(\`dead-letter: \${record.reason}\`);
  }
  isConnected(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

class TicketCreatedListener extends Listener<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroup = 'consumer';
  readonly replicas = new Map<string, TicketCreatedEvent['data']>();

  async onMessage(data: EventData<typeof Subjects.TicketCreated>, _message: MessageContext): Promise<ApplyResult> {
    const verdict = versionVerdict(data.version, this.replicas.get(data.id)?.version);
    if (verdict !== 'apply') return verdict;
    this.replicas.set(data.id, data);
    return 'applied';
  }
}

${BEARER_TS}
async function main(): Promise<void> {
  const jwtKey = 'consumer-secret-key-of-32-characters';
  const app = express();
  app.use(express.json());
  app.use(currentUser({ jwtKey }));
  app.get('/api/me', requireAuth, (req, res) => {
    res.json({ id: userOf(req).id, email: req.currentUser?.email });
  });
  app.post('/api/tickets', () => {
    throw new BadRequestError('Title is required', 'title');
  });
  app.get('/api/tickets/:id', async () => {
    throw new NotFoundError('Ticket not found');
  });
  app.delete('/api/tickets/:id', () => {
    throw new NotAuthorizedError('Only the seller may delete it');
  });
  app.use(notFoundHandler);
  app.use(errorHandler(createLogger('consumer', 'silent')));

  const server = app.listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(\`\${base}\${path}\`, init);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const http = {
    unauthenticated: await call('/api/me'),
    authenticated: await call('/api/me', { headers: { authorization: bearer({ id: 'u1', email: 'ann@example.com' }, jwtKey) } }),
    badRequest: await call('/api/tickets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    notFound: await call('/api/tickets/t1'),
    notAuthorized: await call('/api/tickets/t1', { method: 'DELETE' }),
    unknownRoute: await call('/nowhere'),
  };
  server.close();
  server.closeAllConnections();

  const transport = new MemoryTransport();
  const ticket: TicketCreatedEvent['data'] = { id: 't1', version: 0, title: 'Concert', price: 40, userId: 'u1' };
  await new TicketCreatedPublisher(transport).publish(ticket);
  // @ts-expect-error: payload types come from the schemas, so a string price does not compile
  const wrong: TicketCreatedEvent['data'] = { ...ticket, price: '40' };
  const invalidPublish = await new TicketCreatedPublisher(transport).publish(wrong).then(
    () => 'published',
    (err: unknown) => (err instanceof EventValidationError ? err.name : String(err)),
  );

  const listener = new TicketCreatedListener(transport);
  const context: MessageContext = { subject: Subjects.TicketCreated, deliveryCount: 1, ack: () => undefined, nak: () => undefined };
  const verdicts = [
    await listener.onMessage(ticket, context),
    await listener.onMessage(ticket, context),
    await listener.onMessage({ ...ticket, version: 2 }, context),
  ];
  await listener.listen();
  await transport.deliver(Subjects.TicketCreated, { ...ticket, id: 't2' });
  await transport.deliver(Subjects.TicketCreated, { id: 't3' });

  const order: OrderCreatedEvent = {
    subject: Subjects.OrderCreated,
    data: { id: 'o1', version: 0, status: OrderStatus.Created, userId: 'u2', expiresAt: new Date(0).toISOString(), ticket: { id: 't1', price: 40, version: 0, placement: 1 } },
  };

  console.log(
    JSON.stringify({
      http,
      published: transport.published,
      invalidPublish,
      verdicts,
      settled: transport.settled,
      replicas: [...listener.replicas.keys()],
      order: { subject: order.subject, status: order.data.status },
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

/**
 * A web service that uses only `/errors` and `/http`, installed without mongoose and without the NATS
 * clients: it must compile (declarations included) and run, and it reports which of those peers it can see.
 */
const HTTP_ONLY_CONSUMER_TS = `
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BadRequestError, HttpError, NotFoundError } from '@ticketing/common/errors';
import { buildServiceApp, createLogger, currentUser, errorHandler, notFoundHandler, requireAuth, userOf } from '@ticketing/common/http';
import express, { Router } from 'express';

${BEARER_TS}
const PEERS = ${JSON.stringify(DATABASE_AND_NATS_PEERS)};

function isResolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

async function serve(app: express.Express, calls: (call: (path: string, init?: RequestInit) => Promise<unknown>) => Promise<unknown>) {
  const server = app.listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
  try {
    return await calls(async (path, init) => {
      const res = await fetch(\`\${base}\${path}\`, init);
      return { status: res.status, body: (await res.json()) as unknown };
    });
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

async function main(): Promise<void> {
  const jwtKey = 'consumer-secret-key-of-32-characters';
  const logger = createLogger('web', 'silent');
  const tickets = new Map<string, string>([['t1', 'u1']]);

  // Assembled by hand from the middlewares.
  const app = express();
  app.use(express.json());
  app.use(currentUser({ jwtKey }));
  app.get('/api/me', requireAuth, (req, res) => {
    res.json({ id: userOf(req).id });
  });
  app.post('/api/tickets', requireAuth, () => {
    throw new BadRequestError('Title is required', 'title');
  });
  app.put('/api/tickets/:id', requireAuth, (req) => {
    if (!tickets.has(String(req.params.id))) throw new NotFoundError('Ticket not found');
    throw new HttpError(409, 'Ticket is reserved');
  });
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  const auth = { headers: { authorization: bearer({ id: 'u1', email: 'ann@example.com' }, jwtKey) } };
  const assembled = await serve(app, async (call) => ({
    unauthenticated: await call('/api/me'),
    authenticated: await call('/api/me', auth),
    badRequest: await call('/api/tickets', { method: 'POST', ...auth }),
    notFound: await call('/api/tickets/t2', { method: 'PUT', ...auth }),
    conflict: await call('/api/tickets/t1', { method: 'PUT', ...auth }),
  }));

  // The app every service builds, with its health endpoints.
  const routes = Router().get('/api/web/ping', requireAuth, (_req, res) => {
    res.json({ pong: true });
  });
  const built = await serve(
    buildServiceApp({ jwtKey, logger, prefix: '/api/web', health: { cache: () => true }, routers: [routes] }),
    async (call) => ({ ping: await call('/api/web/ping', auth), ready: await call('/api/web/readyz') }),
  );

  console.log(JSON.stringify({ assembled, built, resolvable: PEERS.filter(isResolvable) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    types: ['node'],
    noEmit: false,
    outDir: 'out',
    rootDir: '.',
    // Check the package's declarations too, not only the consumer's use of them.
    skipLibCheck: false,
  },
  include: ['consumer.ts'],
};

/** The same project resolved the pre-`exports` way (`typesVersions` must lead it to the subpaths' types). */
const NODE10_TSCONFIG = {
  extends: './tsconfig.json',
  compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true, noEmit: true },
};

/** The README's samples and its list of the public API: type-checked only (the samples connect to servers when run). */
const README_TSCONFIG = {
  extends: './tsconfig.json',
  compilerOptions: { noEmit: true },
  include: ['readme/*.mts'],
};

/**
 * Loading each entry point must not open handles or register process handlers (no side effects on import);
 * the package root and its internal files are not importable.
 */
const REQUIRE_PROBE = `
const handlers = () => ['SIGTERM', 'SIGINT', 'exit', 'uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
const errorCode = (id) => {
  try {
    require(id);
    return 'loaded';
  } catch (err) {
    return err.code;
  }
};
// Create the stdio handles first: a dependency touching process.stderr on load is not a side effect of ours.
void process.stdout;
void process.stderr;
const before = { resources: process.getActiveResourcesInfo(), handlers: handlers() };
const loaded = Object.fromEntries(${JSON.stringify(ENTRY_POINTS)}.map((entry) => [entry, Object.keys(require('@ticketing/common/' + entry))]));
const after = { resources: process.getActiveResourcesInfo(), handlers: handlers() };
const unexported = { root: errorCode('@ticketing/common'), internal: errorCode('@ticketing/common/dist/events/codec.js') };
console.log(JSON.stringify({ before, after, exports: loaded, unexported }));
`;

const IMPORT_PROBE = `
import { BadRequestError } from '@ticketing/common/errors';
import { Listener, Subjects } from '@ticketing/common/events';
import { requireAuth } from '@ticketing/common/http';
import { connectMongo } from '@ticketing/common/mongo';
import { pendingEvent } from '@ticketing/common/outbox';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { StanTransport } from '@ticketing/common/stan';
import pkg from '@ticketing/common/package.json' with { type: 'json' };
console.log(JSON.stringify({
  subject: Subjects.OrderCreated,
  status: new BadRequestError('x').statusCode,
  listener: typeof Listener,
  requireAuth: typeof requireAuth,
  connectMongo: typeof connectMongo,
  pendingEvent: typeof pendingEvent,
  transports: [JetStreamTransport.name, StanTransport.name],
  version: pkg.version,
}));
`;

/**
 * In a project with one transport's client: which packages loading `/events` brings in, then what each entry
 * point needs that the project lacks (`needs <module>`, as Node names it).
 */
const TRANSPORT_PROBE = `
const { sep } = require('node:path');
const packageOf = (file) => {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  return parts[at + 1].startsWith('@') ? parts[at + 1] + '/' + parts[at + 2] : parts[at + 1];
};
const packagesLoaded = () => [...new Set(Object.keys(require.cache).map(packageOf))].filter(Boolean).sort();
const load = (entry) => {
  try {
    require('@ticketing/common/' + entry);
    return 'loaded';
  } catch (err) {
    const missing = err.code === 'MODULE_NOT_FOUND' && /Cannot find module '([^']+)'/.exec(err.message);
    return missing ? 'needs ' + missing[1] : String(err);
  }
};
require('@ticketing/common/events');
const eventsLoad = packagesLoaded();
const entries = Object.fromEntries(${JSON.stringify(ENTRY_POINTS)}.map((entry) => [entry, load(entry)]));
console.log(JSON.stringify({ eventsLoad, entries }));
`;

/**
 * A service's event side as a project on one transport writes it: configured from the environment, connected
 * by `connectEventBus` (which loads that transport only), one event published and received by a listener on
 * the real server. Then it asks for the other transport, whose client is not installed.
 */
function transportConsumer(kind: TransportKind): string {
  const [transportClass, other] = kind === 'jetstream' ? ['JetStreamTransport', 'stan'] : ['StanTransport', 'jetstream'];
  // JetStream keeps this run's streams on the server: remove them (STAN channels stay, as the other tests' do).
  const cleanUp =
    kind === 'jetstream'
      ? `if (bus instanceof JetStreamTransport) {
    await bus.manager.streams.delete(bus.streamName);
    await bus.manager.streams.delete(bus.deadLetterStreamName);
  }`
      : '';
  return `
import { type ApplyResult, connectEventBus, type EventData, eventBusConfigFromEnv, Listener, Publisher, Subjects } from '@ticketing/common/events';
import { ${transportClass} } from '@ticketing/common/${kind}';

type Ticket = EventData<typeof Subjects.TicketCreated>;

let arrived: (ticket: Ticket) => void = () => undefined;
const received = new Promise<Ticket>((resolve) => {
  arrived = resolve;
});

class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

class TicketCreatedListener extends Listener<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroup = 'package-consumer';

  async onMessage(ticket: Ticket): Promise<ApplyResult> {
    arrived(ticket);
    return 'applied';
  }
}

/** The promise's value, or a rejection naming what did not happen in time. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(\`no \${what} within \${ms} ms\`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const config = eventBusConfigFromEnv('package-consumer');
  const bus = await connectEventBus(config);
  const subscription = await new TicketCreatedListener(bus).listen();
  const ticket: Ticket = { id: 't1', version: 0, title: 'Concert', price: 40, userId: 'u1' };
  await new TicketCreatedPublisher(bus).publish(ticket);
  const delivered = await within(received, 20_000, 'delivery of the published event');
  await subscription.stop();
  // The class of the transport's own entry point is the one connectEventBus loaded.
  const isEntryPointClass = bus instanceof ${transportClass};
  ${cleanUp}
  await bus.close();
  const otherTransport = await connectEventBus({ ...config, transport: '${other}' }).then(
    async (otherBus) => {
      await otherBus.close();
      return 'connected';
    },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  console.log(JSON.stringify({ kind: bus.kind, delivered, isEntryPointClass, otherTransport }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
`;
}

/** The environment that points a transport consumer at the run's server of its kind, in a namespace of its own. */
function transportEnv(kind: TransportKind): NodeJS.ProcessEnv {
  const env = childEnv();
  for (const name of Object.keys(env)) if (/^(NATS_|EVENT_|STAN_)/.test(name)) delete env[name];
  const server = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the tests through jest (its global setup starts the servers)`);
    return value;
  };
  const namespace = `package_${randomBytes(4).toString('hex')}`;
  if (kind === 'jetstream') {
    return { ...env, EVENT_TRANSPORT: 'jetstream', NATS_URL: server('NATS_URL'), EVENT_NAMESPACE: namespace, EVENT_BUS_PROVISION: 'true' };
  }
  return {
    ...env,
    EVENT_TRANSPORT: 'stan',
    NATS_URL: server('STAN_URL'),
    NATS_CLUSTER_ID: server('STAN_CLUSTER_ID'),
    EVENT_NAMESPACE: namespace,
  };
}

interface Manifest {
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The packages a file imports (types, re-exports, `require` and `import()` included), Node's own modules left out. */
function importedPackages(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map(({ fileName }) => fileName)
    .filter((name) => !name.startsWith('.') && !name.startsWith('node:') && !builtinModules.includes(name))
    .map((name) =>
      name
        .split('/')
        .slice(0, name.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

/** Each package the files import that the manifest declares neither as a dependency nor as a peer, with the files importing it. */
function undeclaredImports(files: Record<string, string>, manifest: Manifest): Record<string, string[]> {
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const undeclared: Record<string, string[]> = {};
  for (const [file, source] of Object.entries(files)) {
    for (const name of new Set(importedPackages(source))) {
      if (!declared.has(name)) undeclared[name] = [...(undeclared[name] ?? []), file];
    }
  }
  return undeclared;
}

/** The TypeScript sources under `dir`, by path relative to `root`. */
async function sourcesUnder(root: string, dir: string): Promise<Record<string, string>> {
  const files = (await readdir(path.join(root, dir), { recursive: true })).filter((file) => file.endsWith('.ts'));
  return Object.fromEntries(
    await Promise.all(files.map(async (file) => [path.posix.join(dir, file), await readFile(path.join(root, dir, file), 'utf8')])),
  );
}

/** The \`\`\`ts blocks of the README, each compiled as its own ES module. */
function readmeSamples(readme: string): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/**
 * The README's "Public API" table: for each entry point (a row starting with its import path), the names in
 * backticks on that row.
 */
function documentedApi(readme: string): Record<string, string[]> {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Public API')) ?? '';
  const api: Record<string, string[]> = {};
  for (const [, entry, names] of section.matchAll(/^\| `@ticketing\/common\/(\w+)` *\|(.*)$/gm)) {
    api[entry] = [...names.matchAll(/`(\w+)/g)].map((m) => m[1]);
  }
  return api;
}

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('the published package', () => {
  let workDir: string;
  let projectDir: string;
  let httpOnlyDir: string;
  let tarballFiles: string[];
  let consumerCompiled: Promise<string>;
  let readmeCompiled: Promise<string>;
  let httpOnlyCompiled: Promise<string>;
  let node10Compiled: Promise<string>;
  /** Per transport: its project's directory and the compile of its consumer. */
  const transportProjects = {} as Record<TransportKind, { dir: string; compiled: Promise<string> }>;

  /** A fresh project outside the monorepo with the tarball and `dependencies` installed. */
  async function installProject(dir: string, tarball: string, dependencies: string[]): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true, type: 'commonjs' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...dependencies], dir, SETUP_TIMEOUT_MS);
  }

  beforeAll(async () => {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'common'], repoRoot);
    workDir = await mkdtemp(path.join(tmpdir(), 'ticketing-common-package-'));
    const [pack] = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', workDir], commonDir)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarballFiles = pack.files.map((f) => f.path);
    const tarball = path.join(workDir, pack.filename);

    projectDir = path.join(workDir, 'consumer');
    httpOnlyDir = path.join(workDir, 'http-only');
    const kinds = Object.keys(TRANSPORT_ONLY_DEPENDENCIES) as TransportKind[];
    const transportDir = (kind: TransportKind) => path.join(workDir, `${kind}-only`);
    await Promise.all([
      installProject(projectDir, tarball, CONSUMER_DEPENDENCIES),
      installProject(httpOnlyDir, tarball, HTTP_ONLY_DEPENDENCIES),
      ...kinds.map((kind) => installProject(transportDir(kind), tarball, TRANSPORT_ONLY_DEPENDENCIES[kind])),
    ]);

    await mkdir(path.join(projectDir, 'readme'));
    await writeFile(path.join(projectDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    await writeFile(path.join(projectDir, 'tsconfig.readme.json'), JSON.stringify(README_TSCONFIG, null, 2));
    await writeFile(path.join(projectDir, 'consumer.ts'), CONSUMER_TS);
    const readme = await readFile(path.join(commonDir, 'README.md'), 'utf8');
    const samples = readmeSamples(readme);
    await Promise.all(samples.map((code, i) => writeFile(path.join(projectDir, 'readme', `sample-${i + 1}.mts`), code)));
    // Every name the README's Public API lists, types included, is exported by its entry point.
    const publicApi = Object.entries(documentedApi(readme)).map(
      ([entry, names]) => `import { ${names.join(', ')} } from '@ticketing/common/${entry}';`,
    );
    await writeFile(path.join(projectDir, 'readme', 'public-api.mts'), `${publicApi.join('\n')}\n`);
    await writeFile(path.join(projectDir, 'require-probe.cjs'), REQUIRE_PROBE);
    await writeFile(path.join(projectDir, 'import-probe.mjs'), IMPORT_PROBE);
    await writeFile(path.join(httpOnlyDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    await writeFile(path.join(httpOnlyDir, 'tsconfig.node10.json'), JSON.stringify(NODE10_TSCONFIG, null, 2));
    await writeFile(path.join(httpOnlyDir, 'consumer.ts'), HTTP_ONLY_CONSUMER_TS);
    // The compiles run in the background, two at a time (one per core: more only makes each slower, and each
    // one's timeout should measure its own work); the test that needs one awaits it and reports its errors.
    const tsc = atMostAtOnce(2, (dir: string, project: string) =>
      run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', project], dir, 180_000),
    );
    consumerCompiled = tsc(projectDir, 'tsconfig.json');
    readmeCompiled = tsc(projectDir, 'tsconfig.readme.json');
    httpOnlyCompiled = tsc(httpOnlyDir, 'tsconfig.json');
    node10Compiled = tsc(httpOnlyDir, 'tsconfig.node10.json');
    for (const kind of kinds) {
      const dir = transportDir(kind);
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
      await writeFile(path.join(dir, 'consumer.ts'), transportConsumer(kind));
      await writeFile(path.join(dir, 'transport-probe.cjs'), TRANSPORT_PROBE);
      transportProjects[kind] = { dir, compiled: tsc(dir, 'tsconfig.json') };
    }
    for (const compile of [
      consumerCompiled,
      readmeCompiled,
      httpOnlyCompiled,
      node10Compiled,
      ...kinds.map((k) => transportProjects[k].compiled),
    ]) {
      compile.catch(() => undefined);
    }
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([
      consumerCompiled,
      readmeCompiled,
      httpOnlyCompiled,
      node10Compiled,
      ...Object.values(transportProjects).map((p) => p.compiled),
    ]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('When common is packed, then the tarball holds the entry points, their types, the docs and the sources of its maps, and no tests', async () => {
    const { exports } = JSON.parse(await readFile(path.join(commonDir, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(exports)).toEqual([...ENTRY_POINTS.map((entry) => `./${entry}`), './package.json', './asyncapi.json']);
    const entryFiles = ENTRY_POINTS.flatMap((entry) => [`dist/${entry}/index.js`, `dist/${entry}/index.d.ts`]);
    expect(tarballFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'asyncapi.json', ...entryFiles]));
    expect(tarballFiles.filter((f) => /(^|\/)test\/|\.test\.[jt]s$|\.tsbuildinfo$|^(?!dist\/|src\/)[^/]+\//.test(f))).toEqual([]);
    for (const js of tarballFiles.filter((f) => f.endsWith('.js'))) {
      // Every compiled file has its types, its map and its source: no left-over output of a deleted module.
      const source = js.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      expect(tarballFiles).toEqual(expect.arrayContaining([js.replace(/\.js$/, '.d.ts'), `${js}.map`, source]));
    }
  });

  it('When a shipped source map is read, then every source it names is in the package', async () => {
    const installed = path.join(projectDir, 'node_modules/@ticketing/common');
    const maps = tarballFiles.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(path.join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
        if (!tarballFiles.includes(file)) missing.push(`${map} → ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('When a strict TypeScript project uses the installed tarball, then it compiles and its app, publisher and listener work without a NATS server', async () => {
    await consumerCompiled;
    const result = lastJsonLine(await run(process.execPath, ['out/consumer.js'], projectDir, 30_000));

    const notAuthorized = { errors: [{ message: 'Not authorized' }] };
    expect(result).toEqual({
      http: {
        unauthenticated: { status: 401, body: notAuthorized },
        authenticated: { status: 200, body: { id: 'u1', email: 'ann@example.com' } },
        badRequest: { status: 400, body: { errors: [{ message: 'Title is required', field: 'title' }] } },
        notFound: { status: 404, body: { errors: [{ message: 'Ticket not found' }] } },
        notAuthorized: { status: 401, body: { errors: [{ message: 'Only the seller may delete it' }] } },
        unknownRoute: { status: 404, body: { errors: [{ message: 'Route not found' }] } },
      },
      published: [
        {
          subject: 'ticket:created',
          messageId: 'ticket:created/t1:0',
          payload: { id: 't1', version: 0, title: 'Concert', price: 40, userId: 'u1' },
        },
      ],
      invalidPublish: 'EventValidationError',
      verdicts: ['applied', 'stale', 'gap'],
      settled: ['ack', expect.stringMatching(/^dead-letter: invalid payload: /), 'term'],
      replicas: ['t1', 't2'],
      order: { subject: 'order:created', status: 'created' },
    });
    // Two strict compiles of a fresh project run in the background since beforeAll: on a busy 2-core machine
    // they take longer than jest's default 30 s.
  }, 120_000);

  it('When a project installs the tarball with express only, then mongoose and the NATS clients are not installed, and a strict web service on /errors and /http compiles and works', async () => {
    expect(DATABASE_AND_NATS_PEERS.filter((name) => existsSync(path.join(httpOnlyDir, 'node_modules', name)))).toEqual([]);
    await httpOnlyCompiled;
    const result = lastJsonLine(await run(process.execPath, ['out/consumer.js'], httpOnlyDir, 30_000));

    const notAuthorized = { errors: [{ message: 'Not authorized' }] };
    expect(result).toEqual({
      assembled: {
        unauthenticated: { status: 401, body: notAuthorized },
        authenticated: { status: 200, body: { id: 'u1' } },
        badRequest: { status: 400, body: { errors: [{ message: 'Title is required', field: 'title' }] } },
        notFound: { status: 404, body: { errors: [{ message: 'Ticket not found' }] } },
        conflict: { status: 409, body: { errors: [{ message: 'Ticket is reserved' }] } },
      },
      built: {
        ping: { status: 200, body: { pong: true } },
        ready: { status: 200, body: { status: 'ready', checks: { cache: true } } },
      },
      resolvable: [],
    });
    // The same project resolved without `exports` (moduleResolution node10) finds the subpaths' types too.
    await expect(node10Compiled).resolves.toBeDefined();
  }, 120_000);

  it("When the README's TypeScript samples are compiled against the installed package, then they type-check", async () => {
    // A failed compile names the sample file (readme/sample-<n>.mts, in README order) and the error.
    await expect(readmeCompiled).resolves.toBeDefined();
  }, 120_000);

  it('When each entry point is required or imported, then it loads without opening handles or registering process handlers, and only the entry points are importable', async () => {
    const required = lastJsonLine(await run(process.execPath, ['require-probe.cjs'], projectDir)) as {
      before: unknown;
      after: unknown;
      exports: Record<string, string[]>;
      unexported: Record<string, string>;
    };
    expect(required.after).toEqual(required.before);
    expect(required.unexported).toEqual({ root: 'ERR_PACKAGE_PATH_NOT_EXPORTED', internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    // The README lists the public API: every name an entry point exports at run time is listed under it.
    const documented = documentedApi(await readFile(path.join(commonDir, 'README.md'), 'utf8'));
    expect(Object.keys(documented)).toEqual(ENTRY_POINTS);
    for (const entry of ENTRY_POINTS) {
      expect({ entry, undocumented: required.exports[entry].filter((name) => !documented[entry].includes(name)) }).toEqual({
        entry,
        undocumented: [],
      });
    }

    const imported = lastJsonLine(await run(process.execPath, ['import-probe.mjs'], projectDir));
    const { version } = JSON.parse(await readFile(path.join(commonDir, 'package.json'), 'utf8')) as { version: string };
    expect(imported).toEqual({
      subject: 'order:created',
      status: 400,
      listener: 'function',
      requireAuth: 'function',
      connectMongo: 'function',
      pendingEvent: 'function',
      transports: ['JetStreamTransport', 'StanTransport'],
      version,
    });
  });
  it('When the sources and the packed files import a package, then the manifest declares it as a dependency or a peer dependency', async () => {
    const manifest = JSON.parse(await readFile(path.join(commonDir, 'package.json'), 'utf8')) as Manifest;
    const installed = path.join(projectDir, 'node_modules/@ticketing/common');
    const packed = tarballFiles.filter((file) => /\.(js|d\.ts)$/.test(file));
    const files = {
      ...(await sourcesUnder(commonDir, 'src')),
      ...Object.fromEntries(await Promise.all(packed.map(async (file) => [file, await readFile(path.join(installed, file), 'utf8')]))),
    };
    // The scan sees type-only imports too (the grouped inserts take the driver's types from mongoose alone).
    expect(importedPackages(files['src/mongo/grouped-inserts.ts'])).toEqual(['mongoose']);
    expect(undeclaredImports(files, manifest)).toEqual({});
  });

  it.each([
    [
      'jetstream',
      {
        errors: 'loaded',
        http: 'needs express',
        events: 'loaded',
        mongo: 'loaded',
        outbox: 'loaded',
        jetstream: 'loaded',
        stan: 'needs node-nats-streaming',
      },
      /^The stan event transport needs node-nats-streaming installed: npm install node-nats-streaming$/,
    ],
    [
      'stan',
      {
        errors: 'loaded',
        http: 'needs express',
        events: 'loaded',
        mongo: 'needs mongoose',
        outbox: 'needs mongoose',
        jetstream: 'needs @nats-io/jetstream',
        stan: 'loaded',
      },
      /^The jetstream event transport needs @nats-io\/jetstream and @nats-io\/transport-node installed: npm install @nats-io\/jetstream @nats-io\/transport-node$/,
    ],
  ] as const)(
    'When a project installs the tarball with only the %s client, then /events loads no broker client, each entry point needs only its own peers, and an event published through connectEventBus reaches a listener on that server',
    async (kind, entries, otherTransport) => {
      const { dir, compiled } = transportProjects[kind];
      const otherClients = DATABASE_AND_NATS_PEERS.filter(
        (name) => !TRANSPORT_ONLY_DEPENDENCIES[kind].some((dep) => dep.startsWith(`${name}@`)),
      );
      expect(otherClients.filter((name) => existsSync(path.join(dir, 'node_modules', name)))).toEqual([]);

      // `/events` itself loads only the package and zod (its schemas): no NATS client, no mongoose, no express.
      const probe = lastJsonLine(await run(process.execPath, ['transport-probe.cjs'], dir));
      expect(probe).toEqual({ eventsLoad: ['@ticketing/common', 'zod'], entries });

      // Compiled strictly, the package's declarations included: none of them needs the other transport's types.
      await compiled;
      const result = lastJsonLine(await run(process.execPath, ['out/consumer.js'], dir, 60_000, transportEnv(kind)));
      expect(result).toEqual({
        kind,
        delivered: { id: 't1', version: 0, title: 'Concert', price: 40, userId: 'u1' },
        isEntryPointClass: true,
        otherTransport: expect.stringMatching(otherTransport),
      });
    },
    120_000,
  );
});
