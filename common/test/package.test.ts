/**
 * The package as npm would publish it: packs common, installs the tarball into a fresh project outside the
 * monorepo (so nothing resolves through the workspace) and uses it from a strict TypeScript consumer and
 * from the README's samples. Needs the npm registry or npm's cache; no NATS or Mongo server.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../..');
const commonDir = path.join(repoRoot, 'common');
const SETUP_TIMEOUT_MS = 240_000;

/** What the consumer installs next to the tarball: the peers and a TypeScript toolchain, pinned. */
const CONSUMER_DEPENDENCIES = [
  'express@5.1.0',
  'mongoose@8.24.10',
  'zod@4.6.7',
  'typescript@5.9.3',
  '@types/express@5.0.6',
  '@types/node@20',
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

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A consumer written the way a service would use the package, with no event bus: an in-memory transport. */
const CONSUMER_TS = `
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  type ApplyResult,
  BadRequestError,
  createLogger,
  currentUser,
  type DeadLetter,
  type EventData,
  type EventTransport,
  EventValidationError,
  errorHandler,
  Listener,
  type MessageContext,
  type MessageHandler,
  NotAuthorizedError,
  NotFoundError,
  notFoundHandler,
  type OrderCreatedEvent,
  OrderStatus,
  type PublishOptions,
  Publisher,
  requireAuth,
  Subjects,
  type Subscription,
  type TicketCreatedEvent,
  userOf,
  versionVerdict,
} from '@ticketing/common';
import express from 'express';

class MemoryTransport implements EventTransport {
  readonly kind = 'jetstream' as const;
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

/** An HS256 token as auth issues it, signed without a JWT library. */
function bearer(payload: object, key: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = \`\${part({ alg: 'HS256', typ: 'JWT' })}.\${part(payload)}\`;
  return \`Bearer \${unsigned}.\${createHmac('sha256', key).update(unsigned).digest('base64url')}\`;
}

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
    data: { id: 'o1', version: 0, status: OrderStatus.Created, userId: 'u2', expiresAt: new Date(0).toISOString(), ticket: { id: 't1', price: 40 } },
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

/** The README's samples: type-checked only (they connect to servers when run). */
const README_TSCONFIG = {
  extends: './tsconfig.json',
  compilerOptions: { noEmit: true },
  include: ['readme/*.mts'],
};

/** Loading the package must not open handles or register process handlers (no side effects on import). */
const REQUIRE_PROBE = `
const handlers = () => ['SIGTERM', 'SIGINT', 'exit', 'uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
// Create the stdio handles first: a dependency touching process.stderr on load is not a side effect of ours.
void process.stdout;
void process.stderr;
const before = { resources: process.getActiveResourcesInfo(), handlers: handlers() };
const common = require('@ticketing/common');
const after = { resources: process.getActiveResourcesInfo(), handlers: handlers() };
console.log(JSON.stringify({ before, after, exports: Object.keys(common).length }));
`;

const IMPORT_PROBE = `
import { BadRequestError, Listener, requireAuth, Subjects } from '@ticketing/common';
import pkg from '@ticketing/common/package.json' with { type: 'json' };
console.log(JSON.stringify({ subject: Subjects.OrderCreated, status: new BadRequestError('x').statusCode, listener: typeof Listener, requireAuth: typeof requireAuth, version: pkg.version }));
`;

/** The \`\`\`ts blocks of the README, each compiled as its own ES module. */
function readmeSamples(readme: string): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

describe('the published package', () => {
  let workDir: string;
  let projectDir: string;
  let tarballFiles: string[];
  let consumerCompiled: Promise<string>;
  let readmeCompiled: Promise<string>;

  beforeAll(async () => {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'common'], repoRoot);
    workDir = await mkdtemp(path.join(tmpdir(), 'ticketing-common-package-'));
    const [pack] = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', workDir], commonDir)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarballFiles = pack.files.map((f) => f.path);

    projectDir = path.join(workDir, 'consumer');
    await mkdir(path.join(projectDir, 'readme'), { recursive: true });
    await writeFile(path.join(projectDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }));
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(workDir, pack.filename), ...CONSUMER_DEPENDENCIES],
      projectDir,
      SETUP_TIMEOUT_MS,
    );

    await writeFile(path.join(projectDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    await writeFile(path.join(projectDir, 'tsconfig.readme.json'), JSON.stringify(README_TSCONFIG, null, 2));
    await writeFile(path.join(projectDir, 'consumer.ts'), CONSUMER_TS);
    const samples = readmeSamples(await readFile(path.join(commonDir, 'README.md'), 'utf8'));
    await Promise.all(samples.map((code, i) => writeFile(path.join(projectDir, 'readme', `sample-${i + 1}.mts`), code)));
    await writeFile(path.join(projectDir, 'require-probe.cjs'), REQUIRE_PROBE);
    await writeFile(path.join(projectDir, 'import-probe.mjs'), IMPORT_PROBE);
    // Both compiles run side by side; the test that needs one awaits it and reports its errors.
    const tsc = path.join(projectDir, 'node_modules/typescript/bin/tsc');
    consumerCompiled = run(process.execPath, [tsc, '-p', 'tsconfig.json'], projectDir);
    readmeCompiled = run(process.execPath, [tsc, '-p', 'tsconfig.readme.json'], projectDir);
    for (const compile of [consumerCompiled, readmeCompiled]) compile.catch(() => undefined);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([consumerCompiled, readmeCompiled]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('When common is packed, then the tarball holds the entry point, its types, the docs and the sources of its maps, and no tests', () => {
    expect(tarballFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(tarballFiles.filter((f) => /(^|\/)test\/|\.test\.[jt]s$|\.tsbuildinfo$|^(?!dist\/|src\/)[^/]+\//.test(f))).toEqual([]);
    for (const js of tarballFiles.filter((f) => f.endsWith('.js'))) {
      expect(tarballFiles).toEqual(expect.arrayContaining([js.replace(/\.js$/, '.d.ts'), `${js}.map`]));
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
        { subject: 'ticket:created', messageId: 't1:0', payload: { id: 't1', version: 0, title: 'Concert', price: 40, userId: 'u1' } },
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

  it("When the README's TypeScript samples are compiled against the installed package, then they type-check", async () => {
    // A failed compile names the sample file (readme/sample-<n>.mts, in README order) and the error.
    await expect(readmeCompiled).resolves.toBeDefined();
  }, 120_000);

  it('When the package is required or imported, then it loads without opening handles or registering process handlers', async () => {
    const required = lastJsonLine(await run(process.execPath, ['require-probe.cjs'], projectDir)) as Record<string, unknown>;
    expect(required.after).toEqual(required.before);
    expect(required.exports).toEqual(expect.any(Number));

    const imported = lastJsonLine(await run(process.execPath, ['import-probe.mjs'], projectDir));
    const { version } = JSON.parse(await readFile(path.join(commonDir, 'package.json'), 'utf8')) as { version: string };
    expect(imported).toEqual({ subject: 'order:created', status: 400, listener: 'function', requireAuth: 'function', version });
  });
});
