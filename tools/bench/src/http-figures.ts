/** Figures 1 and 2: HTTP throughput and latency with autocannon, and the CPU and memory each run cost. */
import { randomBytes } from 'node:crypto';
import type { ServiceName } from '@ticketing/launcher/system';
import { ENDPOINTS, type EndpointKey, ROUTES, type Route } from './endpoints';
import type { LoadGenerator } from './load';
import type { LoadResult, LoadSpec } from './load-protocol';
import type { BenchOptions } from './options';
import { type ProcSet, type ProcUsage, sampleAll, usageBetween } from './proc';
import { nowMs } from './stats';
import {
  type BenchContext,
  drainProbe,
  eventCounts,
  insertPool,
  PASSWORD,
  processesOf,
  purgeEvents,
  removeByIds,
  removeCreated,
  restartService,
  type Target,
  type TargetName,
  waitForEvents,
} from './target';

export const CONNECTIONS: readonly number[] = [10, 50];

export interface HttpRow {
  endpoint: EndpointKey;
  service: ServiceName;
  route: Route;
  connections: number;
  size: number;
}

export interface HttpRun {
  label: string;
  target: TargetName;
  round: number;
  row: HttpRow;
  /** Absent when the row was skipped. */
  result?: LoadResult;
  skipped?: string;
  /** Latency of the single request sent before the run (ms). */
  probeMs?: number;
  /** CPU seconds and RSS of each process over the run and until its backlog was done. */
  usage: Record<string, ProcUsage | undefined>;
  /** CPU seconds per 1,000 completed requests, per process. */
  cpuPer1k: Record<string, number | undefined>;
  notes: string[];
  /** Wall time of the whole row: preparation, probe, run, drain and clean-up (ms). */
  wallMs?: number;
}

export function sizeLabel(size: number): string {
  return size >= 1000 && size % 1000 === 0 ? `${size / 1000}k` : String(size);
}

export function rowLabel(row: HttpRow): string {
  return `${row.endpoint} · ${row.route} · c${row.connections} · ${sizeLabel(row.size)}`;
}

/** The HTTP rows at `size` tickets, of every endpoint or of those named in `endpoints` (`--endpoints`). */
export function httpRows(size: number, endpoints?: readonly string[]): HttpRow[] {
  const rows: HttpRow[] = [];
  for (const { key, service } of ENDPOINTS.filter(({ key }) => !endpoints || endpoints.includes(key))) {
    for (const route of ROUTES) for (const connections of CONNECTIONS) rows.push({ endpoint: key, service, route, connections, size });
  }
  return rows;
}

export interface HttpBench {
  ctx: BenchContext;
  load: LoadGenerator;
  options: BenchOptions;
  /** Processes shared by both systems: the gateway (this process), the database server, nats-server. */
  sharedProcesses: ProcSet;
  /** Last measured req/s per target and row (sizes the pool of tickets for POST /api/orders). */
  rates: Map<string, number>;
  /**
   * Why an endpoint was found too slow to load-test, per target, size, round and endpoint: its other rows
   * (route, connections) are then skipped without sending it more requests it would only queue.
   */
  tooSlow: Map<string, string>;
}

const TITLE_CREATED = 'load';
const TITLE_POOL = 'pool';
const JSON_HEADERS = { 'content-type': 'application/json' };

interface Prepared {
  /** The run, built once the probe has passed (POST /api/orders inserts its tickets only then). */
  spec: () => Promise<LoadSpec>;
  /** One request like the run's, sent first: a row it shows to be hopelessly slow is skipped. */
  probe: { url: string; init: RequestInit };
  /** Events the run's 2xx responses cause, per 2xx. */
  eventsPer2xx: Record<string, number>;
  /** Told the id of each ticket a 201 created (the run then asks for them: `reportCreated`). */
  onCreated?: (id: string) => void;
  cleanup?: () => Promise<void>;
}

/**
 * Removes tickets a row created. A query by title reads the whole collection (no index serves it), so a
 * large data set is cleaned by `_id` (indexed lookups); a run's last requests, whose answers autocannon
 * drops, leave at most `connections` tickets behind there.
 */
function remover(target: Target, title: string, orders = false): { ids: string[]; remove: () => Promise<void> } {
  const ids: string[] = [];
  return {
    ids,
    remove: () => (target.seedIds.length > 10_000 ? removeByIds(target, ids, orders) : removeCreated(target, [title], orders)),
  };
}

async function prepare(bench: HttpBench, target: Target, row: HttpRow, durationSec: number): Promise<Prepared> {
  const base = row.route === 'direct' ? target.system.urls[row.service] : target.system.gatewayUrl;
  const common = { connections: row.connections, durationSec, timeoutSec: 10 };
  switch (row.endpoint) {
    case 'POST /api/tickets': {
      const headers = { ...JSON_HEADERS, authorization: target.seller.authorization };
      const body = JSON.stringify({ title: TITLE_CREATED, price: 12.5 });
      const created = remover(target, TITLE_CREATED);
      return {
        spec: async () => ({ ...common, url: `${base}/api/tickets`, method: 'POST', headers, body, reportCreated: true }),
        probe: { url: `${base}/api/tickets`, init: { method: 'POST', headers, body } },
        eventsPer2xx: { 'ticket:created': 1 },
        onCreated: (id) => created.ids.push(id),
        cleanup: created.remove,
      };
    }
    case 'GET /api/tickets/:id': {
      const ids = spread(target.seedIds, 2_000);
      return {
        spec: async () => ({ ...common, url: `${base}/api/tickets/${ids[0]}`, method: 'GET', vary: { kind: 'ticketPath', ids } }),
        probe: { url: `${base}/api/tickets/${ids[0]}`, init: {} },
        eventsPer2xx: {},
      };
    }
    case 'GET /api/tickets':
      return {
        spec: async () => ({ ...common, url: `${base}/api/tickets`, method: 'GET' }),
        probe: { url: `${base}/api/tickets`, init: {} },
        eventsPer2xx: {},
      };
    case 'POST /api/orders': {
      const key = `${target.name} ${row.endpoint} ${row.route} c${row.connections}`;
      const guess = bench.rates.get(key) ?? bench.rates.get(`${target.name} POST /api/tickets ${row.route} c${row.connections}`) ?? 500;
      const count = Math.min(12_000, Math.ceil(guess * durationSec * 1.6) + row.connections + 50);
      const pool = remover(target, TITLE_POOL, true);
      pool.ids.push(...(await insertPool(target, 1, TITLE_POOL)));
      const headers = { ...JSON_HEADERS, authorization: target.buyer.authorization };
      return {
        spec: async () => {
          const ids = await insertPool(target, count, TITLE_POOL);
          pool.ids.push(...ids);
          return { ...common, url: `${base}/api/orders`, method: 'POST', headers, vary: { kind: 'orderBody', ids } };
        },
        probe: { url: `${base}/api/orders`, init: { method: 'POST', headers, body: JSON.stringify({ ticketId: pool.ids[0] }) } },
        // With reservations (1.0), tickets' decision and orders' confirmation follow: the order is settled then.
        eventsPer2xx: hasReservations(target)
          ? { 'order:created': 1, 'ticket:updated': 1, 'reservation:decided': 1, 'order:updated': 1 }
          : { 'order:created': 1, 'ticket:updated': 1 },
        cleanup: pool.remove,
      };
    }
    case 'POST /api/users/signup': {
      const prefix = `u${randomBytes(5).toString('hex')}`;
      return {
        spec: async () => ({
          ...common,
          url: `${base}/api/users/signup`,
          method: 'POST',
          headers: JSON_HEADERS,
          vary: { kind: 'signupBody', prefix, password: PASSWORD },
        }),
        probe: {
          url: `${base}/api/users/signup`,
          init: {
            method: 'POST',
            headers: JSON_HEADERS,
            body: JSON.stringify({ email: `${prefix}-probe@bench.example.com`, password: PASSWORD }),
          },
        },
        eventsPer2xx: {},
      };
    }
    case 'POST /api/users/signin': {
      const body = JSON.stringify(target.member);
      return {
        spec: async () => ({ ...common, url: `${base}/api/users/signin`, method: 'POST', headers: JSON_HEADERS, body }),
        probe: { url: `${base}/api/users/signin`, init: { method: 'POST', headers: JSON_HEADERS, body } },
        eventsPer2xx: {},
      };
    }
  }
}

/** Up to `n` ids spread evenly over the list (a small data set uses all of them). */
function spread(ids: readonly string[], n: number): string[] {
  if (ids.length <= n) return [...ids];
  const step = ids.length / n;
  return Array.from({ length: n }, (_, i) => ids[Math.floor(i * step)] as string);
}

async function timedRequest(url: string, init: RequestInit, timeoutMs: number): Promise<{ ms: number; status?: number; id?: string }> {
  const started = nowMs();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const ms = nowMs() - started;
    let id: string | undefined;
    try {
      const parsed = JSON.parse(text) as { id?: unknown };
      if (typeof parsed.id === 'string') id = parsed.id;
    } catch {
      // not JSON
    }
    return { ms, status: res.status, id };
  } catch {
    return { ms: nowMs() - started };
  }
}

/**
 * Clears the work a run left behind so that the next run starts clean: waits for the requests still queued
 * in the service (one probe request that queues behind them; a service still busy after 10 s is
 * restarted), then gives the events its writes caused `--drain-cap` to be applied and purges the rest from
 * the stream. The event path has its own figures (convergence, settle); here it is only cleared away.
 * Quick mode skips the wait for queued requests: its figures are a smoke test, not a measurement.
 */
async function drain(
  bench: HttpBench,
  target: Target,
  service: ServiceName,
  eventsBefore: Record<string, number>,
  expected: Record<string, number>,
  notes: string[],
): Promise<{ restarted: boolean }> {
  const cap = bench.options.drainCapMs;
  const thorough = !bench.options.quick;
  let restarted = false;
  // Requests still queued finish in seconds unless the row was pathological (many multi-second requests).
  const requestCap = Math.max(10_000, cap);
  if (thorough && (await drainProbe(target, service, requestCap)) === undefined) {
    notes.push(`${service} still busy ${requestCap / 1000} s after the run: restarted it`);
    await restartService(target, service);
    restarted = true;
  }
  if (!(await waitForEvents(bench.ctx, target, eventsBefore, expected, cap))) {
    notes.push(`events still being applied ${cap / 1000} s after the run: purged`);
    const idleCap = thorough ? 1_000 : 0;
    if (!(await discardEvents(bench.ctx, target, idleCap)) && thorough)
      notes.push(`consumers still busy ${idleCap / 1000} s after the purge`);
  }
  return { restarted };
}

/**
 * Purges the system's stored events; the consumers skip them, except the few already pulled into their
 * client buffers, which are applied normally. Resolves whether the consumers went idle within `capMs`.
 */
export async function discardEvents(ctx: BenchContext, target: Target, capMs: number): Promise<boolean> {
  await purgeEvents(ctx, target);
  return waitForEvents(ctx, target, {}, {}, capMs);
}

/** Longest a counted run may take, estimated as one request's time × connections; beyond it the row is skipped. */
const MAX_COUNTED_RUN_MS = 30_000;

export async function runHttpRow(bench: HttpBench, target: Target, row: HttpRow, round: number): Promise<HttpRun> {
  const started = nowMs();
  const run = await measureRow(bench, target, row, round);
  return { ...run, wallMs: nowMs() - started };
}

async function measureRow(bench: HttpBench, target: Target, row: HttpRow, round: number): Promise<HttpRun> {
  const notes: string[] = [];
  const label = rowLabel(row);
  const { options } = bench;
  const slowKey = `${target.name} ${row.size} r${round} ${row.endpoint}`;
  const knownSlow = bench.tooSlow.get(slowKey);
  if (knownSlow) return { label, target: target.name, round, row, skipped: knownSlow, usage: {}, cpuPer1k: {}, notes };
  const prepared = await prepare(bench, target, row, options.durationSec);
  const pids = () => ({ ...processesOf(target), ...bench.sharedProcesses });
  try {
    // One request first (a non-2xx answer is not a reason to skip: the run counts and reports it).
    const probe = await timedRequest(prepared.probe.url, prepared.probe.init, options.slowMs * 2);
    if (probe.status === 201 && probe.id) prepared.onCreated?.(probe.id);
    if (probe.status === undefined || probe.ms > options.slowMs) {
      const skipped =
        probe.status === undefined
          ? `one request got no answer within ${(options.slowMs * 2) / 1000} s: not load-tested`
          : `one request took ${(probe.ms / 1000).toFixed(1)} s (over --slow-ms ${options.slowMs}): not load-tested`;
      bench.tooSlow.set(slowKey, skipped);
      return { label, target: target.name, round, row, skipped, probeMs: probe.ms, usage: {}, cpuPer1k: {}, notes };
    }
    // autocannon counts only what is answered before the run ends. A service that answers its concurrent
    // requests together, each after about `connections` times one request's time (one database connection,
    // cursors interleaved), may answer none within the run: such a row counts requests instead (one per
    // connection) and takes as long as they do.
    const estimateMs = probe.ms * row.connections;
    if (estimateMs > MAX_COUNTED_RUN_MS && !options.quick) {
      const skipped = `one request took ${Math.round(probe.ms)} ms: ${row.connections} at once would take about ${Math.round(estimateMs / 1000)} s; not load-tested`;
      return { label, target: target.name, round, row, skipped, probeMs: probe.ms, usage: {}, cpuPer1k: {}, notes };
    }
    const byCount = (spec: LoadSpec, used: number): LoadSpec => ({
      ...spec,
      amount: row.connections,
      timeoutSec: Math.max(spec.timeoutSec, Math.ceil((3 * estimateMs) / 1000)),
      ...(spec.vary?.kind === 'orderBody' ? { vary: { ...spec.vary, ids: spec.vary.ids.slice(used) } } : {}),
    });
    // Quick runs are short: anything slower than the run itself is counted.
    const countRequests = estimateMs / 1000 > (options.quick ? options.durationSec : Math.max(2 * options.durationSec, 6));
    const spec = await prepared.spec();
    const run = (s: LoadSpec) => bench.load.run(s, prepared.onCreated);
    const before = sampleAll(pids());
    const countsBefore = await eventCounts(bench.ctx, target);
    let result = await run(countRequests ? byCount(spec, 0) : spec);
    let after = sampleAll(pids());
    if (countRequests) notes.push(`measured over ${row.connections} requests instead of ${options.durationSec} s (slow requests)`);
    else if (result.requests === 0) {
      notes.push(`no response within ${options.durationSec} s: measured over ${row.connections} requests`);
      if (!options.quick) await drainProbe(target, row.service, Math.max(10_000, options.drainCapMs));
      const again = sampleAll(pids());
      result = await run(byCount(spec, result.usedIds));
      after = sampleAll(pids());
      Object.assign(before, again);
    }
    const created = Object.entries(result.statusCounts)
      .filter(([code]) => code.startsWith('2'))
      .reduce((n, [, c]) => n + c, 0);
    const expected = Object.fromEntries(Object.entries(prepared.eventsPer2xx).map(([subject, per]) => [subject, per * created]));
    await drain(bench, target, row.service, countsBefore, expected, notes);
    const usage = usageBetween(before, after);
    if (result.exhausted) notes.push(`ran out of prepared tickets after ${result.durationSec.toFixed(1)} s`);
    if (result.errors > 0) notes.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
    bench.rates.set(`${target.name} ${row.endpoint} ${row.route} c${row.connections}`, result.reqPerSec);
    const per1k = result.requests / 1000;
    const cpuPer1k = Object.fromEntries(
      Object.entries(usage).map(([name, u]) => [name, u && per1k > 0 ? u.cpuSeconds / per1k : undefined]),
    );
    return { label, target: target.name, round, row, result, probeMs: probe.ms, usage, cpuPer1k, notes };
  } finally {
    await prepared.cleanup?.();
  }
}

/** A short unrecorded run of every endpoint, so the first measured runs do not pay for JIT warm-up. */
export async function warmUp(bench: HttpBench, target: Target, size: number): Promise<void> {
  if (bench.options.warmupSec <= 0) return;
  for (const row of httpRows(size, bench.options.endpoints).filter((r) => r.route === 'direct' && r.connections === 10)) {
    const prepared = await prepare(bench, target, row, bench.options.warmupSec);
    const before = await eventCounts(bench.ctx, target);
    try {
      const result = await bench.load.run(await prepared.spec(), prepared.onCreated);
      const created = Object.entries(result.statusCounts)
        .filter(([code]) => code.startsWith('2'))
        .reduce((n, [, c]) => n + c, 0);
      const expected = Object.fromEntries(Object.entries(prepared.eventsPer2xx).map(([s, per]) => [s, per * created]));
      await drain(bench, target, row.service, before, expected, []);
    } finally {
      await prepared.cleanup?.();
    }
  }
}

/** True when the target's version decides reservations (`reservation:decided`, then `awaiting:payment`). */
function hasReservations(target: Target): boolean {
  return Object.values(target.api.Subjects ?? {}).includes('reservation:decided');
}
