import path from 'node:path';
import { ensureServer, type GoServer } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { freePort } from './ports';

export interface MonitoredServer {
  url: string;
  monitorUrl: string;
  process: ManagedProcess;
}

/**
 * A NATS-family server (nats-server, nats-streaming-server) on two free loopback ports, client and
 * monitor, ready once `readyPath` on the monitor answers 200. Its data and log live in `dir`.
 */
export async function startMonitoredServer(
  server: GoServer,
  dir: string,
  log: StackLog,
  options: { args: string[]; readyPath: string },
): Promise<MonitoredServer> {
  const binary = await ensureServer(server, log);
  const [port, monitorPort] = [await freePort(), await freePort()];
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const process = new ManagedProcess({
    name: server.name,
    command: binary,
    args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), ...options.args],
    logFile: path.join(dir, `${server.name}.log`),
    isReady: async () => (await fetch(`${monitorUrl}${options.readyPath}`).catch(() => undefined))?.ok === true,
  });
  await process.start();
  return { url: `nats://127.0.0.1:${port}`, monitorUrl, process };
}
