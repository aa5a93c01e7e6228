import { ENDPOINTS } from './endpoints';
/** Command-line options of `npm run bench`. */

export interface BenchOptions {
  quick: boolean;
  /** Git ref of the baseline, or undefined for none. */
  baseline?: string;
  /** Alternating rounds at 1k tickets (and for the event and pub/sub figures). */
  rounds: number;
  /** Rounds at 100k tickets. */
  roundsLarge: number;
  /** Seconds per HTTP run. */
  durationSec: number;
  /** Ticket counts of the data-size phases. */
  sizes: number[];
  /** Events per pub/sub measurement. */
  pubsubEvents: number;
  /** Seconds per fixed-rate convergence step, and per ramp step. */
  convergeSec: number;
  rampSec: number;
  /** Rates tried after 10/s and 100/s while they are sustained. */
  rampRates: number[];
  /** Orders in the settle burst. */
  settleOrders: number;
  /** Out-of-order repetitions. */
  outOfOrderReps: number;
  /** How long to wait for a backlog (requests in flight, events) after a run before discarding it. */
  drainCapMs: number;
  /** How long to wait for events to be applied in the convergence and settle figures. */
  convergeCapMs: number;
  /** A row whose single probe request takes longer than this is not load-tested (it would only queue work). */
  slowMs: number;
  /** Where the JSON report goes instead of `.bench/`. */
  jsonFile?: string;
  /** Seconds of the sign-in flood, and of the real user's sign-ins without it before. */
  floodSec: number;
  /** Warm-up seconds per endpoint before the first round of each system (0: none). */
  warmupSec: number;
  /** The HTTP endpoints measured (`--endpoints`), all when undefined. */
  endpoints?: string[];
  /** The parts measured (all by default); a partial report leaves the others' rows and targets out. */
  parts: ReadonlySet<BenchPart>;
}

export const BENCH_PARTS = ['http', 'events', 'pubsub', 'flood'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export const DEFAULT_BASELINE = '63ec4e2';

const USAGE = `Usage: npm run bench -- [options]

  --quick               every figure once, tiny durations, 1k tickets, no baseline (under a minute)
  --baseline <ref>      git ref measured side by side (default ${DEFAULT_BASELINE}); "none" skips it
  --rounds <n>          alternating rounds at 1k tickets and for the event figures (default 3, quick 1)
  --rounds-large <n>    rounds at 100k tickets (default: as --rounds)
  --duration <s>        seconds per HTTP run (default 3, quick 0.8)
  --sizes <list>        ticket counts, e.g. 1000,100000 (default both, quick 1000)
  --events <n>          events per pub/sub measurement (default 20000, quick 2000)
  --drain-cap <s>       wait for a run's events before purging the rest (default 1, quick 0.3)
  --converge-cap <s>    longest wait for events in the convergence and settle figures (default 10, quick 30)
  --slow-ms <ms>        skip a row whose single probe request takes longer (default 2000, quick 10000)
  --flood <s>           seconds of the 32-connection sign-in flood, and of the idle sign-ins before it (default 5, quick 2)
  --json <file>         write the JSON report there instead of to .bench/ (the markdown is printed as always)
  --endpoints <list>    only these HTTP endpoints, e.g. "POST /api/tickets,GET /api/tickets/:id" (default all)
  --only <list>         measure only some parts: http, events (convergence, settle, out-of-order), pubsub,
                        flood (sign-in under a 32-connection flood)
  --help`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg?.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'quick' || name === 'help') {
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value\n${USAGE}`);
    flags.set(name, value);
  }
  if (flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = new Set([
    'quick',
    'baseline',
    'rounds',
    'rounds-large',
    'duration',
    'sizes',
    'events',
    'drain-cap',
    'converge-cap',
    'slow-ms',
    'flood',
    'json',
    'only',
    'endpoints',
  ]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}\n${USAGE}`);

  const quick = flags.get('quick') === true;
  const text = (name: string): string | undefined => {
    const v = flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const number = (name: string, fallback: number, min: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  const baselineFlag = text('baseline') ?? (quick ? 'none' : DEFAULT_BASELINE);
  const sizes = (text('sizes') ?? (quick ? '1000' : '1000,100000')).split(',').map((s) => {
    const n = Number(s.trim().replace(/k$/i, '000'));
    if (!Number.isInteger(n) || n < 100) throw new Error(`--sizes takes ticket counts >= 100, got "${s}"`);
    return n;
  });
  const rounds = Math.floor(number('rounds', quick ? 1 : 3, 1));
  const parts = new Set<BenchPart>();
  for (const part of (text('only') ?? BENCH_PARTS.join(',')).split(',')) {
    const name = part.trim();
    if (!(BENCH_PARTS as readonly string[]).includes(name)) throw new Error(`--only takes ${BENCH_PARTS.join(', ')}; got "${name}"`);
    parts.add(name as BenchPart);
  }
  const endpoints = text('endpoints')
    ?.split(',')
    .map((e) => e.trim());
  for (const endpoint of endpoints ?? []) {
    if (!ENDPOINTS.some(({ key }) => key === endpoint)) {
      throw new Error(`--endpoints takes ${ENDPOINTS.map(({ key }) => key).join(', ')}; got "${endpoint}"`);
    }
  }
  return {
    quick,
    endpoints,
    baseline: baselineFlag === 'none' ? undefined : baselineFlag,
    rounds,
    roundsLarge: Math.floor(number('rounds-large', rounds, 1)),
    durationSec: number('duration', quick ? 0.8 : 3, 0.5),
    sizes,
    pubsubEvents: Math.floor(number('events', quick ? 2_000 : 20_000, 100)),
    convergeSec: quick ? 1 : 5,
    rampSec: quick ? 0.5 : 3,
    rampRates: quick ? [200] : [200, 400, 800, 1600],
    settleOrders: quick ? 50 : 500,
    outOfOrderReps: quick ? 2 : 5,
    drainCapMs: number('drain-cap', quick ? 0.3 : 1, 0.1) * 1000,
    convergeCapMs: number('converge-cap', quick ? 30 : 10, 1) * 1000,
    slowMs: number('slow-ms', quick ? 10_000 : 2_000, 10),
    jsonFile: text('json'),
    floodSec: number('flood', quick ? 2 : 5, 0.5),
    warmupSec: quick ? 0 : 2,
    parts,
  };
}
