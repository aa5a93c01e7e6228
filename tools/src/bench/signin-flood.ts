/**
 * Sign-in under a flood (issue 13: password hashing never makes other users wait more than ~0.5 s at the
 * median under a 32-connection sign-in flood). The systems under test run with auth's per-client limits
 * lifted, so that the HTTP figures measure hashing, not refusals; this figure needs the limits, so each
 * measurement starts one more auth process of the target's tree, with the target's auth environment
 * (same database, keys and bus) but auth's default limits, except the per-minute limit, raised so that the
 * flood keeps being let in. auth trusts one proxy, so `X-Forwarded-For`, sent straight to it, is the client
 * IP it counts: the attacker and the real user each have their own.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ManagedProcess } from '../stack/managed-process';
import { freePort } from '../stack/ports';
import type { LoadGenerator } from './load';
import type { LoadResult } from './load-protocol';
import type { BenchOptions } from './options';
import { nowMs, percentile } from './stats';
import type { Target, TargetName } from './target';

export const FLOOD_CONNECTIONS = 32;
/** Documentation addresses (RFC 5737): the attacker's and the real user's, as auth sees them. */
export const ATTACKER_IP = '203.0.113.66';
export const USER_IP = '198.51.100.7';
/** Sign-ins per client IP and minute in the flood's auth (the most auth accepts): the flood is never refused for its rate. */
export const FLOOD_RATE_LIMIT = 1_000_000;
/** The variables with which the target's auth lifts its limits: the flood's auth goes without them, i.e. with the defaults. */
const LIFTED_LIMITS = ['HASHES_IN_FLIGHT_PER_CLIENT', 'SIGNIN_FAILURES_BEFORE_LOCKOUT', 'SIGNIN_LOCKOUT_SECONDS'];
/** The flood runs this long before the real user's first sign-in under it. */
const RAMP_MS = 250;
/** Sign-ins of the real user before the idle ones, not counted (JIT, the decoy hash, the first database lookups). */
const WARM_UP_SIGNINS = 3;
const SIGNIN_TIMEOUT_MS = 30_000;

export const FLOOD_NOTE =
  `A separate auth process per system (its tree, its auth's environment), with auth's default limits (2 password hashes in ` +
  `flight per client IP, lockout after 10 failed sign-ins per account) except RATE_LIMIT_PER_MINUTE ${FLOOD_RATE_LIMIT.toLocaleString('en-US')}, ` +
  `so that the flood keeps coming. The flood: ${FLOOD_CONNECTIONS} connections from one IP (X-Forwarded-For ${ATTACKER_IP}), ` +
  'each request a new unknown email with a wrong password, so each one it lets in is checked against the decoy hash ' +
  `(a full scrypt) and no account is locked: 429 = refused before hashing, 400 = hashed. The real user (X-Forwarded-For ${USER_IP}) ` +
  'signs in to an existing account with the right password, one request after another: first alone (idle), then during the ' +
  `flood (sign-ins started from ${RAMP_MS} ms after it began until it ended). Latencies are those of the 200 answers. ` +
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

export interface SigninFloodRun {
  target: TargetName;
  round: number;
  idle: UserSignins;
  flood: UserSignins;
  attack: FloodAttack;
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

async function signIn(url: string, member: Target['member']): Promise<{ ms: number; status?: number }> {
  const started = nowMs();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': USER_IP },
      body: JSON.stringify({ email: member.email, password: member.password }),
      signal: AbortSignal.timeout(SIGNIN_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { ms: nowMs() - started, status: res.status };
  } catch {
    return { ms: nowMs() - started };
  }
}

/** The real user signs in, one request after another, until `isDone()`; each answer other than 200 is counted in `failures`. */
async function signInRepeatedly(
  url: string,
  member: Target['member'],
  isDone: () => boolean,
  failures: Map<string, number>,
): Promise<UserSignins> {
  const latencies: number[] = [];
  let failed = 0;
  const started = nowMs();
  while (!isDone()) {
    const { ms, status } = await signIn(url, member);
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

/** Starts the flood's auth, measures the real user alone and then under the flood, and stops it. */
export async function signinFlood(bench: FloodBench, target: Target, round: number): Promise<SigninFloodRun> {
  const started = nowMs();
  const { auth, url: base } = await startFloodAuth(bench, target);
  const url = `${base}/api/users/signin`;
  try {
    const notes: string[] = [];
    for (let i = 0; i < WARM_UP_SIGNINS; i++) await signIn(url, target.member);

    const idleFailures = new Map<string, number>();
    const idleUntil = nowMs() + bench.options.floodSec * 1000;
    const idle = await signInRepeatedly(url, target.member, () => nowMs() >= idleUntil, idleFailures);
    notes.push(...describeFailures('alone', idleFailures));

    let floodDone = false;
    const flood = bench.load
      .run({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ATTACKER_IP },
        connections: FLOOD_CONNECTIONS,
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
    const floodFailures = new Map<string, number>();
    const underFlood = await signInRepeatedly(url, target.member, () => floodDone, floodFailures);
    notes.push(...describeFailures('under the flood', floodFailures));
    const outcome = await flood;
    if (!('result' in outcome)) throw outcome.err;
    const r = outcome.result;
    if (r.errors > 0) notes.push(`flood: ${r.errors} connection errors (${r.timeouts} timeouts)`);
    return {
      target: target.name,
      round,
      idle,
      flood: underFlood,
      attack: {
        connections: FLOOD_CONNECTIONS,
        requests: r.requests,
        reqPerSec: r.reqPerSec,
        statusCounts: r.statusCounts,
        errors: r.errors,
        timeouts: r.timeouts,
      },
      notes,
      wallMs: nowMs() - started,
    };
  } finally {
    await auth.stop();
    bench.running.delete(auth);
  }
}
