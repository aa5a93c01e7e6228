import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@ticketing/stack/paths';
import { waitFor } from '@ticketing/stack/wait-for';
import type { BenchReport, SigninLatencyCell } from '../src/report-model';

/**
 * `npm run bench -- --quick` as a user runs it (the compiled script, which `npm test` builds first): it
 * starts its own stack and system, so the variables the jest set-up exported for the shared servers are
 * removed. Only the shape of the report is checked, never a speed.
 */
const TIMEOUT_MS = 300_000;
const STACK_VARIABLES = [
  'NATS_URL',
  'MONGO_URL',
  'STAN_URL',
  'STAN_CLUSTER_ID',
  'STACK_NATS_MONITOR_URL',
  'STACK_STAN_MONITOR_URL',
  'STACK_MONGO_KIND',
  'STACK_NATS_USERS',
];

let dir: string;
let report: BenchReport;
let exitCode: number | null;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bench-quick-'));
  const jsonFile = path.join(dir, 'report.json');
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !STACK_VARIABLES.includes(key)));
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'tools', 'bench', 'dist', 'bench.js'), '--quick', '--baseline', 'none', '--json', jsonFile],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  [exitCode] = (await once(child, 'exit')) as [number | null];
  // A bench that failed before writing its report is shown by its own output, in the first test below.
  if (existsSync(jsonFile)) report = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchReport;
}, TIMEOUT_MS);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const positive = (value: number | undefined) => expect(value).toBeGreaterThan(0);

describe('npm run bench -- --quick', () => {
  it('When the quick bench runs, then it exits 0 without errors and prints the report it wrote', () => {
    if (exitCode !== 0) throw new Error(`bench exited ${exitCode}:\n${output.slice(-4_000)}`);
    expect(report.errors).toEqual([]);
    expect(report.mode).toBe('quick');
    expect(report.baseline).toBeUndefined();
    expect(output).toContain('## HTTP');
    // Every target of the project gets a row; without a baseline the ratio targets cannot be judged.
    expect(output).toContain('## Targets');
    expect(output).toContain('| Listener ≥ 80 % of raw JetStream consume |');
    expect(report.machine.cpus).toBeGreaterThan(0);
  });

  it('When the quick bench runs, then every HTTP figure has a positive rate, latencies and zero non-2xx responses', () => {
    expect(report.http).toHaveLength(6 * 2 * 2);
    for (const figure of report.http) {
      const cell = figure.current;
      // Every answer is a 2xx. Client-side timeouts (autocannon's "errors") depend on how busy the machine is
      // (npm test runs other suites beside this one), so they are reported in the table, not asserted here.
      expect({ label: figure.label, non2xx: cell?.non2xx }).toEqual({ label: figure.label, non2xx: 0 });
      positive(cell?.reqPerSec);
      expect(cell?.p50).toBeGreaterThanOrEqual(0);
      positive(cell?.p99);
    }
  });

  it('When the quick bench runs, then each HTTP figure reports CPU per 1,000 requests of the service it hit and the RSS of every process', () => {
    for (const row of report.resources.cpuPer1k) {
      const figure = report.http.find((f) => f.label === row.label);
      positive(figure && row.current?.[figure.row.service]);
    }
    const processes = report.processes.some((p) => p.name === 'database')
      ? report.resources.processes
      : report.resources.processes.filter((p) => p !== 'database');
    for (const process of processes) positive(report.resources.rss.find((r) => r.process === process)?.current);
  });

  it('When the quick bench runs, then convergence at 10/s, 100/s and a ramp step, settle and out-of-order recovery all have positive times', () => {
    const rates = report.convergence.rates.map((r) => r.rate);
    expect(rates).toEqual(expect.arrayContaining([10, 100, 200]));
    for (const { current } of report.convergence.rates) {
      expect(current?.non2xx).toBe(0);
      positive(current?.p50);
      positive(current?.p99);
      positive(current?.max);
    }
    positive(report.convergence.maxSustainedRate.current);
    expect(report.settle.current?.non2xx).toBe(0);
    positive(report.settle.current?.settleMs);
    expect(report.outOfOrder.current?.failed).toBe(0);
    positive(report.outOfOrder.current?.afterGapMs);
  });

  it("When the quick bench runs, then sign-in under a 32-connection flood from one address and from 32 has the real user's latencies and the flood's answers by status", () => {
    const figure = report.signinFlood;
    expect(figure.connections).toBe(32);
    positive(figure.seconds);
    expect(figure.note).toContain('RATE_LIMIT_PER_MINUTE');
    const cell = figure.current;
    expect(Object.keys(cell?.floods ?? {}).sort()).toEqual(['distributed', 'oneAddress']);
    const latencies = (phase: SigninLatencyCell | undefined) => {
      positive(phase?.signins);
      positive(phase?.p50);
      expect(phase?.p99).toBeGreaterThanOrEqual(phase?.p50 ?? Number.POSITIVE_INFINITY);
      expect(phase?.max).toBeGreaterThanOrEqual(phase?.p99 ?? Number.POSITIVE_INFINITY);
    };
    latencies(cell?.idle);
    expect(cell?.idle.failed).toBe(0);
    for (const source of ['oneAddress', 'distributed'] as const) {
      const phase = cell?.floods[source];
      // The known device is never refused; a new device may be, and is counted.
      latencies(phase?.user);
      expect(phase?.user.failed).toBe(0);
      expect(phase?.newDevice.signins).toBeGreaterThanOrEqual(0);
      positive((phase?.newDevice.signins ?? 0) + (phase?.newDevice.failed ?? 0));
      positive(phase?.attack.requests);
      const statuses = Object.entries(phase?.attack.statusCounts ?? {});
      expect(statuses.length).toBeGreaterThan(0);
      for (const [status, count] of statuses) {
        expect(status).toMatch(/^(400|429)$/);
        positive(count);
      }
      expect(statuses.reduce((n, [, count]) => n + count, 0)).toBe(phase?.attack.requests);
      expect(phase?.attack.errors).toBe(0);
    }
    expect(report.raw.signinFlood.current).toHaveLength(1);
    expect(output).toContain('| POST /api/users/signin · real user · under a 32-connection flood from one address |');
    expect(output).toContain('| POST /api/users/signin · real user · under a 32-connection flood from 32 addresses |');
    expect(output).toContain("| sign-in under a 32-connection flood from 32 addresses: the real user's p50 ≤ 500 ms |");
  });

  it('When the quick bench runs, then the Publisher and the Listener are measured next to raw JetStream', () => {
    positive(report.pubsub.events);
    positive(report.pubsub.publish.raw);
    positive(report.pubsub.publish.current);
    positive(report.pubsub.consume.raw);
    positive(report.pubsub.consume.current);
  });

  it('When the quick bench has exited, then no process it started is still running', async () => {
    expect(report.processes.length).toBeGreaterThan(0);
    const alive = () =>
      report.processes.filter(({ pid }) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    await waitFor(() => alive().length === 0, {
      timeoutMs: 10_000,
      description: `the bench's processes to be gone: ${JSON.stringify(alive())}`,
    });
  });
});
