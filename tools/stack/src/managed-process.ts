import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (a server that refuses root, started by root). */
  uid?: number;
  gid?: number;
  /** What `stop()` sends first (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** stdout and stderr go here. */
  logFile: string;
  /** Also print each output line to our stdout behind this prefix (for `npm start`). */
  echoPrefix?: string;
  /** Resolves true once the process serves; polled after start. */
  isReady: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

/**
 * A server or service process we own: started, probed until ready, stopped (TERM, then KILL), restartable.
 * A detached shell watchdog kills it if our own process dies without cleaning up (even on SIGKILL),
 * so no server outlives the test run or `npm start`.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  /** The exit of a stop under way (set by `stop`/`kill` until the exit is seen). */
  private stopping?: Promise<number | null>;

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    // A stop under way (a SIGKILL sent, its exit not seen yet) is waited for: the process may still look
    // alive, and a start that returned at once would leave it dead (a caller that saw its connections drop
    // before its exit was reported restarts it).
    if (this.stopping) await this.stopping;
    if (this.isRunning) return;
    const { command, args, env, cwd, logFile, name, uid, gid } = this.options;
    const { echoPrefix } = this.options;
    let child: ChildProcess;
    if (echoPrefix) {
      const log = createWriteStream(logFile, { flags: 'a' });
      child = spawn(command, args, { env: env ?? process.env, cwd, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const stream of [child.stdout, child.stderr]) {
        stream?.pipe(log);
        if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${echoPrefix} ${line}\n`));
      }
    } else {
      // Straight into the file: a line is there as soon as the process wrote it (tests read these logs).
      const fd = openSync(logFile, 'a');
      child = spawn(command, args, { env: env ?? process.env, cwd, uid, gid, stdio: ['ignore', fd, fd] });
      closeSync(fd);
    }
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', () => {});
    if (child.pid) watchdog(child.pid);
    try {
      await waitFor(
        async () => {
          if (!this.isRunning) throw new Error(`${name} exited during start-up`);
          return this.options.isReady();
        },
        { timeoutMs: this.options.readyTimeoutMs ?? 30_000, intervalMs: 100, description: `${name} to be ready` },
      );
    } catch (err) {
      await this.stop();
      throw new Error(`${(err as Error).message}\n--- last lines of ${logFile} ---\n${tail(logFile)}`);
    }
  }

  /** Sends `signal` (default: the `stopSignal` option, else SIGTERM) and waits; escalates to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = this.options.stopSignal ?? 'SIGTERM', graceMs = 5_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.isRunning) return child?.exitCode ?? null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const stopping = this.exited;
    this.stopping = stopping;
    try {
      return (await stopping) ?? null;
    } finally {
      clearTimeout(timer);
      if (this.stopping === stopping) this.stopping = undefined;
    }
  }

  /** Simulates a crash: SIGKILL, no chance to clean up. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }
}

function watchdog(childPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; if kill -0 ${childPid} 2>/dev/null; then kill -TERM ${childPid}; sleep 3; kill -KILL ${childPid} 2>/dev/null; fi`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
