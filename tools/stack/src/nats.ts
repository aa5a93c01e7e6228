import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { natsAuthorization } from '@ticketing/common/events';
import { NATS_SERVER } from './install';
import type { StackLog } from './log';
import { type MonitoredServer, startMonitoredServer } from './monitored-server';
import { type NatsPasswords, writeNatsConfig } from './nats-auth';
import { freePort } from './ports';
import { waitFor } from './wait-for';

export type NatsServer = MonitoredServer;

/**
 * nats-server with JetStream; its file store lives in `dir` and survives restarts. With `passwords`, every
 * client must log in as one of the identities (common's `BUS_IDENTITIES`, plus the admin).
 */
export function startNats(dir: string, log: StackLog, passwords?: NatsPasswords): Promise<NatsServer> {
  return startJetStreamServer(dir, log, 'ticketing-local', configWith(dir, passwords));
}

/** The identities' config file in `dir`, when there are identities; `-c <file>` for the server. */
function configWith(dir: string, passwords: NatsPasswords | undefined): string[] {
  if (!passwords) return [];
  const config = path.join(dir, 'nats-server.conf');
  writeNatsConfig(config, natsAuthorization(passwords, { kind: 'jetstream' }));
  return ['-c', config];
}

/** One JetStream server named `name`, its store in `dir`, with more arguments (a config, cluster routes). */
function startJetStreamServer(dir: string, log: StackLog, name: string, args: string[]): Promise<NatsServer> {
  return startMonitoredServer(NATS_SERVER, dir, log, {
    args: ['-js', '-sd', path.join(dir, 'jetstream'), '-n', name, ...args],
    readyPath: '/healthz?js-enabled-only=true',
  });
}

/** A JetStream cluster on loopback: `url` lists every member (clients fail over among them). */
export interface NatsCluster {
  url: string;
  /** In the order of their names, `ticketing-local-1` … (the name JetStream reports, e.g. as a stream's leader). */
  members: Array<NatsServer & { name: string }>;
  /** Copies of each stream: min(3, size). */
  replicas: number;
}

/**
 * `size` nats-servers routed into one JetStream cluster (`ticketing-local`), each with its own file store in
 * `dir/nats-<n>`, all admitting the same identities. Resolves once the cluster has elected its JetStream
 * meta leader, so streams can be created at once.
 */
export async function startNatsCluster(dir: string, log: StackLog, size: number, passwords?: NatsPasswords): Promise<NatsCluster> {
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
  const config = configWith(dir, passwords);
  const members = await Promise.all(
    routePorts.map((routePort, i) => {
      const memberDir = path.join(dir, `nats-${i + 1}`);
      mkdirSync(memberDir, { recursive: true });
      const name = `ticketing-local-${i + 1}`;
      const cluster = ['--cluster_name', 'ticketing-local', '--cluster', `nats://127.0.0.1:${routePort}`, '--routes', routes];
      return startJetStreamServer(memberDir, log, name, [...cluster, ...config]).then((server) => ({ ...server, name }));
    }),
  );
  const cluster = { url: members.map((m) => m.url).join(','), members, replicas: Math.min(3, size) };
  await waitForMetaLeader(cluster);
  return cluster;
}

function waitForMetaLeader(cluster: NatsCluster): Promise<unknown> {
  return waitFor(
    async () => {
      const jsz = (await (await fetch(`${cluster.members[0]?.monitorUrl}/jsz`)).json()) as { meta_cluster?: { leader?: string } };
      return jsz.meta_cluster?.leader;
    },
    { description: 'the NATS cluster to elect its JetStream leader', timeoutMs: 30_000, intervalMs: 100 },
  );
}
