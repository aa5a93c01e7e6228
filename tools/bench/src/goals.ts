/** The performance targets of the project, checked against one report: each one measured, and met or not. */
import type { BenchReport, HttpCell, HttpFigure } from './report-model';
import { FLOOD_SOURCE_NAMES, floodSourceLabel } from './signin-flood';

export interface GoalRow {
  /** The bench part that measures it (`--only`). */
  part: 'http' | 'events' | 'pubsub' | 'flood';
  goal: string;
  measured: string;
  /** Undefined when this run cannot tell (no baseline, or the figure was not measured). */
  isMet?: boolean;
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '—' : n.toFixed(digits));

function figure(report: BenchReport, label: string): HttpFigure | undefined {
  return report.http.find((f) => f.label === label);
}

function ratioGoal(report: BenchReport, label: string, atLeast: number): GoalRow {
  const f = figure(report, label);
  const r = f?.ratio;
  return {
    part: 'http',
    goal: `${label}: ≥ ${atLeast}× the baseline's req/s`,
    measured:
      r === undefined
        ? 'no baseline in this run'
        : `${fmt(r)}× (${fmt(f?.current?.reqPerSec, 0)} vs ${fmt(f?.baseline?.reqPerSec, 0)} req/s)`,
    isMet: r === undefined ? undefined : r >= atLeast,
  };
}

/** Each HTTP figure at the largest size against the same figure at the smallest: at least 80 % of its rate. */
function sizeGoal(report: BenchReport): GoalRow {
  const sizes = [...new Set(report.http.map((f) => f.label.split(' · ').at(-1) ?? ''))];
  if (sizes.length < 2)
    return { part: 'http', goal: 'every HTTP figure at 100k tickets within 20 % of 1k', measured: 'one data size in this run' };
  const [small, large] = [sizes[0], sizes.at(-1)];
  const pairs: Array<{ label: string; share: number }> = [];
  for (const f of report.http) {
    if (!f.label.endsWith(` · ${small}`)) continue;
    const big = figure(report, `${f.label.slice(0, -small.length)}${large}`);
    const [a, b] = [f.current?.reqPerSec, big?.current?.reqPerSec];
    if (a && b) pairs.push({ label: f.label.slice(0, -(small.length + 3)), share: b / a });
  }
  const worst = pairs.sort((x, y) => x.share - y.share)[0];
  return {
    part: 'http',
    goal: `every HTTP figure at ${large} tickets within 20 % of ${small} (req/s)`,
    measured: worst ? `lowest: ${worst.label} at ${fmt(worst.share * 100, 0)} % (${pairs.length} figures)` : '—',
    isMet: worst ? worst.share >= 0.8 : undefined,
  };
}

function latencyGoal(label: string, cell: HttpCell | undefined, maxP99: number): GoalRow {
  return {
    part: 'http',
    goal: `${label}: p99 ≤ ${maxP99} ms`,
    measured: cell?.p99 === undefined ? '—' : `${fmt(cell.p99, 0)} ms`,
    isMet: cell?.p99 === undefined ? undefined : cell.p99 <= maxP99,
  };
}

export function goalRows(report: BenchReport): GoalRow[] {
  const c10 = 'POST /api/tickets · direct · c10 · 1k';
  const convergence100 = report.convergence.rates.find((r) => r.rate === 100)?.current;
  const settle = report.settle.current;
  const outOfOrder = report.outOfOrder.current;
  const { publish, consume } = report.pubsub;
  const flood = report.signinFlood.current;
  const share = (part?: number, whole?: number) => (part && whole ? part / whole : undefined);
  const publishShare = share(publish.current, publish.raw);
  const consumeShare = share(consume.current, consume.raw);
  return [
    ratioGoal(report, c10, 3),
    ratioGoal(report, 'POST /api/tickets · direct · c50 · 1k', 2),
    latencyGoal(c10, figure(report, c10)?.current, 50),
    ratioGoal(report, 'GET /api/tickets/:id · direct · c10 · 1k', 2),
    ratioGoal(report, 'GET /api/tickets/:id · direct · c50 · 1k', 2),
    ratioGoal(report, 'GET /api/tickets · direct · c10 · 1k', 2),
    ratioGoal(report, 'GET /api/tickets · direct · c50 · 1k', 2),
    sizeGoal(report),
    {
      part: 'events',
      goal: 'event convergence at 100/s: p99 < 50 ms',
      measured: convergence100?.p99 === undefined ? '—' : `${fmt(convergence100.p99, 0)} ms`,
      isMet: convergence100?.p99 === undefined ? undefined : convergence100.p99 < 50 && convergence100.unconverged === 0,
    },
    {
      part: 'events',
      goal: `settle time after a burst of ${settle?.orders ?? 500} orders < 2 s`,
      measured:
        settle?.settleMs === undefined ? (settle ? `not settled (${settle.unsettled} left)` : '—') : `${fmt(settle.settleMs, 0)} ms`,
      isMet: settle ? settle.settleMs !== undefined && settle.settleMs < 2_000 : undefined,
    },
    {
      part: 'events',
      goal: 'out-of-order recovery on JetStream < 1 s',
      measured:
        outOfOrder?.afterGapMs === undefined ? '—' : `${fmt(outOfOrder.afterGapMs, 0)} ms (max ${fmt(outOfOrder.afterGapMaxMs, 0)})`,
      isMet: outOfOrder ? outOfOrder.failed === 0 && (outOfOrder.afterGapMaxMs ?? Number.POSITIVE_INFINITY) < 1_000 : undefined,
    },
    ...FLOOD_SOURCE_NAMES.map((source): GoalRow => {
      const phase = flood?.floods[source];
      return {
        part: 'flood',
        goal: `sign-in under a ${report.signinFlood.connections}-connection flood ${floodSourceLabel(source)}: the real user's p50 ≤ 500 ms`,
        measured:
          phase?.user.p50 === undefined
            ? '—'
            : `${fmt(phase.user.p50, 0)} ms (alone ${fmt(flood?.idle.p50, 0)} ms)${phase.user.failed > 0 ? `, ${phase.user.failed} sign-ins failed` : ''}`,
        isMet: phase ? phase.user.p50 !== undefined && phase.user.p50 <= 500 && phase.user.failed === 0 : undefined,
      };
    }),
    {
      part: 'pubsub',
      goal: 'Publisher ≥ 80 % of raw JetStream publish',
      measured: publishShare === undefined ? '—' : `${fmt(publishShare * 100, 0)} %`,
      isMet: publishShare === undefined ? undefined : publishShare >= 0.8,
    },
    {
      part: 'pubsub',
      goal: 'Listener ≥ 80 % of raw JetStream consume',
      measured: consumeShare === undefined ? '—' : `${fmt(consumeShare * 100, 0)} %`,
      isMet: consumeShare === undefined ? undefined : consumeShare >= 0.8,
    },
  ];
}

export function renderGoals(report: BenchReport): string {
  const verdict = (row: GoalRow) => (row.isMet === undefined ? '—' : row.isMet ? 'met' : 'NOT met');
  const lines = ['## Targets', '', '| target | measured | verdict |', '| --- | --- | --- |'];
  for (const row of goalRows(report).filter((r) => report.parts.includes(r.part)))
    lines.push(`| ${row.goal} | ${row.measured} | ${verdict(row)} |`);
  return lines.join('\n');
}
