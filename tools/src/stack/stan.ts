import path from 'node:path';
import { ensureServer, NATS_STREAMING_SERVER } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { freePort } from './ports';

export const STAN_CLUSTER_ID = 'ticketing';

export interface StanServer {
  url: string;
  clusterId: string;
  monitorUrl: string;
  process: ManagedProcess;
}

/** nats-streaming-server with a file store in `dir` (it survives restarts), on free ports. */
export async function startStan(dir: string, log: StackLog): Promise<StanServer> {
  const binary = await ensureServer(NATS_STREAMING_SERVER, log);
  const [port, monitorPort] = [await freePort(), await freePort()];
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const server = new ManagedProcess({
    name: 'nats-streaming-server',
    command: binary,
    args: [
      '-cid',
      STAN_CLUSTER_ID,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      String(monitorPort),
      '-store',
      'file',
      '-dir',
      path.join(dir, 'stan'),
    ],
    logFile: path.join(dir, 'nats-streaming-server.log'),
    isReady: async () => (await fetch(`${monitorUrl}/streaming/serverz`).catch(() => undefined))?.ok === true,
  });
  await server.start();
  return { url: `nats://127.0.0.1:${port}`, clusterId: STAN_CLUSTER_ID, monitorUrl, process: server };
}
