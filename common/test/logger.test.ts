import { execFile } from 'node:child_process';
import { TurnBatchedLines } from '../src/support/logger';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A sink that records each write it is given. */
function recordingSink() {
  const writes: string[] = [];
  return { writes, sink: { write: (text: string) => writes.push(text) } };
}

describe('TurnBatchedLines: the lines of one turn of the event loop in one write', () => {
  it('When lines are logged during a turn, then they are written together, in order, at its end', async () => {
    const { writes, sink } = recordingSink();
    const lines = new TurnBatchedLines(sink);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);

    lines.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('When the process is exiting, then what is pending is written, and every later line at once', () => {
    const { writes, sink } = recordingSink();
    const lines = new TurnBatchedLines(sink);
    lines.write('pending\n');
    lines.exiting();
    expect(writes).toEqual(['pending\n']);
    lines.write('from an exit listener\n');
    expect(writes).toEqual(['pending\n', 'from an exit listener\n']);
  });
});

/**
 * A real process logging through `createLogger` to a pipe (the built package): no line is lost when it
 * exits, whether logged just before `process.exit` or by an exit listener.
 */
describe('createLogger in a process that exits', () => {
  const script = `
    const { createLogger } = require('@ticketing/common/http');
    const logger = createLogger('exiting', 'info');
    logger.info('first');
    logger.info('second');
    process.on('exit', () => logger.info('from an exit listener'));
    setImmediate(() => {
      logger.info('last before exit');
      process.exit(3);
    });
  `;

  it('When it logs and calls process.exit in the same turn, then every line reaches its stdout, in order', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['-e', script], { cwd: __dirname }, (_err, out) =>
        resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(code).toBe(3);
    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(['first', 'second', 'last before exit', 'from an exit listener']);
  });
});
