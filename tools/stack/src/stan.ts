import path from 'node:path';
import { natsAuthorization } from '@ticketing/common/events';
import { NATS_STREAMING_SERVER } from './install';
import type { StackLog } from './log';
import { type MonitoredServer, startMonitoredServer } from './monitored-server';
import { type NatsPasswords, STAN_INTERNAL_USER, writeNatsConfig } from './nats-auth';

export const STAN_CLUSTER_ID = 'ticketing';

export interface StanServer extends MonitoredServer {
  clusterId: string;
}

/**
 * nats-streaming-server with a file store in `dir` (it survives restarts). With `passwords`, its embedded NATS
 * server admits only the identities, and the streaming server itself logs in as `STAN_INTERNAL_USER`.
 */
export async function startStan(dir: string, log: StackLog, passwords?: NatsPasswords): Promise<StanServer> {
  const config = path.join(dir, 'nats-streaming.conf');
  if (passwords) {
    const authorization = natsAuthorization(passwords, { kind: 'stan', clusterId: STAN_CLUSTER_ID, internalUser: STAN_INTERNAL_USER });
    const streaming = { username: STAN_INTERNAL_USER, password: passwords[STAN_INTERNAL_USER] };
    writeNatsConfig(config, authorization, [`streaming: ${JSON.stringify(streaming)}`]);
  }
  const server = await startMonitoredServer(NATS_STREAMING_SERVER, dir, log, {
    args: [
      ...(passwords ? ['-c', config, '-sc', config] : []),
      ...['-cid', STAN_CLUSTER_ID, '-store', 'file', '-dir', path.join(dir, 'stan')],
      // Drop a client that died without closing (SIGKILL) within seconds, not minutes, so its queue
      // subscription's unacked messages move to the living members quickly (as the k8s manifest does).
      ...['-hbi', '2s', '-hbt', '1s', '-hbf', '2'],
      // Every channel bounded like JetStream's EVENTS (30 days, 512 MB); dead-letter channels included.
      ...['-ma', '720h', '-mb', '512MB'],
    ],
    readyPath: '/streaming/serverz',
  });
  return { ...server, clusterId: STAN_CLUSTER_ID };
}
