/** The bench's handle on its load-generating child process (see load-runner.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { FromRunner, LoadResult, LoadSpec, ToRunner } from './load-protocol';

export class LoadGenerator {
  private nextRunId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: LoadResult) => void; reject: (e: Error) => void; onCreated?: (id: string, at: number) => void }
  >();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromRunner) => this.receive(message));
    // A send to a child that has just died (e.g. Ctrl-C reached it first) must not crash the bench.
    child.on('error', () => {});
    child.once('exit', (code, signal) => {
      for (const run of this.pending.values()) run.reject(new Error(`load generator exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const child = fork(path.join(__dirname, 'load-runner.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => {
        throw new Error('load generator exited during start-up');
      }),
    ])) as [FromRunner];
    if (message.type !== 'ready') throw new Error(`load generator said ${message.type} instead of ready`);
    return new LoadGenerator(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one autocannon job; `onCreated` gets the id and response time of each 201 when `spec.reportCreated`. */
  run(spec: LoadSpec, onCreated?: (id: string, at: number) => void): Promise<LoadResult> {
    const runId = this.nextRunId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('load generator is not running'));
        return;
      }
      this.pending.set(runId, { resolve, reject, onCreated });
      this.send({ type: 'run', runId, spec });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    if (this.child.connected) this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: ToRunner): void {
    this.child.send(message);
  }

  private receive(message: FromRunner): void {
    if (message.type === 'ready') return;
    const run = this.pending.get(message.runId);
    if (!run) return;
    if (message.type === 'created') run.onCreated?.(message.id, message.at);
    else if (message.type === 'done') {
      this.pending.delete(message.runId);
      run.resolve(message.result);
    } else {
      this.pending.delete(message.runId);
      run.reject(new Error(`load run failed: ${message.message}`));
    }
  }
}
