import { randomBytes } from 'node:crypto';
import { ALL_SUBJECTS, type DeadLetter, type EventTransport } from '@ticketing/common/events';
import { durableName, JetStreamTransport } from '@ticketing/common/jetstream';
import { StanTransport, stanClientId } from '@ticketing/common/stan';
import { closeIsolated, isolatedJetStreamNames, natsUrl } from './nats';

export type TransportKind = 'jetstream' | 'stan';

/** Several connections ("replicas") to one isolated namespace on the run's server of the given kind. */
export interface IsolatedBus {
  kind: TransportKind;
  transports: EventTransport[];
  /** Connects one more client to the same namespace (a restarted or new replica). */
  connect(clientId?: string): Promise<EventTransport>;
  /** True when the server holds nothing pending or unacknowledged for this group: nothing more will come. */
  isSettled(queueGroup: string, subject: string): Promise<boolean>;
  deadLetters(queueGroups: string[]): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

function stanEnv() {
  const url = process.env.STAN_URL;
  const clusterId = process.env.STAN_CLUSTER_ID;
  const monitor = process.env.STACK_STAN_MONITOR_URL;
  if (!url || !clusterId || !monitor)
    throw new Error('STAN_URL, STAN_CLUSTER_ID and STACK_STAN_MONITOR_URL must be set by the jest global setup');
  return { url, clusterId, monitor };
}

interface ChannelInfo {
  last_seq: number;
  subscriptions?: Array<{ queue_name?: string; durable_name?: string; pending_count: number; last_sent: number }>;
}

/** Opens one more transport (a service replica) with `open` and keeps it in `transports`, to be closed with the others. */
function connector<T>(transports: T[], open: (clientId?: string) => Promise<T>): (clientId?: string) => Promise<T> {
  return async (clientId) => {
    const transport = await open(clientId);
    transports.push(transport);
    return transport;
  };
}

export async function isolatedBus(kind: TransportKind, count: number): Promise<IsolatedBus> {
  if (kind === 'jetstream') {
    const names = isolatedJetStreamNames();
    const transports: JetStreamTransport[] = [];
    const connect = connector(transports, (clientId) =>
      JetStreamTransport.connect({ servers: natsUrl(), connectionName: clientId ?? `test-${transports.length}`, ...names }),
    );
    for (let i = 0; i < count; i++) await connect();
    return {
      kind,
      transports,
      connect,
      isSettled: async (queueGroup, subject) => {
        const info = await transports[0].manager.consumers.info(transports[0].streamName, durableName(queueGroup, subject));
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      deadLetters: async () => transports[0].listDeadLetters(),
      close: () => closeIsolated(transports),
    };
  }

  const { url, clusterId, monitor } = stanEnv();
  const tag = randomBytes(4).toString('hex');
  const prefixes = { subjectPrefix: `events_${tag}`, deadLetterPrefix: `deadletter_${tag}` };
  const transports: StanTransport[] = [];
  const connect = connector(transports, (clientId) =>
    StanTransport.connect({ url, clusterId, clientId: clientId ?? stanClientId('test'), ...prefixes }),
  );
  for (let i = 0; i < count; i++) await connect();
  return {
    kind,
    transports,
    connect,
    isSettled: async (queueGroup, subject) => {
      const channel = `${prefixes.subjectPrefix}.${subject}`;
      const res = await fetch(`${monitor}/streaming/channelsz?channel=${encodeURIComponent(channel)}&subs=1`);
      if (!res.ok) return false;
      const info = (await res.json()) as ChannelInfo;
      const subs = (info.subscriptions ?? []).filter((s) => s.queue_name?.endsWith(queueGroup));
      return subs.length > 0 && subs.every((s) => s.pending_count === 0) && Math.max(...subs.map((s) => s.last_sent)) >= info.last_seq;
    },
    deadLetters: async (queueGroups) => {
      const reader = transports.find((t) => t.isConnected()) ?? (await connect());
      return reader.readDeadLetters(queueGroups, [...ALL_SUBJECTS]);
    },
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
