import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagedProcess } from '../src/managed-process';
import { canConnect, freePort } from '../src/ports';

/** A process we own, killed and started again by a test (a crash, then the orchestrator's restart). */
describe('ManagedProcess', () => {
  it('When start is called while a kill is under way (its exit not seen yet), then it waits for the exit and starts a new process', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'managed-process-'));
    const port = await freePort();
    const server = new ManagedProcess({
      name: 'listener',
      command: process.execPath,
      args: ['-e', `require('node:http').createServer((_q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`],
      logFile: path.join(dir, 'listener.log'),
      isReady: () => canConnect(port),
    });
    try {
      await server.start();
      const first = server.pid;

      const killed = server.kill();
      await server.start();
      await killed;

      expect(server.isRunning).toBe(true);
      expect(server.pid).not.toBe(first);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
