import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '@ticketing/stack/wait-for';

/**
 * A crash in a real process started by `runService`: the fault is logged with its stack, the graceful
 * shutdown releases what was opened, and the process exits 1 so that the orchestrator restarts it.
 * The fixture runs on the built package (`npm test` builds first).
 */

const FIXTURE = path.join(__dirname, 'fixtures', 'faulty-service.js');

/** pino's numeric levels. */
const FATAL = 60;
const ERROR = 50;

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string; stack: string };
  [key: string]: unknown;
}

/** Starts the fixture; `closed` resolves once it has exited and all its log lines are read. */
function startFixture(env: Record<string, string>) {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: LogLine[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as LogLine));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, lines, closed };
}

describe('runService on a fault', () => {
  it.each([
    { fault: 'rejection', kind: 'unhandled rejection', message: 'a promise nobody awaited' },
    { fault: 'exception', kind: 'uncaught exception', message: 'thrown from a callback' },
  ])(
    'When a started service hits an $kind, then it logs the error with its stack, runs the shutdown steps and exits 1',
    async ({ fault, kind, message }) => {
      const { child, lines, closed } = startFixture({ FAULT: fault });
      try {
        const [code, signal] = await closed;

        expect({ code, signal }).toEqual({ code: 1, signal: null });
        expect(lines.map((l) => l.msg)).toEqual(['starting', 'started', kind, 'shutting down', 'resource released', 'stopped']);
        const logged = lines[2];
        expect(logged).toMatchObject({ level: FATAL, err: { message } });
        expect(logged.err?.stack).toMatch(new RegExp(`^Error: ${message}\\n\\s+at .*faulty-service\\.js:\\d+`));
        expect(lines[3]).toMatchObject({ reason: kind });
        expect(lines[5]).toMatchObject({ exitCode: 1 });
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it('When a shutdown step throws an uncaught exception during a SIGTERM stop, then it is logged, the stop goes on without starting over, and the process exits 1', async () => {
    const { child, lines, closed } = startFixture({ STEP_FAULT: 'settles' });
    try {
      await waitFor(() => lines.some((l) => l.msg === 'started'), { description: 'the service to start' });
      child.kill('SIGTERM');
      const [code, signal] = await closed;

      expect({ code, signal }).toEqual({ code: 1, signal: null });
      expect(lines.map((l) => l.msg)).toEqual([
        'starting',
        'started',
        'shutting down',
        'uncaught exception while shutting down',
        'resource released',
        'stopped',
      ]);
      expect(lines[3]).toMatchObject({ level: ERROR, err: { message: 'thrown inside a shutdown step' } });
      expect(lines[5]).toMatchObject({ exitCode: 1 });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('When a second fault leaves a shutdown step hanging, then no second stop begins and the bound ends the process with exit 1', async () => {
    const { child, lines, closed } = startFixture({ FAULT: 'exception', STEP_FAULT: 'stuck' });
    try {
      const [code, signal] = await closed;

      expect({ code, signal }).toEqual({ code: 1, signal: null });
      expect(lines.map((l) => l.msg)).toEqual([
        'starting',
        'started',
        'uncaught exception',
        'shutting down',
        'uncaught exception while shutting down',
        'shutdown timed out',
      ]);
      expect(lines[4]).toMatchObject({ level: ERROR, err: { message: 'thrown inside a shutdown step' } });
      expect(lines[5]).toMatchObject({ step: 'faulty step', timeoutMs: 2_000 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
