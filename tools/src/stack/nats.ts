import path from 'node:path';
import { NATS_SERVER } from './install';
import type { StackLog } from './log';
import { type MonitoredServer, startMonitoredServer } from './monitored-server';

export type NatsServer = MonitoredServer;

/** nats-server with JetStream; its file store lives in `dir` and survives restarts. */
export function startNats(dir: string, log: StackLog): Promise<NatsServer> {
  return startMonitoredServer(NATS_SERVER, dir, log, {
    args: ['-js', '-sd', path.join(dir, 'jetstream'), '-n', 'ticketing-local'],
    readyPath: '/healthz?js-enabled-only=true',
  });
}
