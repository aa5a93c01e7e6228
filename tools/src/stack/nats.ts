import path from 'node:path';
import { natsAuthorization } from '@ticketing/common/events';
import { NATS_SERVER } from './install';
import type { StackLog } from './log';
import { type MonitoredServer, startMonitoredServer } from './monitored-server';
import { type NatsPasswords, writeNatsConfig } from './nats-auth';

export type NatsServer = MonitoredServer;

/**
 * nats-server with JetStream; its file store lives in `dir` and survives restarts. With `passwords`, every
 * client must log in as one of the identities (common's `BUS_IDENTITIES`, plus the admin).
 */
export function startNats(dir: string, log: StackLog, passwords?: NatsPasswords): Promise<NatsServer> {
  const config = path.join(dir, 'nats-server.conf');
  if (passwords) writeNatsConfig(config, natsAuthorization(passwords, { kind: 'jetstream' }));
  return startMonitoredServer(NATS_SERVER, dir, log, {
    args: ['-js', '-sd', path.join(dir, 'jetstream'), '-n', 'ticketing-local', ...(passwords ? ['-c', config] : [])],
    readyPath: '/healthz?js-enabled-only=true',
  });
}
