/** CPU time and resident memory of processes, read from /proc (Linux). */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every mainstream Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** VmRSS in bytes. */
  rssBytes: number;
}

/** One process's CPU seconds and RSS now; undefined if it is gone or /proc is unavailable. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rssKb)) return undefined;
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The processes to sample, by name: a pid, or a list of process trees (each pid with all its descendants,
 * summed: a database server whose sessions are child processes).
 */
export type ProcSet = Record<string, number | readonly number[] | undefined>;

export function sampleAll(pids: ProcSet): Record<string, ProcSample | undefined> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [
      name,
      pid === undefined ? undefined : typeof pid === 'number' ? sampleProcess(pid) : sampleTrees(pid),
    ]),
  );
}

/** The sum over `roots` and every descendant of theirs; undefined if no root is there. */
function sampleTrees(roots: readonly number[]): ProcSample | undefined {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  let total: ProcSample | undefined;
  const pending = [...roots];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const sample = sampleProcess(pid);
    if (sample) total = { cpuSeconds: (total?.cpuSeconds ?? 0) + sample.cpuSeconds, rssBytes: (total?.rssBytes ?? 0) + sample.rssBytes };
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

export interface ProcUsage {
  /** CPU seconds used between the two samples. */
  cpuSeconds: number;
  /** RSS at the second sample, in MB. */
  rssMb: number;
}

export function usageBetween(
  before: Record<string, ProcSample | undefined>,
  after: Record<string, ProcSample | undefined>,
): Record<string, ProcUsage | undefined> {
  return Object.fromEntries(
    Object.keys(after).map((name) => {
      const a = before[name];
      const b = after[name];
      return [name, a && b ? { cpuSeconds: Math.max(0, b.cpuSeconds - a.cpuSeconds), rssMb: b.rssBytes / 1024 / 1024 } : undefined];
    }),
  );
}

/**
 * Waits until the processes `pids` together use at most `maxShare` of one core over a window of `windowMs`,
 * for at most `capMs`, and says how long it waited and whether they went quiet. For the servers both systems
 * share: after seeding, or after the other system was paused, they may still be working on what was sent
 * before (writing the seeded rows out, answering a paused system's last queries), and that work would be
 * counted against the next run. /proc counts CPU in 10 ms ticks: keep the window a few ticks long.
 */
export async function waitUntilQuiet(
  pids: ProcSet,
  { windowMs = 500, maxShare = 0.1, capMs = 5_000 } = {},
): Promise<{ waitedMs: number; isQuiet: boolean }> {
  const started = Date.now();
  let before = sampleAll(pids);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = sampleAll(pids);
    const used = Object.values(usageBetween(before, after)).reduce((sum, usage) => sum + (usage?.cpuSeconds ?? 0), 0);
    const waitedMs = Date.now() - started;
    if (used <= (windowMs / 1000) * maxShare) return { waitedMs, isQuiet: true };
    if (waitedMs >= capMs) return { waitedMs, isQuiet: false };
    before = after;
  }
}
