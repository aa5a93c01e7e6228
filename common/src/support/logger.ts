import pino, { type DestinationStream, type Logger } from 'pino';
import { endOfTurn } from './end-of-turn';

export type { Logger };

/** Where a batch of lines goes: pino's synchronous stdout (sonic-boom, which retries a full pipe). */
interface LineSink {
  write(text: string): unknown;
}

/**
 * pino's destination: the lines logged during one turn of the event loop are written together at its end
 * (`endOfTurn`), in one synchronous write. A busy service finishes several requests per turn, and a write
 * per line was one system call of the six to ten each request costs. Nothing waits for a later event:
 * the batch goes out before the next turn reads any I/O, and at once when the process exits (`process.exit`,
 * a signal handled by `Shutdown`, a fatal error), including lines logged by other `exit` listeners. Only a
 * kill that gives the process no chance to run (SIGKILL) loses the lines of the turn it interrupts.
 *
 * Hand-written because sonic-boom, which does the writing, batches by size only: its `flushSync` also
 * fsyncs, and its asynchronous mode hands each batch to a thread (more system calls than it saves here).
 */
export class TurnBatchedLines implements DestinationStream {
  private pending: string[] = [];
  private isExiting = false;

  constructor(private readonly sink: LineSink) {}

  write(line: string): void {
    this.pending.push(line);
    if (this.isExiting) this.flush();
    else if (this.pending.length === 1) void endOfTurn().then(() => this.flush());
  }

  /** Writes what is pending now (pino's `logger.flush`). */
  flush(done?: (err?: Error) => void): void {
    if (this.pending.length > 0) {
      const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
      this.pending = [];
      this.sink.write(text);
    }
    done?.();
  }

  /** From now on every line is written at once (the process is exiting: no later turn will come). */
  exiting(): void {
    this.isExiting = true;
    this.flush();
  }
}

let stdout: TurnBatchedLines | undefined;

/** The process's one stdout destination, shared by its loggers, written out when the process exits. */
function sharedStdout(): TurnBatchedLines {
  if (!stdout) {
    const lines = new TurnBatchedLines(pino.destination({ dest: 1, sync: true }));
    process.once('exit', () => lines.exiting());
    stdout = lines;
  }
  return stdout;
}

/** Structured JSON logs, one logger per process, tagged with the service name, to stdout (see `TurnBatchedLines`). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } }, sharedStdout());
}
