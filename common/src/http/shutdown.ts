import type { Logger } from '../support/logger';

/** One thing to release on the way out: stop HTTP, stop the listeners, flush the relay, close NATS or the DB. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

export interface ShutdownOptions {
  /** Bound on the whole stop sequence; past it the process exits 1. Default 10 s. */
  timeoutMs?: number;
  /** How the process ends (tests pass their own); default `process.exit`. */
  exit?: (code: number) => void;
}

/** Thrown by `Shutdown.add` once a stop has begun, so a start-up still in progress goes no further. */
export class ShutdownInProgressError extends Error {
  constructor(readonly step: string) {
    super(`shutting down: not starting ${step}`);
    this.name = 'ShutdownInProgressError';
  }
}

/** The shutdown that handles this process's signals and faults (they are process-wide: at most one). */
let signalOwner: Shutdown | undefined;

/**
 * A process's way out. Start-up registers how to release each resource right after acquiring it; a stop
 * runs those steps last-registered first, so the order is the start-up order reversed: HTTP stops before
 * the listeners, the listeners before the outbox relay's last flush, the relay before NATS closes, NATS
 * before the database. Then the process exits: 0 when every step succeeded, 1 when one failed (the others
 * still run), the whole took longer than `timeoutMs`, or a fault (an unhandled rejection or uncaught
 * exception, see `handleSignals`) caused the stop or came during it.
 *
 * A stop that begins while start-up is still running releases what is registered so far; whatever start-up
 * registers afterwards is released too, and `add` throws `ShutdownInProgressError` so start-up ends there.
 */
export class Shutdown {
  private readonly steps: ShutdownStep[] = [];
  private stopping?: Promise<void>;
  /** A fault came while stopping: the process state is suspect, so the stop ends in exit 1. */
  private hasFaulted = false;

  constructor(
    private readonly logger: Logger,
    private readonly options: ShutdownOptions = {},
  ) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Registers how to release a resource just acquired. */
  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
    if (this.isStopping) throw new ShutdownInProgressError(name);
  }

  /**
   * Stops on the first SIGTERM or SIGINT. Later signals are logged and ignored: the stop is already bounded,
   * and `npm start`'s Ctrl-C reaches a service twice (SIGINT from the terminal, then SIGTERM from the
   * launcher), which must not cut its shutdown short.
   *
   * An unhandled rejection or uncaught exception is a bug that may have left the process inconsistent: it is
   * logged with its stack, and the process stops like on SIGTERM but exits 1, so the orchestrator restarts it.
   * A fault during the stop is logged and makes it exit 1, without starting over; if it leaves a step hanging,
   * the `timeoutMs` bound still ends the process. Returns a function that removes the handlers.
   */
  handleSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isStopping) {
        this.logger.warn({ signal }, 'already shutting down; signal ignored');
        return;
      }
      void this.stop(signal);
    };
    const onFault = (fault: string, err: unknown) => {
      if (this.isStopping) {
        this.hasFaulted = true;
        this.logger.error({ err }, `${fault} while shutting down`);
        return;
      }
      this.logger.fatal({ err }, fault);
      void this.stop(fault, 1);
    };
    const onRejection = (reason: unknown) => onFault('unhandled rejection', reason);
    const onException = (err: Error) => onFault('uncaught exception', err);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    signalOwner = this;
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      if (signalOwner === this) signalOwner = undefined;
    };
  }

  /**
   * Runs the steps and exits (`exitCode` when they all succeed and no fault came meanwhile, else 1). Calling it
   * again joins the stop in progress.
   */
  stop(reason: string, exitCode = 0): Promise<void> {
    this.stopping ??= this.runSteps(reason, exitCode);
    return this.stopping;
  }

  private async runSteps(reason: string, exitCode: number): Promise<void> {
    const { timeoutMs = 10_000, exit = (code: number) => process.exit(code) } = this.options;
    const startedAt = Date.now();
    let hasExited = false;
    const exitOnce = (code: number) => {
      if (hasExited) return;
      hasExited = true;
      exit(code);
    };
    let current: string | undefined;
    this.logger.info({ reason }, 'shutting down');
    // Not unref'd: a step stuck on a promise nothing will settle must still end in exit 1, not in a quiet exit 0.
    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs, step: current }, 'shutdown timed out');
      exitOnce(1);
    }, timeoutMs);

    let hasFailed = false;
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      current = step.name;
      const stepStartedAt = Date.now();
      try {
        await step.run();
        this.logger.debug({ step: step.name, elapsedMs: Date.now() - stepStartedAt }, 'shutdown step done');
      } catch (err) {
        hasFailed = true;
        this.logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    const code = hasFailed || this.hasFaulted ? 1 : exitCode;
    this.logger.info({ elapsedMs: Date.now() - startedAt, exitCode: code }, 'stopped');
    exitOnce(code);
  }
}

/**
 * For a process whose resources are all in place at once: on SIGTERM or SIGINT, runs `steps` in the order
 * given (stop HTTP, drain consumers, close NATS and the DB…) within `timeoutMs`, then exits 0 (1 on a
 * failure or timeout); on an unhandled rejection or uncaught exception, the same with exit 1. Inside
 * `runService`, the steps join the service's own shutdown instead.
 */
export function handleShutdown(steps: ShutdownStep[], logger: Logger, timeoutMs = 10_000): Shutdown {
  const shutdown = signalOwner ?? new Shutdown(logger, { timeoutMs });
  for (const step of [...steps].reverse()) shutdown.add(step.name, step.run);
  if (!signalOwner) shutdown.handleSignals();
  return shutdown;
}
