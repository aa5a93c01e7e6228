/**
 * Load from chosen source addresses: autocannon cannot pick a connection's local address, so a run with
 * `localAddresses` runs here instead, on node:http. Each connection is a keep-alive socket bound to its
 * address that sends one request after another until the run's time is up (as autocannon's connections
 * do). On Linux every address of 127.0.0.0/8 is local, so 32 connections from 127.0.0.2 … 127.0.0.33 are
 * 32 clients to a server on 127.0.0.1, each with its own IP, and no `X-Forwarded-For` is needed.
 */
import { Agent, request } from 'node:http';
import type { LoadResult, LoadSpec } from './load-protocol';
import { latencySummary, nowMs } from './stats';

interface Answer {
  status?: number;
  timedOut?: boolean;
  /** The socket error's code, e.g. `EADDRNOTAVAIL` when the source address is not one of this machine's. */
  error?: string;
}

function send(agent: Agent, url: URL, spec: LoadSpec, body: string | undefined, localAddress: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: spec.method,
        headers: { ...spec.headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
        agent,
        localAddress,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.setTimeout(spec.timeoutSec * 1000, () => {
      req.destroy();
      resolve({ timedOut: true });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/** Runs `spec` with connection i bound to `addresses[i % addresses.length]`; `bodyOf(i)` gives the i-th request's body. */
export async function runBound(
  spec: LoadSpec,
  addresses: readonly string[],
  bodyOf: (i: number) => string | undefined,
): Promise<LoadResult> {
  const url = new URL(spec.url);
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let next = 0;
  let errors = 0;
  let timeouts = 0;
  let lastResponseAt = 0;
  const startedAt = nowMs();
  const endsAt = startedAt + spec.durationSec * 1000;
  const connection = async (localAddress: string) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (nowMs() < endsAt) {
        const sent = nowMs();
        const answer = await send(agent, url, spec, bodyOf(next++), localAddress);
        lastResponseAt = nowMs();
        if (answer.error === 'EADDRNOTAVAIL')
          throw new Error(
            `cannot send from ${localAddress} (EADDRNOTAVAIL): every 127.0.0.0/8 address is local on Linux, not on every system`,
          );
        if (answer.status === undefined) {
          errors++;
          if (answer.timedOut) timeouts++;
          continue;
        }
        latencies.push(lastResponseAt - sent);
        statusCounts[answer.status] = (statusCounts[answer.status] ?? 0) + 1;
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, (_, i) => connection(addresses[i % addresses.length] as string)));
  const requests = latencies.length;
  const durationSec = Math.max(spec.durationSec, (lastResponseAt - startedAt) / 1000);
  return {
    requests,
    durationSec,
    reqPerSec: requests / durationSec,
    ...latencySummary(latencies),
    non2xx: Object.entries(statusCounts).reduce((n, [status, count]) => n + (status.startsWith('2') ? 0 : count), 0),
    errors,
    timeouts,
    statusCounts,
    startedAt,
    lastResponseAt,
    exhausted: false,
    usedIds: next,
  };
}
