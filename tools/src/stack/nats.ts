import path from 'node:path';
import { ensureServer, NATS_SERVER } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { freePort } from './ports';

export interface NatsServer {
  url: string;
  monitorUrl: string;
  process: ManagedProcess;
}

/** nats-server with JetStream on free ports; its file store lives in `dir` and survives restarts. */
export async function startNats(dir: string, log: StackLog): Promise<NatsServer> {
  const binary = await ensureServer(NATS_SERVER, log);
  const [port, monitorPort] = [await freePort(), await freePort()];
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const server = new ManagedProcess({
    name: 'nats-server',
    command: binary,
    args: [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      String(monitorPort),
      '-js',
      '-sd',
      path.join(dir, 'jetstream'),
      '-n',
      'ticketing-local',
    ],
    logFile: path.join(dir, 'nats-server.log'),
    isReady: async () => {
      const res = await fetch(`${monitorUrl}/healthz?js-enabled-only=true`).catch(() => undefined);
      return res?.ok === true;
    },
  });
  await server.start();
  return { url: `nats://127.0.0.1:${port}`, monitorUrl, process: server };
}
