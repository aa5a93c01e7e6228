import { type EnvReader, envReader } from '../config/env';
import type { EventTransport } from './transport';
import { JetStreamTransport } from './transports/jetstream';

export interface EventBusConfig {
  transport: 'jetstream' | 'stan';
  natsUrl: string;
  /** Shown in the server's connection list; for STAN also the client id. */
  clientName: string;
  /** Keeps several independent systems apart on one NATS server (tests, previews); empty by default. */
  namespace?: string;
}

/** Reads `EVENT_TRANSPORT` and `NATS_URL`, the only settings that choose and reach the bus. */
export function eventBusConfigFromEnv(service: string, env: EnvReader = envReader()): EventBusConfig {
  return {
    transport: env.oneOf('EVENT_TRANSPORT', ['jetstream', 'stan'] as const, { default: 'jetstream' }),
    natsUrl: env.string('NATS_URL'),
    clientName: env.optionalString('NATS_CLIENT_ID') ?? `${service}-${process.pid}`,
    namespace: env.optionalString('EVENT_NAMESPACE'),
  };
}

/** Connects the configured transport. Services depend on `EventTransport` only. */
export async function connectEventBus(config: EventBusConfig): Promise<EventTransport> {
  if (config.transport === 'stan') {
    throw new Error('EVENT_TRANSPORT=stan is not available in this version: use jetstream');
  }
  return JetStreamTransport.connect({
    servers: config.natsUrl,
    connectionName: config.clientName,
    ...jetStreamNames(config.namespace),
  });
}

/** Stream and subject names, namespaced when `namespace` is set: `EVENTS_<ns>` over `<ns>.events.>`. */
export function jetStreamNames(namespace?: string) {
  if (!namespace) return {};
  if (!/^[A-Za-z0-9_-]+$/.test(namespace)) throw new Error(`EVENT_NAMESPACE may hold only letters, digits, _ and -, got "${namespace}"`);
  return {
    streamName: `EVENTS_${namespace}`,
    subjectPrefix: `${namespace}.events`,
    deadLetterStreamName: `DEAD_LETTERS_${namespace}`,
    deadLetterPrefix: `${namespace}.deadletter`,
  };
}
