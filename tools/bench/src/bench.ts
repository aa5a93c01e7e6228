/**
 * `npm run bench`: starts the stack as `npm start` does (nats-server with JetStream, a database server), runs the
 * current tree and a baseline commit side by side on it (own namespaces), measures them in alternating
 * rounds, prints one markdown report and writes it, with the same figures as JSON, to `.bench/`.
 * Everything it starts it stops, on success, on error and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { repoRoot } from '@ticketing/stack/paths';
import { type Stack, startStack } from '@ticketing/stack/stack';
import { MongoClient } from 'mongodb';
import { describeWorkingTree, type GitInfo, prepareBaseline, resolveCommit } from './baseline';
import { convergenceSeries, outOfOrder, settle } from './event-figures';
import { type HttpBench, type HttpRun, httpRows, runHttpRow, sizeLabel, warmUp } from './http-figures';
import { LoadGenerator } from './load';
import { type BenchOptions, parseOptions } from './options';
import { waitUntilQuiet } from './proc';
import { measureInChild, type PubSubMeasurement } from './pubsub-process';
import { aggregate, renderMarkdown } from './report';
import type { BenchReport, Machine, RawResults } from './report-model';
import { FLOOD_SOURCE_NAMES, type FloodBench, floodSourceLabel, type SigninFloodRun, signinFlood } from './signin-flood';
import { nowMs } from './stats';
import { type BenchContext, checkSeedShapes, pause, resume, seedTickets, startTarget, type Target } from './target';

const processStarted = nowMs();
const log = (line: string) => process.stderr.write(`[bench ${((nowMs() - processStarted) / 1000).toFixed(1)}s] ${line}\n`);
const outputDir = path.join(repoRoot, '.bench');

/** Cleanup steps, run last-in first-out, once. */
class Teardown {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  private running?: Promise<void>;

  /** True once stopping began: the measurements stop at their next step. */
  get isStopping(): boolean {
    return this.running !== undefined;
  }

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.run().catch((err: unknown) => log(`stopping ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    })();
    return this.running;
  }
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  };
}

/** The database server's processes we own, as process trees (its sessions may be child processes); none for an external one. */
function databaseProcesses(stack: Stack): number[] | undefined {
  const pids = [stack.mongo.process?.pid, stack.mongo.postgres?.pid].filter((pid): pid is number => pid !== undefined);
  return pids.length > 0 ? pids : undefined;
}

/** The servers that ran, by binary and version. */
function describeStack(stack: Stack): string {
  const binary = (command: string | undefined) => (command ? path.basename(command) : undefined);
  const nats = binary(stack.nats?.process.options.command) ?? 'nats-server';
  return `${nats} (JetStream), ${stack.mongo.description}; one of each, shared by both systems`;
}

function describeFlood(run: SigninFloodRun): string {
  const user = (p: SigninFloodRun['idle']) =>
    `${p.signins} sign-in${p.signins === 1 ? '' : 's'}, p50 ${p.p50?.toFixed(1)} ms, p99 ${p.p99?.toFixed(1)} ms, max ${p.max?.toFixed(1)} ms${p.failed > 0 ? ` (${p.failed} failed)` : ''}`;
  const floods = FLOOD_SOURCE_NAMES.map((source) => {
    const { user: known, newDevice, attack } = run.floods[source];
    const statuses = Object.entries(attack.statusCounts)
      .map(([code, n]) => `${n} × ${code}`)
      .join(', ');
    return (
      `under the flood ${floodSourceLabel(source)}: ${user(known)}, on a new device ${user(newDevice)}; ` +
      `the flood: ${attack.requests} requests (${statuses})`
    );
  });
  return `${run.target} r${run.round} sign-in alone: ${user(run.idle)}; ${floods.join('; ')}${run.notes.length > 0 ? `; ${run.notes.join('; ')}` : ''}`;
}

function describeRun(run: HttpRun): string {
  const who = `${run.target} r${run.round}`;
  if (!run.result) return `${who} ${run.label}: skipped (${run.skipped})`;
  const r = run.result;
  const flags = [r.non2xx > 0 ? `${r.non2xx} non-2xx` : '', r.errors > 0 ? `${r.errors} errors` : '', ...run.notes]
    .filter(Boolean)
    .join(', ');
  return `${who} ${run.label}: ${Math.round(r.reqPerSec)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${flags ? ` (${flags})` : ''}`;
}

async function main(options: BenchOptions, teardown: Teardown): Promise<BenchReport> {
  const started = nowMs();
  const warnings: string[] = [];
  const errors: string[] = [];
  const tree = await describeWorkingTree();
  const currentLabel = `${tree.head.short} (working tree${tree.changedFiles > 0 ? `, ${tree.changedFiles} files changed` : ', clean'})`;
  let baselineCommit: GitInfo | undefined;
  let baselineRoot: string | undefined;
  if (options.baseline) {
    baselineCommit = await resolveCommit(options.baseline);
    baselineRoot = await prepareBaseline(baselineCommit, log);
  }

  // Without NATS identities: the baseline is a tree from before them, and both systems share the server.
  const stack: Stack = await startStack((line) => log(`stack: ${line}`), { jetstream: true, natsAuth: false });
  teardown.add('stack', () => stack.stop());
  log(`servers: ${stack.describe()}`);
  const natsUrl = stack.env.NATS_URL;
  const mongoUrl = stack.env.MONGO_URL;
  if (!natsUrl || !mongoUrl) throw new Error('the stack did not report NATS_URL and MONGO_URL');

  const mongo = await MongoClient.connect(mongoUrl, { maxPoolSize: 8 });
  teardown.add('database client', () => mongo.close());
  const nc: NatsConnection = await connect({ servers: natsUrl, name: 'bench' });
  teardown.add('NATS connection', () => nc.close());
  const ctx: BenchContext = {
    natsUrl,
    mongoUrl,
    mongo,
    jsm: await jetstreamManager(nc),
    js: jetstream(nc),
    logDir: mkdtempSync(path.join(os.tmpdir(), 'ticketing-bench-logs-')),
    ...(stack.stripe ? { stripe: { apiBase: stack.stripe.url, secretKey: stack.stripe.secretKey } } : {}),
  };
  teardown.add('service logs', async () => {
    if (!process.env.KEEP_STACK_DATA) rmSync(ctx.logDir, { recursive: true, force: true });
  });
  const load = await LoadGenerator.start();
  teardown.add('load generator', () => load.stop());

  const namespace = `bench${randomBytes(3).toString('hex')}`;
  const targets: Target[] = [];
  const addTarget = async (name: 'current' | 'baseline', label: string, root: string) => {
    log(`starting ${name}: ${label}`);
    const target = await startTarget(ctx, { name, label, root, namespace: `${namespace}${name === 'current' ? 'cur' : 'base'}` });
    teardown.add(`${name} services`, async () => {
      for (const service of Object.values(target.system.services)) service.signal('SIGCONT');
      await target.system.stop();
    });
    targets.push(target);
    warnings.push(...checkSeedShapes(root));
    pause(target);
  };
  await addTarget('current', currentLabel, repoRoot);
  if (baselineCommit && baselineRoot) await addTarget('baseline', `${baselineCommit.short} "${baselineCommit.subject}"`, baselineRoot);
  const current = targets[0] as Target;
  const baseline = targets[1];

  const httpBench: HttpBench = {
    ctx,
    load,
    options,
    sharedProcesses: { gateway: process.pid, database: databaseProcesses(stack), nats: stack.nats?.process.pid },
    rates: new Map(),
    tooSlow: new Map(),
  };
  const floodBench: FloodBench = { load, options, running: new Set(), started: [] };
  // Runs before the systems' own teardown (last in, first out).
  teardown.add('sign-in flood auth', () => Promise.allSettled([...floodBench.running].map((p) => p.stop('SIGKILL'))));
  if (!httpBench.sharedProcesses.database) warnings.push(`the database is ${stack.mongo.kind}, not a process of ours: no figures for it`);

  const raw: RawResults = {
    httpRuns: [],
    convergence: { current: [], baseline: baseline ? [] : undefined },
    settle: { current: [], baseline: baseline ? [] : undefined },
    outOfOrder: { current: [], baseline: baseline ? [] : undefined },
    signinFlood: { current: [], baseline: baseline ? [] : undefined },
    pubsub: {
      raw: { publish: [], consume: [] },
      current: { publish: [], consume: [] },
      baseline: baseline ? { publish: [], consume: [] } : undefined,
    },
  };
  const perTarget = <T>(holder: { current: T[]; baseline?: T[] }, target: Target): T[] =>
    (target.name === 'current' ? holder.current : holder.baseline) ?? [];
  /** Runs one figure; a failure is recorded and the bench goes on with the next. */
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (teardown.isStopping) throw new Error('stopped');
    try {
      return await fn();
    } catch (err) {
      if (teardown.isStopping) throw new Error('stopped');
      const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      log(`FAILED ${message}`);
      errors.push(message);
      return undefined;
    }
  };

  const warmed = new Set<Target>();
  const eventSize = options.sizes[0];
  /** Lets the shared servers finish what was sent before (see `waitUntilQuiet`); says so when they did not. */
  const untilSharedQuiet = async (after: string, capMs: number) => {
    const { database, nats } = httpBench.sharedProcesses;
    const { waitedMs, isQuiet } = await waitUntilQuiet({ database, nats }, { capMs: options.quick ? 1_000 : capMs });
    log(`${after}: shared servers ${isQuiet ? 'quiet' : 'still busy'} after ${(waitedMs / 1000).toFixed(1)} s`);
  };
  for (const size of options.sizes) {
    for (const target of targets) pause(target);
    log(`seeding ${size.toLocaleString('en-US')} tickets into each system`);
    const seedStarted = nowMs();
    await Promise.all(targets.map((t) => seedTickets(t, size)));
    log(`seeded in ${((nowMs() - seedStarted) / 1000).toFixed(1)} s`);
    await untilSharedQuiet('after seeding', 30_000);
    const rounds = size > 10_000 ? options.roundsLarge : options.rounds;
    for (let round = 1; round <= rounds; round++) {
      /** Pauses the other system, resumes `target` and waits for quiet shared servers; warms it up once. */
      const turnTo = async (target: Target, what: string) => {
        for (const other of targets) if (other !== target) pause(other);
        await resume(target);
        await untilSharedQuiet(`${target.name} resumed`, 5_000);
        log(`${target.name}, ${sizeLabel(size)} tickets, round ${round} of ${rounds}: ${what}`);
        if (!warmed.has(target) && options.parts.has('http')) {
          await attempt(`${target.name} warm-up`, () => warmUp(httpBench, target, size));
          warmed.add(target);
        }
      };
      // Who goes first alternates from round to round, so neither system is always measured first.
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      // The systems take turns endpoint by endpoint: both measure an endpoint within seconds of each other,
      // so a slow phase of the machine (they last minutes here) falls on both sides of a ratio. Whole rounds
      // in turn put two and a half minutes between the two measurements of a row.
      const rows = options.parts.has('http') ? httpRows(size, options.endpoints) : [];
      for (const endpoint of new Set(rows.map((row) => row.endpoint))) {
        for (const target of order) {
          await turnTo(target, endpoint);
          for (const row of rows.filter((r) => r.endpoint === endpoint)) {
            const run = await attempt(`${target.name} ${row.endpoint} ${row.route} c${row.connections} ${sizeLabel(size)}`, () =>
              runHttpRow(httpBench, target, row, round),
            );
            if (run) {
              raw.httpRuns.push(run);
              log(describeRun(run));
            }
          }
        }
      }
      const hasEvents = size === eventSize && options.parts.has('events');
      const hasFlood = size === eventSize && options.parts.has('flood');
      // Events and the flood are measured at one size only; at the others no system takes this turn.
      const eventTurns = hasEvents || hasFlood ? order : [];
      for (const target of eventTurns) {
        await turnTo(target, 'events and sign-in flood');
        if (hasEvents) {
          const series = await attempt(`${target.name} convergence`, () => convergenceSeries(httpBench, target));
          if (series) {
            perTarget(raw.convergence, target).push(series);
            for (const r of series.runs) {
              log(
                `${target.name} r${round} convergence at ${r.rate}/s: p50 ${r.p50?.toFixed(1)} ms, p99 ${r.p99?.toFixed(1)} ms, max ${r.max?.toFixed(1)} ms` +
                  `${r.unconverged ? `, ${r.unconverged} not converged` : ''}${r.sustained ? '' : ' (not sustained)'}`,
              );
            }
          }
          const settled = await attempt(`${target.name} settle`, () => settle(httpBench, target));
          if (settled) {
            perTarget(raw.settle, target).push(settled);
            log(
              `${target.name} r${round} settle of ${settled.orders} orders: ${
                settled.settleMs === undefined
                  ? `not settled within the cap (${settled.unsettled.tickets} tickets, ${settled.unsettled.replica} replicas left)`
                  : `${settled.settleMs.toFixed(1)} ms`
              }`,
            );
          }
          const reordered: string[] = [];
          for (let i = 0; i < options.outOfOrderReps; i++) {
            const ooo = await attempt(`${target.name} out-of-order`, () => outOfOrder(httpBench, target));
            if (ooo) perTarget(raw.outOfOrder, target).push(ooo);
            reordered.push(ooo?.afterGapMs?.toFixed(1) ?? 'never');
          }
          log(`${target.name} r${round} out-of-order (ms after the gap filled): ${reordered.join(', ')}`);
        }
        if (hasFlood) {
          const flood = await attempt(`${target.name} sign-in flood`, () => signinFlood(floodBench, target, round));
          if (flood) {
            perTarget(raw.signinFlood, target).push(flood);
            log(describeFlood(flood));
          }
        }
      }
    }
  }
  for (const target of targets) pause(target);

  log(`pub/sub: ${options.pubsubEvents.toLocaleString('en-US')} events per measurement`);
  // Each measurement in a new process (see pubsub-process.ts); the services are paused meanwhile.
  for (let round = 1; round <= (options.parts.has('pubsub') ? options.rounds : 0); round++) {
    const record = async (what: string, into: number[], measurement: PubSubMeasurement, root = current.root) => {
      const value = await attempt(`pub/sub ${what}`, () => measureInChild(ctx.natsUrl, { measurement, root, count: options.pubsubEvents }));
      if (value !== undefined) {
        into.push(value);
        log(`r${round} ${what}: ${Math.round(value)} events/s`);
      }
    };
    await record('raw publish', raw.pubsub.raw.publish, 'raw publish');
    await record('current Publisher', raw.pubsub.current.publish, 'Publisher');
    if (baseline && raw.pubsub.baseline) await record('baseline Publisher', raw.pubsub.baseline.publish, 'Publisher', baseline.root);
    await record('raw consume', raw.pubsub.raw.consume, 'raw consume');
    await record('current Listener', raw.pubsub.current.consume, 'Listener');
    if (baseline && raw.pubsub.baseline) await record('baseline Listener', raw.pubsub.baseline.consume, 'Listener', baseline.root);
  }

  const processes = [
    { name: 'nats-server', pid: stack.nats?.process.pid },
    { name: 'database', pid: stack.mongo.process?.pid },
    { name: 'load generator', pid: load.pid },
    ...targets.flatMap((t) =>
      Object.entries(t.system.services).map(([name, service]) => ({ name: `${t.name} ${name}`, pid: service.pid })),
    ),
    ...floodBench.started,
  ].filter((p): p is { name: string; pid: number } => p.pid !== undefined);
  const figures = aggregate(raw, options.sizes, baseline !== undefined, options.floodSec, options.endpoints);
  figures.pubsub.events = options.pubsubEvents;
  return {
    generatedAt: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    wallSeconds: (nowMs() - started) / 1000,
    machine: machine(),
    stack: describeStack(stack),
    current: { label: current.label, commit: tree.head.sha },
    baseline: baseline && baselineCommit ? { label: baseline.label, commit: baselineCommit.sha } : undefined,
    settings: {
      rounds: options.rounds,
      'rounds at 100k': options.roundsLarge,
      'seconds per HTTP run': options.durationSec,
      sizes: options.sizes.map(sizeLabel).join(', '),
      'pub/sub events': options.pubsubEvents,
      'drain cap (s)': options.drainCapMs / 1000,
      'converge cap (s)': options.convergeCapMs / 1000,
      'sign-in flood (s)': options.floodSec,
    },
    parts: [...options.parts],
    ...figures,
    warnings,
    errors,
    processes,
    raw,
  };
}

/** The report as markdown and JSON in `.bench/` (and `latest.*`), or the JSON only to `--json <file>`. */
function write(report: BenchReport, options: BenchOptions): string[] {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.jsonFile) {
    mkdirSync(path.dirname(path.resolve(options.jsonFile)), { recursive: true });
    writeFileSync(options.jsonFile, json);
    return [path.resolve(options.jsonFile)];
  }
  mkdirSync(outputDir, { recursive: true });
  const stamp = report.generatedAt.replace(/[:.]/g, '-');
  const markdown = renderMarkdown(report);
  const files = [path.join(outputDir, `bench-${stamp}.json`), path.join(outputDir, `bench-${stamp}.md`)];
  writeFileSync(files[0] as string, json);
  writeFileSync(files[1] as string, markdown);
  writeFileSync(path.join(outputDir, 'latest.json'), json);
  writeFileSync(path.join(outputDir, 'latest.md'), markdown);
  return files;
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const teardown = new Teardown();
let isStopping = false;
const stopOnSignal = (signal: NodeJS.Signals) => {
  if (isStopping) return;
  isStopping = true;
  log(`${signal}: stopping everything…`);
  void teardown.run().finally(() => process.exit(130));
};
process.on('SIGINT', stopOnSignal);
process.on('SIGTERM', stopOnSignal);
// Whatever goes wrong, the servers and services started so far are stopped before the process ends.
process.on('uncaughtException', (err) => {
  log(`unexpected error: ${err.stack ?? err.message}`);
  void teardown.run().finally(() => process.exit(1));
});

main(options, teardown)
  .then(async (report) => {
    await teardown.run();
    process.stdout.write(renderMarkdown(report));
    for (const file of write(report, options)) log(`wrote ${path.relative(process.cwd(), file)}`);
    process.exit(report.errors.length > 0 ? 1 : 0);
  })
  .catch(async (err: unknown) => {
    if (!teardown.isStopping) log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await teardown.run();
    process.exit(isStopping ? 130 : 1);
  });
