/** Aggregates the runs into medians per figure and renders them: one markdown report, the same as JSON. */
import type { ConvergenceSeries, OutOfOrderRun, SettleRun } from './event-figures';
import { renderGoals } from './goals';
import { type HttpRun, httpRows, rowLabel, sizeLabel } from './http-figures';
import {
  type BenchReport,
  type ConvergenceCell,
  type FloodPhaseCell,
  type HttpCell,
  type HttpFigure,
  type OutOfOrderCell,
  PROCESSES,
  type PubSubFigures,
  type RawResults,
  type ResourceRow,
  type RssRow,
  type SettleCell,
  type SigninFloodCell,
  type SigninLatencyCell,
} from './report-model';
import {
  FLOOD_CONNECTIONS,
  FLOOD_NOTE,
  FLOOD_SOURCE_NAMES,
  type FloodPhase,
  type FloodSource,
  floodSourceLabel,
  type SigninFloodRun,
} from './signin-flood';
import { max, median, medianOf, ratio } from './stats';
import type { TargetName } from './target';

function httpCell(runs: HttpRun[]): HttpCell | undefined {
  if (runs.length === 0) return undefined;
  const measured = runs.filter((r) => r.result);
  return {
    reqPerSec: medianOf(measured.map((r) => r.result?.reqPerSec)),
    p50: medianOf(measured.map((r) => r.result?.p50)),
    p99: medianOf(measured.map((r) => r.result?.p99)),
    non2xx: measured.reduce((n, r) => n + (r.result?.non2xx ?? 0), 0),
    errors: measured.reduce((n, r) => n + (r.result?.errors ?? 0), 0),
    rounds: measured.length,
    skipped: runs.find((r) => r.skipped)?.skipped,
    notes: [...new Set(runs.flatMap((r) => r.notes))],
  };
}

function convergenceCell(series: ConvergenceSeries[] | undefined, rate: number): ConvergenceCell | undefined {
  const runs = (series ?? []).flatMap((s) => s.runs.filter((r) => r.rate === rate));
  if (runs.length === 0) return undefined;
  return {
    p50: medianOf(runs.map((r) => r.p50)),
    p99: medianOf(runs.map((r) => r.p99)),
    max: medianOf(runs.map((r) => r.max)),
    reqPerSec: medianOf(runs.map((r) => r.post.reqPerSec)),
    unconverged: runs.reduce((n, r) => n + r.unconverged, 0),
    non2xx: runs.reduce((n, r) => n + r.post.non2xx, 0),
    sustained: `${runs.filter((r) => r.sustained).length}/${runs.length}`,
  };
}

function settleCell(runs: SettleRun[] | undefined): SettleCell | undefined {
  if (!runs || runs.length === 0) return undefined;
  return {
    orders: runs[0]?.orders ?? 0,
    settleMs: medianOf(runs.map((r) => r.settleMs)),
    ticketsMs: medianOf(runs.map((r) => r.ticketsMs)),
    replicaMs: medianOf(runs.map((r) => r.replicaMs)),
    unsettled: runs.reduce((n, r) => n + Math.max(r.unsettled.tickets, r.unsettled.replica), 0),
    non2xx: runs.reduce((n, r) => n + r.post.non2xx, 0),
  };
}

function outOfOrderCell(runs: OutOfOrderRun[] | undefined): OutOfOrderCell | undefined {
  if (!runs || runs.length === 0) return undefined;
  const gaps = runs.map((r) => r.afterGapMs).filter((v): v is number => v !== undefined);
  return {
    afterGapMs: median(gaps),
    afterGapMaxMs: max(gaps),
    afterV2Ms: medianOf(runs.map((r) => r.afterV2Ms)),
    failed: runs.filter((r) => r.afterGapMs === undefined).length,
  };
}

function signinLatencyCell(phases: Array<SigninFloodRun['idle']>): SigninLatencyCell {
  return {
    signins: phases.reduce((n, p) => n + p.signins, 0),
    failed: phases.reduce((n, p) => n + p.failed, 0),
    p50: medianOf(phases.map((p) => p.p50)),
    p99: medianOf(phases.map((p) => p.p99)),
    max: max(phases.flatMap((p) => (p.max === undefined ? [] : [p.max]))),
  };
}

function floodPhaseCell(phases: FloodPhase[]): FloodPhaseCell {
  const statusCounts: Record<string, number> = {};
  for (const p of phases) for (const [code, n] of Object.entries(p.attack.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + n;
  return {
    user: signinLatencyCell(phases.map((p) => p.user)),
    newDevice: signinLatencyCell(phases.map((p) => p.newDevice)),
    attack: {
      requests: phases.reduce((n, p) => n + p.attack.requests, 0),
      reqPerSec: medianOf(phases.map((p) => p.attack.reqPerSec)),
      statusCounts,
      errors: phases.reduce((n, p) => n + p.attack.errors, 0),
    },
  };
}

function signinFloodCell(runs: SigninFloodRun[] | undefined): SigninFloodCell | undefined {
  if (!runs || runs.length === 0) return undefined;
  return {
    idle: signinLatencyCell(runs.map((r) => r.idle)),
    floods: Object.fromEntries(FLOOD_SOURCE_NAMES.map((source) => [source, floodPhaseCell(runs.map((r) => r.floods[source]))])) as Record<
      FloodSource,
      FloodPhaseCell
    >,
    rounds: runs.length,
    notes: [...new Set(runs.flatMap((r) => r.notes))],
  };
}

function cpuMedians(runs: HttpRun[]): Record<string, number | undefined> | undefined {
  const measured = runs.filter((r) => r.result);
  if (measured.length === 0) return undefined;
  return Object.fromEntries(PROCESSES.map((p) => [p, medianOf(measured.map((r) => r.cpuPer1k[p]))]));
}

export function aggregate(
  raw: RawResults,
  sizes: number[],
  hasBaseline: boolean,
  floodSec: number,
  endpoints?: readonly string[],
): Pick<BenchReport, 'http' | 'convergence' | 'settle' | 'outOfOrder' | 'signinFlood' | 'pubsub' | 'resources'> {
  const runsOf = (target: TargetName, label: string) => raw.httpRuns.filter((r) => r.target === target && r.label === label);
  const http: HttpFigure[] = [];
  const cpuPer1k: ResourceRow[] = [];
  for (const size of sizes) {
    for (const row of httpRows(size, endpoints)) {
      const label = rowLabel(row);
      const current = httpCell(runsOf('current', label));
      const baseline = hasBaseline ? httpCell(runsOf('baseline', label)) : undefined;
      http.push({ label, row, current, baseline, ratio: ratio(current?.reqPerSec, baseline?.reqPerSec) });
      cpuPer1k.push({
        label,
        current: cpuMedians(runsOf('current', label)),
        baseline: hasBaseline ? cpuMedians(runsOf('baseline', label)) : undefined,
      });
    }
  }
  const rss: RssRow[] = [];
  for (const size of sizes) {
    for (const process of PROCESSES) {
      const peak = (target: TargetName) =>
        max(
          raw.httpRuns
            .filter((r) => r.target === target && r.row.size === size)
            .flatMap((r) => (r.usage[process] ? [r.usage[process].rssMb] : [])),
        );
      rss.push({ size: sizeLabel(size), process, current: peak('current'), baseline: hasBaseline ? peak('baseline') : undefined });
    }
  }
  const rates = [
    ...new Set([...raw.convergence.current, ...(raw.convergence.baseline ?? [])].flatMap((s) => s.runs.map((r) => r.rate))),
  ].sort((a, b) => a - b);
  return {
    http,
    convergence: {
      rates: rates.map((rate) => ({
        rate,
        current: convergenceCell(raw.convergence.current, rate),
        baseline: convergenceCell(raw.convergence.baseline, rate),
      })),
      maxSustainedRate: {
        current: medianOf(raw.convergence.current.map((s) => s.maxSustainedRate)),
        baseline: raw.convergence.baseline ? medianOf(raw.convergence.baseline.map((s) => s.maxSustainedRate)) : undefined,
      },
    },
    settle: { current: settleCell(raw.settle.current), baseline: settleCell(raw.settle.baseline) },
    outOfOrder: { current: outOfOrderCell(raw.outOfOrder.current), baseline: outOfOrderCell(raw.outOfOrder.baseline) },
    signinFlood: {
      connections: FLOOD_CONNECTIONS,
      seconds: floodSec,
      note: FLOOD_NOTE,
      current: signinFloodCell(raw.signinFlood.current),
      baseline: signinFloodCell(raw.signinFlood.baseline),
    },
    pubsub: {
      events: 0,
      publish: {
        raw: median(raw.pubsub.raw.publish),
        current: median(raw.pubsub.current.publish),
        baseline: raw.pubsub.baseline && median(raw.pubsub.baseline.publish),
      },
      consume: {
        raw: median(raw.pubsub.raw.consume),
        current: median(raw.pubsub.current.consume),
        baseline: raw.pubsub.baseline && median(raw.pubsub.baseline.consume),
      },
    },
    resources: { processes: [...PROCESSES], cpuPer1k, rss },
  };
}

// --- rendering --------------------------------------------------------------------------------------

const int = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
const ms = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const times = (n: number | undefined) => (n === undefined ? '—' : `${n.toFixed(2)}×`);
const cpu = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(n < 0.1 ? 3 : 2));

function httpText(cell: HttpCell | undefined): string {
  if (!cell) return '—';
  if (cell.reqPerSec === undefined) return cell.skipped ? 'skipped' : '—';
  return `${int(cell.reqPerSec)} req/s · ${ms(cell.p50)} / ${ms(cell.p99)} ms`;
}

function httpWarning(figure: HttpFigure): string {
  const parts: string[] = [];
  for (const [name, cell] of [
    ['current', figure.current],
    ['baseline', figure.baseline],
  ] as const) {
    if (!cell) continue;
    if (cell.non2xx > 0) parts.push(`⚠ ${name}: ${cell.non2xx} non-2xx`);
    if (cell.errors > 0) parts.push(`⚠ ${name}: ${cell.errors} errors`);
    if (cell.skipped) parts.push(`${name}: ${cell.skipped}`);
    // Expected clean-up steps stay in the JSON; the column shows what changes how a figure reads.
    const routine = ['ran out of prepared tickets', 'events still being applied', 'consumers still busy'];
    for (const note of cell.notes) if (!routine.some((r) => note.includes(r))) parts.push(`${name}: ${note}`);
  }
  return [...new Set(parts)].join('; ');
}

function convergenceText(cell: ConvergenceCell | undefined): string {
  if (!cell) return '—';
  const tail = [cell.unconverged > 0 ? `${cell.unconverged} not converged` : '', cell.non2xx > 0 ? `⚠ ${cell.non2xx} non-2xx` : '']
    .filter(Boolean)
    .join(', ');
  return `${ms(cell.p50)} / ${ms(cell.p99)} / ${ms(cell.max)} ms · sustained ${cell.sustained}${tail ? ` (${tail})` : ''}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  out.push(`# Benchmark (${report.mode}) — ${report.generatedAt}`);
  out.push('');
  out.push(
    `Machine: ${report.machine.cpus} × ${report.machine.model}, ${report.machine.memoryGb} GB, ${report.machine.os}, Node ${report.machine.node}`,
  );
  out.push(`Stack: ${report.stack}`);
  out.push(`Current: ${report.current.label}`);
  out.push(`Baseline: ${report.baseline ? report.baseline.label : 'none'}`);
  out.push(
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; wall time ${Math.round(report.wallSeconds)} s`,
  );
  out.push('');
  out.push(renderGoals(report));
  out.push('');

  const has = (part: string) => report.parts.includes(part);
  if (has('http') || has('flood')) renderHttp(report, out);
  if (has('events')) renderEvents(report, out);
  if (has('pubsub')) renderPubSub(report, out);
  if (has('http')) renderResources(report, out);
  if (report.warnings.length > 0 || report.errors.length > 0) {
    out.push('');
    out.push('## Warnings and errors');
    out.push('');
    for (const w of report.warnings) out.push(`- ${w}`);
    for (const e of report.errors) out.push(`- ERROR: ${e}`);
  }
  return `${out.join('\n')}\n`;
}

function signinText(cell: SigninLatencyCell | undefined): string {
  if (!cell) return '—';
  return `${int(cell.signins)} sign-in${cell.signins === 1 ? '' : 's'} · ${ms(cell.p50)} / ${ms(cell.p99)} / max ${ms(cell.max)} ms`;
}

function floodText(cell: FloodPhaseCell | undefined): string {
  if (!cell) return '—';
  const a = cell.attack;
  const statuses = Object.entries(a.statusCounts)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([code, n]) => `${code} × ${int(n)}`);
  return [`${int(a.requests)} requests (${int(a.reqPerSec)}/s)`, ...statuses].join(' · ');
}

/** The new device's sign-ins: the 200s as for the known device, and how many were refused. */
function newDeviceText(cell: SigninLatencyCell | undefined): string {
  if (!cell) return '—';
  return `${signinText(cell)} · ${int(cell.failed)} refused or failed`;
}

/** The sign-in flood's rows of the HTTP table: the real user alone, then for each flood the real user and the flood. */
function signinFloodRows(report: BenchReport): string[][] {
  const f = report.signinFlood;
  const hasBaseline = report.baseline !== undefined;
  const cells = [
    ['current', f.current],
    ['baseline', f.baseline],
  ] as const;
  const failedWarnings = (cellOf: (cell: SigninFloodCell) => SigninLatencyCell) =>
    cells.flatMap(([name, cell]) => (cell && cellOf(cell).failed > 0 ? [`⚠ ${name}: ${cellOf(cell).failed} sign-ins failed`] : []));
  const userRow = (label: string, cellOf: (cell: SigninFloodCell) => SigninLatencyCell) => [
    `POST /api/users/signin · real user · ${label}`,
    signinText(f.current && cellOf(f.current)),
    hasBaseline ? signinText(f.baseline && cellOf(f.baseline)) : '—',
    hasBaseline ? `${times(ratio(f.current && cellOf(f.current).p50, f.baseline && cellOf(f.baseline).p50))} (p50)` : '—',
    failedWarnings(cellOf).join('; '),
  ];
  const floodRows = FLOOD_SOURCE_NAMES.flatMap((source) => {
    const label = `under a ${f.connections}-connection flood ${floodSourceLabel(source)}`;
    const phase = (cell: SigninFloodCell | undefined) => cell?.floods[source];
    return [
      userRow(label, (cell) => cell.floods[source].user),
      [
        `POST /api/users/signin · real user on a new device · ${label}`,
        newDeviceText(phase(f.current)?.newDevice),
        hasBaseline ? newDeviceText(phase(f.baseline)?.newDevice) : '—',
        '—',
        '',
      ],
      [
        `POST /api/users/signin · the flood ${floodSourceLabel(source)} (${f.connections} connections, ${f.seconds} s)`,
        floodText(phase(f.current)),
        hasBaseline ? floodText(phase(f.baseline)) : '—',
        '—',
        cells
          .flatMap(([name, cell]) =>
            cell && cell.floods[source].attack.errors > 0 ? [`⚠ ${name}: ${cell.floods[source].attack.errors} errors`] : [],
          )
          .join('; '),
      ],
    ];
  });
  const notes = cells.flatMap(([name, cell]) => (cell?.notes ?? []).map((note) => `${name}: ${note}`));
  const idle = userRow('alone', (cell) => cell.idle);
  idle[4] = [idle[4], ...notes].filter(Boolean).join('; ');
  return [idle, ...floodRows];
}

function renderHttp(report: BenchReport, out: string[]): void {
  const hasBaseline = report.baseline !== undefined;
  const hasHttp = report.parts.includes('http');
  const hasFlood = report.parts.includes('flood');
  out.push('## HTTP (autocannon; medians over the rounds; req/s · p50 / p99 latency; ratio = current / baseline req/s)');
  out.push('');
  if (hasHttp) {
    out.push(
      `After each run the events it caused get ${report.settings['drain cap (s)']} s to be applied and the rest are purged, so a system whose ` +
        'event path lags behind its writes does less of that work during the run than one that keeps up: read the write rows ' +
        'together with the event convergence and the CPU per request below.',
    );
    out.push('');
  }
  out.push(
    table(
      ['figure', 'current', 'baseline', 'ratio', 'warnings'],
      [
        ...(hasHttp
          ? report.http.map((f) => [f.label, httpText(f.current), hasBaseline ? httpText(f.baseline) : '—', times(f.ratio), httpWarning(f)])
          : []),
        ...(hasFlood ? signinFloodRows(report) : []),
      ],
    ),
  );
  out.push('');
  if (hasFlood) {
    out.push(
      `Sign-in under a ${report.signinFlood.connections}-connection flood (the last seven rows; the real user's sign-ins: count · ` +
        `p50 / p99 / max latency of the 200s, ratio = current / baseline p50; the flood: requests by status): ${report.signinFlood.note}`,
    );
    out.push('');
  }
}

function renderEvents(report: BenchReport, out: string[]): void {
  const hasBaseline = report.baseline !== undefined;
  out.push("## Event convergence (POST /api/tickets at a fixed rate → ticket in orders' replica; p50 / p99 / max)");
  out.push('');
  const conv = report.convergence;
  out.push(
    table(
      ['rate', 'current', 'baseline', 'ratio (p99)'],
      [
        ...conv.rates.map((r) => [
          `${r.rate}/s`,
          convergenceText(r.current),
          hasBaseline ? convergenceText(r.baseline) : '—',
          times(ratio(r.current?.p99, r.baseline?.p99)),
        ]),
        [
          'highest rate sustained (p99 < 1 s, all converged, the rate held)',
          `${int(conv.maxSustainedRate.current)}/s`,
          hasBaseline ? `${int(conv.maxSustainedRate.baseline)}/s` : '—',
          times(ratio(conv.maxSustainedRate.current, conv.maxSustainedRate.baseline)),
        ],
      ],
    ),
  );
  out.push('');

  const s = report.settle;
  const settleText = (c: SettleCell | undefined) =>
    !c
      ? '—'
      : c.settleMs === undefined
        ? `not settled (${c.unsettled} left)`
        : `${ms(c.settleMs)} ms (tickets ${ms(c.ticketsMs)}, replica ${ms(c.replicaMs)})${c.non2xx > 0 ? ` ⚠ ${c.non2xx} non-2xx` : ''}`;
  const oneRow = (title: string, figure: string, current: string, baseline: string, r: number | undefined) => {
    out.push(title, '', table(['figure', 'current', 'baseline', 'ratio'], [[figure, current, hasBaseline ? baseline : '—', times(r)]]), '');
  };
  oneRow(
    `## Settle (burst of ${s.current?.orders ?? '?'} POST /api/orders, 50 concurrent → every event applied on both sides; time after the last response)`,
    'settle time',
    settleText(s.current),
    settleText(s.baseline),
    ratio(s.current?.settleMs, s.baseline?.settleMs),
  );

  const o = report.outOfOrder;
  const oooText = (c: OutOfOrderCell | undefined) =>
    !c
      ? '—'
      : `${ms(c.afterGapMs)} ms (max ${ms(c.afterGapMaxMs)}; ${ms(c.afterV2Ms)} ms after v2 was stored)${c.failed > 0 ? ` ⚠ ${c.failed} never applied` : ''}`;
  oneRow(
    '## Out-of-order recovery (ticket:updated v2 published before v1: time from v1 stored to v2 in the replica; median)',
    'v2 applied after the gap filled',
    oooText(o.current),
    oooText(o.baseline),
    ratio(o.current?.afterGapMs, o.baseline?.afterGapMs),
  );
}

function renderPubSub(report: BenchReport, out: string[]): void {
  const p = report.pubsub;
  const row = (label: string, { raw, current, baseline }: PubSubFigures['publish']) => [
    label,
    int(raw),
    int(current),
    times(ratio(current, raw)),
    int(baseline),
    times(ratio(baseline, raw)),
  ];
  out.push(`## Publisher / Listener vs raw @nats-io/jetstream (${p.events.toLocaleString('en-US')} events; events/s, medians)`);
  out.push('');
  out.push(
    table(
      ['figure', 'raw', 'current', 'current / raw', 'baseline', 'baseline / raw'],
      [row('publish (awaited acks, window of 64)', p.publish), row('consume (durable pull consumer, ack each)', p.consume)],
    ),
  );
  out.push('');
}

function renderResources(report: BenchReport, out: string[]): void {
  const hasBaseline = report.baseline !== undefined;
  const procs = report.resources.processes;
  out.push(`## Resources: CPU seconds per 1,000 requests during each run${hasBaseline ? ' (current / baseline)' : ''}`);
  out.push('');
  out.push(
    table(
      ['figure', ...procs],
      report.resources.cpuPer1k.map((r) => [
        r.label,
        ...procs.map((p) => (hasBaseline ? `${cpu(r.current?.[p])} / ${cpu(r.baseline?.[p])}` : cpu(r.current?.[p]))),
      ]),
    ),
  );
  out.push('');
  out.push('## Resources: peak RSS after a run, MB (gateway = the bench process; the database server and nats-server serve both systems)');
  out.push('');
  const rssSizes = [...new Set(report.resources.rss.map((r) => r.size))];
  out.push(
    table(
      ['process', ...rssSizes.flatMap((size) => (hasBaseline ? [`${size} current`, `${size} baseline`] : [`${size} current`]))],
      procs.map((p) => [
        p,
        ...rssSizes.flatMap((size) => {
          const row = report.resources.rss.find((r) => r.size === size && r.process === p);
          return hasBaseline ? [int(row?.current), int(row?.baseline)] : [int(row?.current)];
        }),
      ]),
    ),
  );
}
