/**
 * Figures 3 to 5, on the event path: how long a new ticket takes to reach orders' replica at a given
 * request rate, how long a burst of orders takes to settle on both sides, and how fast a version that
 * arrives before its predecessor is applied once the predecessor is there.
 */
import { ObjectId } from 'mongodb';
import { discardEvents } from './http-figures';
import type { LoadGenerator } from './load';
import type { LoadResult } from './load-protocol';
import type { BenchOptions } from './options';
import { max, nowMs, percentile } from './stats';
import { type BenchContext, insertPool, removeCreated, type Target, waitForEvents } from './target';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface EventBench {
  ctx: BenchContext;
  load: LoadGenerator;
  options: BenchOptions;
}

/** Checks which of these ids have reached the state we wait for (one query per id: `_id` lookups are indexed). */
type Check = (ids: string[]) => Promise<Set<string>>;

type Collection = ReturnType<Target['db']['orders']['collection']>;

/**
 * The ids whose document exists and, with `field`, has that field at `atLeast` or more (`true`: present at
 * all). The filter is on `_id` alone (an index look-up per id) and the rest is checked here, so the polling
 * loads the very system being measured as little as it can.
 */
function byIdCheck(collection: Collection, field?: { name: string; atLeast: number | true }): Check {
  const projection = { _id: 1, ...(field ? { [field.name]: 1 } : {}) };
  const reached = (doc: Record<string, unknown> | null) => {
    if (!doc) return false;
    if (!field) return true;
    const value = doc[field.name];
    return field.atLeast === true ? value !== undefined && value !== null : typeof value === 'number' && value >= field.atLeast;
  };
  return async (ids) => {
    const found = await Promise.all(
      ids.map((id) => collection.findOne({ _id: new ObjectId(id) }, { projection }).then((doc) => (reached(doc) ? id : undefined))),
    );
    return new Set(found.filter((id): id is string => id !== undefined));
  };
}

/**
 * Ids waiting to reach a state, checked oldest first: events are applied roughly in the order the
 * requests were answered, so each tick looks at the oldest `window` ids plus a couple of younger ones in
 * turn (an id applied out of order is still seen soon). This keeps the polling load on the database small
 * however long the backlog grows.
 */
class Tracker {
  private outstanding: Array<{ id: string; since: number }> = [];
  private cursor = 0;
  readonly latencies: number[] = [];

  constructor(
    private readonly check: Check,
    private readonly window = 8,
  ) {}

  add(id: string, since: number): void {
    this.outstanding.push({ id, since });
  }

  get size(): number {
    return this.outstanding.length;
  }

  async tick(): Promise<void> {
    if (this.outstanding.length === 0) return;
    const picked = this.outstanding.slice(0, this.window);
    const rest = this.outstanding.length - picked.length;
    for (let i = 0; i < Math.min(2, rest); i++) {
      const item = this.outstanding[this.window + (this.cursor++ % rest)];
      if (item && !picked.includes(item)) picked.push(item);
    }
    const found = await this.check(picked.map((p) => p.id));
    if (found.size === 0) return;
    const at = nowMs();
    for (const item of picked) if (found.has(item.id)) this.latencies.push(at - item.since);
    this.outstanding = this.outstanding.filter((item) => !found.has(item.id));
  }

  /** How many ids have reached the state so far. */
  get found(): number {
    return this.latencies.length;
  }

  /**
   * Polls until `enough()` or `deadline` (ms): after a tick that found every id it looked at the next runs at
   * once (a backlog applied in order is caught up with quickly), otherwise after ~5 ms.
   */
  async pollUntil(enough: () => boolean, deadline: number): Promise<void> {
    while (!enough() && this.outstanding.length > 0 && nowMs() < deadline) {
      const looked = Math.min(this.window + 2, this.outstanding.length);
      const before = this.found;
      await this.tick();
      if (this.found - before < looked) await sleep(5);
    }
  }

  /** Polls every ~5 ms until nothing is outstanding and `isDone()`, or until `deadline()` passes. */
  async poll(isDone: () => boolean, deadline: () => number): Promise<void> {
    while (!(isDone() && this.outstanding.length === 0) && nowMs() < deadline()) {
      await this.tick();
      await sleep(5);
    }
  }
}

export interface ConvergenceRun {
  rate: number;
  durationSec: number;
  post: LoadResult;
  /** Ms from each 201 to the ticket being in orders' replica. */
  p50?: number;
  p99?: number;
  max?: number;
  converged: number;
  /** Tickets not in the replica when the bench stopped waiting. */
  unconverged: number;
  sustained: boolean;
}

const TITLE_CONVERGE = 'conv';

/** POST /api/tickets at `rate`/s for `durationSec`, timing each ticket's arrival in orders' replica. */
export async function convergence(bench: EventBench, target: Target, rate: number, durationSec: number): Promise<ConvergenceRun> {
  const tracker = new Tracker(byIdCheck(target.db.orders.collection('tickets')));
  let isLoadDone = false;
  let deadline = Number.POSITIVE_INFINITY;
  const polling = tracker.poll(
    () => isLoadDone,
    () => deadline,
  );
  let post: LoadResult;
  try {
    post = await bench.load.run(
      {
        url: `${target.system.urls.tickets}/api/tickets`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: target.seller.authorization },
        body: JSON.stringify({ title: TITLE_CONVERGE, price: 15 }),
        connections: 1,
        durationSec,
        overallRate: rate,
        timeoutSec: 10,
        reportCreated: true,
      },
      (id, at) => tracker.add(id, at),
    );
  } finally {
    isLoadDone = true;
    deadline = nowMs() + bench.options.convergeCapMs;
  }
  await polling;
  const latencies = tracker.latencies;
  const p99 = percentile(latencies, 99);
  const run: ConvergenceRun = {
    rate,
    durationSec,
    post,
    p50: percentile(latencies, 50),
    p99,
    max: max(latencies),
    converged: latencies.length,
    unconverged: tracker.size,
    // The generator sends on schedule only while answers keep up: a run that stretched did not hold the rate.
    sustained:
      post.non2xx === 0 &&
      post.errors === 0 &&
      post.durationSec <= durationSec + 1 &&
      tracker.size === 0 &&
      p99 !== undefined &&
      p99 < 1_000,
  };
  await cleanUp(bench, target, [TITLE_CONVERGE]);
  return run;
}

async function cleanUp(bench: EventBench, target: Target, titles: string[], orders = false): Promise<void> {
  const cap = bench.options.drainCapMs;
  if (!(await waitForEvents(bench.ctx, target, {}, {}, cap))) await discardEvents(bench.ctx, target, Math.min(3_000, cap));
  await removeCreated(target, titles, orders);
}

export interface ConvergenceSeries {
  runs: ConvergenceRun[];
  /** The highest rate (per s) whose run was sustained; 0 if none. */
  maxSustainedRate: number;
}

/** 10/s and 100/s, then the ramp while each step is sustained. */
export async function convergenceSeries(bench: EventBench, target: Target): Promise<ConvergenceSeries> {
  const runs: ConvergenceRun[] = [];
  for (const rate of [10, 100]) runs.push(await convergence(bench, target, rate, bench.options.convergeSec));
  // Quick mode tries the ramp anyway, so that its code runs.
  if (runs.every((r) => r.sustained) || bench.options.quick) {
    for (const rate of bench.options.rampRates) {
      const run = await convergence(bench, target, rate, bench.options.rampSec);
      runs.push(run);
      if (!run.sustained) break;
    }
  }
  const maxSustainedRate = Math.max(0, ...runs.filter((r) => r.sustained).map((r) => r.rate));
  return { runs, maxSustainedRate };
}

export interface SettleRun {
  orders: number;
  post: LoadResult;
  /** Ms from the last response until every order is applied on the ticket and the ticket's new version is in the replica. */
  settleMs?: number;
  /** The same for each side alone. */
  ticketsMs?: number;
  replicaMs?: number;
  unsettled: { tickets: number; replica: number };
}

const TITLE_SETTLE = 'settle';

/** A burst of orders on distinct tickets (50 concurrent), then the time until both sides have applied everything. */
export async function settle(bench: EventBench, target: Target): Promise<SettleRun> {
  const count = bench.options.settleOrders;
  const ids = await insertPool(target, count, TITLE_SETTLE);
  try {
    const post = await bench.load.run({
      url: `${target.system.urls.orders}/api/orders`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: target.buyer.authorization },
      connections: Math.min(50, count),
      durationSec: 60,
      amount: count,
      timeoutSec: 30,
      vary: { kind: 'orderBody', ids },
    });
    // Every ticket of the burst is known in advance: each side is followed id by id, oldest first, until as
    // many as were accepted have arrived (a refused order's ticket never does). Its latency from the last
    // response is the time that side took.
    const accepted = post.statusCounts['201'] ?? 0;
    const deadline = nowMs() + bench.options.convergeCapMs;
    const follow = async (check: Check): Promise<{ at?: number; left: number }> => {
      const tracker = new Tracker(check);
      for (const id of ids) tracker.add(id, post.lastResponseAt);
      await tracker.pollUntil(() => tracker.found >= accepted, deadline);
      return tracker.found >= accepted
        ? { at: post.lastResponseAt + (max(tracker.latencies) ?? 0), left: 0 }
        : { left: accepted - tracker.found };
    };
    const [tickets, replica] = await Promise.all([
      follow(byIdCheck(target.db.tickets.collection('tickets'), { name: 'orderId', atLeast: true })),
      follow(byIdCheck(target.db.orders.collection('tickets'), { name: 'version', atLeast: 1 })),
    ]);
    const ticketsMs = tickets.at === undefined ? undefined : Math.max(0, tickets.at - post.lastResponseAt);
    const replicaMs = replica.at === undefined ? undefined : Math.max(0, replica.at - post.lastResponseAt);
    return {
      orders: count,
      post,
      settleMs: ticketsMs !== undefined && replicaMs !== undefined ? Math.max(ticketsMs, replicaMs) : undefined,
      ticketsMs,
      replicaMs,
      unsettled: { tickets: tickets.left, replica: replica.left },
    };
  } finally {
    await cleanUp(bench, target, [TITLE_SETTLE], true);
  }
}

export interface OutOfOrderRun {
  /** Ms from v1 being stored (the gap filled) until the replica shows v2. */
  afterGapMs?: number;
  /** Ms from v2 being stored (before v1) until the replica shows v2. */
  afterV2Ms?: number;
}

const TITLE_OOO = 'ooo';

async function waitForVersion(target: Target, id: ObjectId, version: number, capMs: number): Promise<number | undefined> {
  const replica = target.db.orders.collection('tickets');
  const deadline = nowMs() + capMs;
  while (nowMs() < deadline) {
    if (await replica.findOne({ _id: id, version }, { projection: { _id: 1 } })) return nowMs();
    await sleep(2);
  }
  return undefined;
}

/**
 * Publishes, on the system's own subjects and in its wire format, ticket:created v0 of a new ticket; once
 * the replica has it, ticket:updated v2 and then v1, and times how long v2 takes to be applied.
 */
export async function outOfOrder(bench: EventBench, target: Target): Promise<OutOfOrderRun> {
  const _id = new ObjectId();
  const id = _id.toHexString();
  const data = (version: number) => ({ id, version, title: `${TITLE_OOO} v${version}`, price: 20 + version, userId: target.seller.id });
  const publish = async (subject: string, version: number) => {
    await bench.ctx.js.publish(target.wire.toWire(subject), target.api.encodeEvent(subject, data(version)), { msgID: `${id}:${version}` });
    return nowMs();
  };
  try {
    await publish('ticket:created', 0);
    if ((await waitForVersion(target, _id, 0, bench.options.convergeCapMs)) === undefined) return {};
    const v2StoredAt = await publish('ticket:updated', 2);
    const v1StoredAt = await publish('ticket:updated', 1);
    const appliedAt = await waitForVersion(target, _id, 2, bench.options.convergeCapMs);
    if (appliedAt === undefined) return {};
    return { afterGapMs: appliedAt - v1StoredAt, afterV2Ms: appliedAt - v2StoredAt };
  } finally {
    await target.db.orders.collection('tickets').deleteOne({ _id });
  }
}
