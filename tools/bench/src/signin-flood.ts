/**
 * Sign-in under a flood (issue 13, and issue 28 for many addresses: password hashing never makes a real
 * user wait more than ~0.5 s at the median while 32 connections sign in with wrong passwords). The systems
 * under test run with auth's per-client limits lifted, so that the HTTP figures measure hashing, not
 * refusals; this figure needs the limits, so each measurement starts one more auth process of the target's
 * tree, with the target's auth environment (same database, keys and bus) but auth's default limits, except
 * the per-minute one, raised so that the flood keeps being let in. The flood comes twice: its 32
 * connections from one source address, then each from its own (127.0.0.2 … 127.0.0.33, bound on the
 * socket: auth sees them as 32 clients). The real user comes through `X-Forwarded-For` (auth trusts one
 * proxy), from an address of its own.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ManagedProcess } from '@ticketing/stack/managed-process';
import { freePort } from '@ticketing/stack/ports';
import type { LoadGenerator } from './load';
import type { LoadResult } from './load-protocol';
import type { BenchOptions } from './options';
import { nowMs, percentile } from './stats';
import type { Target, TargetName } from './target';

export const FLOOD_CONNECTIONS = 32;
/** The flood's source addresses: all its connections from one, or each from its own (all local on Linux). */
export const FLOOD_SOURCES = {
  oneAddress: ['127.0.0.2'],
  distributed: Array.from({ length: FLOOD_CONNECTIONS }, (_, i) => `127.0.0.${i + 2}`),
} as const;
export type FloodSource = keyof typeof FLOOD_SOURCES;
export const FLOOD_SOURCE_NAMES = Object.keys(FLOOD_SOURCES) as FloodSource[];
export const floodSourceLabel = (source: FloodSource) =>
  source === 'oneAddress' ? 'from one address' : `from ${FLOOD_SOURCES[source].length} addresses`;
/** Documentation addresses (RFC 5737): the real user's known device and its new one, as auth sees them. */
export const USER_IP = '198.51.100.7';
export const NEW_DEVICE_IP = '198.51.100.8';
/** Sign-ins per client IP and minute in the flood's auth (the most auth accepts): the flood is never refused for its rate. */
export const FLOOD_RATE_LIMIT = 1_000_000;
/** The variables with which the target's auth lifts its limits: the flood's auth goes without them, i.e. with the defaults. */
const LIFTED_LIMITS = [
  'HASHES_IN_FLIGHT_PER_CLIENT',
  'HASHES_IN_FLIGHT',
  'HASHES_QUEUED',
  'SIGNIN_FAILURES_BEFORE_LOCKOUT',
  'SIGNIN_LOCKOUT_SECONDS',
];
/** The flood runs this long before the real user's first sign-in under it. */
const RAMP_MS = 250;
/** Sign-ins of the real user before the idle ones, not counted (JIT, the decoy hash, the first database lookups). */
const WARM_UP_SIGNINS = 3;
const SIGNIN_TIMEOUT_MS = 30_000;

export const FLOOD_NOTE =
  "A separate auth process per system (its tree, its auth's environment), with auth's default limits (per client IP: 2 password " +
  'hashes in flight; lockout after 10 failed sign-ins; where the system has them: a hashing budget over all clients, device cookies) ' +
  `except RATE_LIMIT_PER_MINUTE ${FLOOD_RATE_LIMIT.toLocaleString('en-US')}, so that the flood keeps coming. The flood: ` +
  `${FLOOD_CONNECTIONS} keep-alive connections, first all from one source address (127.0.0.2), then each from its own ` +
  `(127.0.0.2 … 127.0.0.${FLOOD_CONNECTIONS + 1}); each request a new unknown email with a wrong password, so each one let in is ` +
  'checked against the decoy hash (a full scrypt) and no account is locked: 429 = refused before hashing, 400 = hashed. ' +
  `The real user (X-Forwarded-For ${USER_IP}) signs in to an existing account with the right password, one request after ` +
  'another, keeping its cookies as a browser does (so, where the system issues one, its device cookie from the warm-up): first ' +
  `alone (idle), then during each flood (from ${RAMP_MS} ms after it began until it ended). Meanwhile the same user on a new ` +
  `device (X-Forwarded-For ${NEW_DEVICE_IP}, no cookies) does the same. Latencies are those of the 200 answers. ` +
  'The load generator runs on the same machine, as for every figure.';

/** The real user's sign-ins over one phase. */
export interface UserSignins {
  /** Sign-ins answered 200 (the latencies are theirs). */
  signins: number;
  /** Sign-ins answered otherwise, or not within 30 s. */
  failed: number;
  /** ms */
  p50?: number;
  p99?: number;
  max?: number;
  durationSec: number;
}

/** The flood, as the load generator saw it. */
export interface FloodAttack {
  connections: number;
  requests: number;
  reqPerSec: number;
  /** Answers by HTTP status: 429 refused before hashing, 400 hashed (invalid credentials). */
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** One flood and the real user's sign-ins during it. */
export interface FloodPhase {
  /** The real user on the device it signed in from before. */
  user: UserSignins;
  /** The real user on a new device (no cookies), at the same time. */
  newDevice: UserSignins;
  attack: FloodAttack;
}

export interface SigninFloodRun {
  target: TargetName;
  round: number;
  idle: UserSignins;
  floods: Record<FloodSource, FloodPhase>;
  notes: string[];
  /** Wall time of the measurement, including starting and stopping the flood's auth (ms). */
  wallMs: number;
}

export interface FloodBench {
  load: LoadGenerator;
  options: BenchOptions;
  /** The flood's auth processes still running: the bench's teardown stops them if it ends first. */
  running: Set<ManagedProcess>;
  /** Every process started for the figure (the report lists them). */
  started: Array<{ name: string; pid: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One more auth process of the target's tree, on its own port, with auth's default limits but the per-minute one. */
async function startFloodAuth(bench: FloodBench, target: Target): Promise<{ auth: ManagedProcess; url: string }> {
  const base = target.system.services.auth.options;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...base.env, PORT: String(port), RATE_LIMIT_PER_MINUTE: String(FLOOD_RATE_LIMIT) };
  for (const name of LIFTED_LIMITS) delete env[name];
  const name = `${target.name} auth (sign-in flood)`;
  const auth = new ManagedProcess({
    ...base,
    name,
    env,
    logFile: path.join(path.dirname(base.logFile), 'auth-flood.log'),
    echoPrefix: undefined,
    isReady: async () => (await fetch(`${url}/api/users/readyz`).catch(() => undefined))?.ok === true,
  });
  bench.running.add(auth);
  try {
    await auth.start();
  } finally {
    if (auth.pid !== undefined) bench.started.push({ name, pid: auth.pid });
  }
  return { auth, url };
}

/** One browser of the real user: its address as auth sees it, and the cookies it keeps (none on a new device). */
interface Browser {
  ip: string;
  cookies?: Map<string, string>;
}

async function signIn(url: string, member: Target['member'], browser: Browser): Promise<{ ms: number; status?: number }> {
  const started = nowMs();
  const cookie = [...(browser.cookies ?? [])].map(([name, value]) => `${name}=${value}`).join('; ');
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': browser.ip, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ email: member.email, password: member.password }),
      signal: AbortSignal.timeout(SIGNIN_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    for (const set of res.headers.getSetCookie()) {
      const [, name, value] = /^([^=;]+)=([^;]*)/.exec(set) ?? [];
      if (name && value !== undefined) browser.cookies?.set(name, value);
    }
    return { ms: nowMs() - started, status: res.status };
  } catch {
    return { ms: nowMs() - started };
  }
}

/** The real user signs in, one request after another, until `isDone()`; each answer other than 200 is counted in `failures`. */
async function signInRepeatedly(
  url: string,
  member: Target['member'],
  browser: Browser,
  isDone: () => boolean,
  failures = new Map<string, number>(),
): Promise<UserSignins> {
  const latencies: number[] = [];
  let failed = 0;
  const started = nowMs();
  while (!isDone()) {
    const { ms, status } = await signIn(url, member, browser);
    if (status === 200) latencies.push(ms);
    else {
      failed++;
      const key = status === undefined ? 'no answer' : String(status);
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
  }
  return {
    signins: latencies.length,
    failed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    durationSec: (nowMs() - started) / 1000,
  };
}

const describeFailures = (phase: string, failures: Map<string, number>) =>
  failures.size === 0
    ? []
    : [
        `real user ${phase}: ${[...failures]
          .map(([status, n]) => `${n} sign-in${n === 1 ? '' : 's'} ${status === 'no answer' ? 'not answered' : `answered ${status}`}`)
          .join(', ')}`,
      ];

/** One flood from `source` while the real user signs in from its known device and from a new one. */
async function floodPhase(
  bench: FloodBench,
  url: string,
  member: Target['member'],
  known: Browser,
  source: FloodSource,
  notes: string[],
): Promise<FloodPhase> {
  let floodDone = false;
  const flood = bench.load
    .run({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections: FLOOD_CONNECTIONS,
      localAddresses: [...FLOOD_SOURCES[source]],
      durationSec: bench.options.floodSec,
      timeoutSec: SIGNIN_TIMEOUT_MS / 1000,
      vary: { kind: 'unknownSigninBody', prefix: `flood${randomBytes(4).toString('hex')}`, password: 'not the password' },
    })
    .then(
      (result): { result: LoadResult } => ({ result }),
      (err: unknown) => ({ err }),
    )
    .finally(() => {
      floodDone = true;
    });
  await sleep(RAMP_MS);
  const failures = new Map<string, number>();
  const [user, newDevice] = await Promise.all([
    signInRepeatedly(url, member, known, () => floodDone, failures),
    signInRepeatedly(url, member, { ip: NEW_DEVICE_IP }, () => floodDone),
  ]);
  notes.push(...describeFailures(`under the flood ${floodSourceLabel(source)}`, failures));
  const outcome = await flood;
  if (!('result' in outcome)) throw outcome.err;
  const r = outcome.result;
  if (r.errors > 0) notes.push(`flood ${floodSourceLabel(source)}: ${r.errors} connection errors (${r.timeouts} timeouts)`);
  const attack = {
    connections: FLOOD_CONNECTIONS,
    requests: r.requests,
    reqPerSec: r.reqPerSec,
    statusCounts: r.statusCounts,
    errors: r.errors,
    timeouts: r.timeouts,
  };
  return { user, newDevice, attack };
}

/** Starts the flood's auth, measures the real user alone and then under each flood, and stops it. */
export async function signinFlood(bench: FloodBench, target: Target, round: number): Promise<SigninFloodRun> {
  const started = nowMs();
  const { auth, url: base } = await startFloodAuth(bench, target);
  const url = `${base}/api/users/signin`;
  try {
    const notes: string[] = [];
    const known: Browser = { ip: USER_IP, cookies: new Map() };
    for (let i = 0; i < WARM_UP_SIGNINS; i++) await signIn(url, target.member, known);

    const idleFailures = new Map<string, number>();
    const idleUntil = nowMs() + bench.options.floodSec * 1000;
    const idle = await signInRepeatedly(url, target.member, known, () => nowMs() >= idleUntil, idleFailures);
    notes.push(...describeFailures('alone', idleFailures));

    const floods = {} as Record<FloodSource, FloodPhase>;
    for (const source of FLOOD_SOURCE_NAMES) floods[source] = await floodPhase(bench, url, target.member, known, source, notes);
    return { target: target.name, round, idle, floods, notes, wallMs: nowMs() - started };
  } finally {
    await auth.stop();
    bench.running.delete(auth);
  }
}
