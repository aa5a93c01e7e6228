/**
 * The load generator, in its own process so that its CPU is not counted as the gateway's (which runs in
 * the bench process) and so that autocannon never competes with the bench's pollers for an event loop.
 * It takes one `run` at a time from the bench over IPC and answers with autocannon's figures.
 */
import autocannon from 'autocannon';
import { runBound } from './bound-load';
import type { FromRunner, LoadResult, LoadSpec, ToRunner, Variation } from './load-protocol';
import { latencySummary, nowMs } from './stats';

const send = (message: FromRunner) => process.send?.(message);

type RawRequest = autocannon.Request;

/**
 * Rate mode: autocannon's limiter lets each connection send its quota at the start of every second, so
 * one instance turns "100/s" into one burst a second. We run up to `RATE_SLICES` instances, each with its
 * share of the rate, started 1/slices of a second apart: at 100/s one request every 10 ms, as a steady
 * stream of events would arrive (10 slices sent bursts of 10 at once every 100 ms, a peak rate ten times
 * the nominal one).
 */
const RATE_SLICES = 100;

/** The body of the i-th request of a run that signs up or signs in with a new email per request. */
function emailBody(vary: Extract<Variation, { prefix: string }>, runId: number, i: number): string {
  return JSON.stringify({ email: `${vary.prefix}-${runId}-${i}@bench.example.com`, password: vary.password });
}

async function runSpec(runId: number, spec: LoadSpec): Promise<LoadResult> {
  if (spec.localAddresses) {
    const { vary } = spec;
    if (vary && !('prefix' in vary)) throw new Error(`a run from chosen addresses cannot vary ${vary.kind}`);
    return runBound(spec, spec.localAddresses, (i) => (vary ? emailBody(vary, runId, i) : spec.body));
  }
  if (spec.overallRate) return runRated(runId, spec);
  return runOnce(runId, spec, spec.connections, undefined);
}

async function runRated(runId: number, spec: LoadSpec): Promise<LoadResult> {
  const rate = spec.overallRate ?? 1;
  const slices = Math.max(1, Math.min(RATE_SLICES, Math.floor(rate)));
  const latencies: number[] = [];
  const runs: Array<Promise<LoadResult>> = [];
  for (let i = 0; i < slices; i++) {
    const share = Math.floor(rate / slices) + (i < rate % slices ? 1 : 0);
    // A fixed number of requests per slice: the run ends when they are answered, not at a clock tick.
    const amount = Math.max(1, Math.round(share * spec.durationSec));
    const connections = Math.max(1, Math.min(share, 20, amount));
    const delay = (1000 / slices) * i;
    runs.push(
      new Promise((resolve) => setTimeout(resolve, delay)).then(() =>
        runOnce(runId, { ...spec, overallRate: share, amount }, connections, latencies),
      ),
    );
  }
  const results = await Promise.all(runs);
  const startedAt = Math.min(...results.map((r) => r.startedAt));
  const lastResponseAt = Math.max(...results.map((r) => r.lastResponseAt));
  const requests = results.reduce((n, r) => n + r.requests, 0);
  // Each connection sends at the start of its seconds, so on schedule the last answers come about a
  // second before the nominal end; the run only stretches past it when answers fall behind.
  const durationSec = Math.max(spec.durationSec, (lastResponseAt - startedAt) / 1000);
  const statusCounts: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + n;
  return {
    requests,
    durationSec,
    reqPerSec: requests / durationSec,
    ...latencySummary(latencies),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    timeouts: results.reduce((n, r) => n + r.timeouts, 0),
    statusCounts,
    startedAt,
    lastResponseAt,
    exhausted: false,
    usedIds: 0,
  };
}

function runOnce(runId: number, spec: LoadSpec, connections: number, latencies: number[] | undefined): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let exhausted = false;
    let lastResponseAt = 0;
    const vary = spec.vary;
    let instance: autocannon.Instance | undefined;

    const setupRequest = (req: RawRequest): RawRequest => {
      if (!vary) return req;
      const i = next++;
      if (vary.kind === 'ticketPath') return { ...req, path: `/api/tickets/${vary.ids[i % vary.ids.length]}` };
      if (vary.kind === 'orderBody') {
        // Stop while every connection can still get a fresh id for the request it is setting up.
        if (!spec.amount && !exhausted && i >= vary.ids.length - connections - 1) {
          exhausted = true;
          setImmediate(() => instance?.stop());
        }
        return { ...req, body: JSON.stringify({ ticketId: vary.ids[Math.min(i, vary.ids.length - 1)] }) };
      }
      // signupBody and unknownSigninBody: a new email per request.
      return { ...req, body: emailBody(vary, runId, i) };
    };
    const onResponse = (status: number, body: string) => {
      if (status !== 201) return;
      try {
        const id = (JSON.parse(body) as { id?: unknown }).id;
        if (typeof id === 'string') send({ type: 'created', runId, id, at: nowMs() });
      } catch {
        // not JSON: nothing to report
      }
    };
    const startedAt = nowMs();
    instance = autocannon(
      {
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        connections,
        duration: spec.durationSec,
        amount: spec.amount,
        overallRate: spec.overallRate,
        timeout: spec.timeoutSec,
        // Samples (and the check that ends the run) every 100 ms instead of every second.
        sampleInt: 100,
        requests: [
          {
            setupRequest,
            ...(spec.reportCreated ? { onResponse } : {}),
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const statusCounts: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = Number(stat.count);
        const requests = result.requests.total;
        const windowSec = exhausted || spec.amount ? Math.max(0.001, (lastResponseAt - startedAt) / 1000) : result.duration;
        resolve({
          requests,
          durationSec: windowSec,
          reqPerSec: requests / windowSec,
          p50: result.latency.p50,
          p99: result.latency.p99,
          max: result.latency.max,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCounts,
          startedAt,
          lastResponseAt,
          exhausted,
          usedIds: next,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      lastResponseAt = nowMs();
      latencies?.push(responseTime);
    });
  });
}

process.on('message', (message: ToRunner) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type !== 'run') return;
  runSpec(message.runId, message.spec).then(
    (result) => send({ type: 'done', runId: message.runId, result }),
    (err: unknown) => send({ type: 'failed', runId: message.runId, message: err instanceof Error ? err.message : String(err) }),
  );
});
// The bench went away (even by SIGKILL): so do we.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
