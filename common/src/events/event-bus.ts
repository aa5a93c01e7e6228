import { type EnvReader, envReader } from '../support/env';
import type { Logger } from '../support/logger';
import type { EventTransport } from './transport';
import { stanClientId } from './transports/names';
import { STREAM_LIMITS, type StreamLimits } from './transports/stream-limits';

export interface EventBusConfig {
  transport: 'jetstream' | 'stan';
  natsUrl: string;
  /** Shown in the server's connection list; on STAN the client id (unique per process). */
  clientName: string;
  /** NATS Streaming cluster id (`-cid` of the server); STAN only. */
  clusterId: string;
  /** Keeps several independent systems apart on one NATS server (tests, previews); empty by default. */
  namespace?: string;
  /** During a migration: a second bus the outbox relay also publishes every event to. */
  mirror?: EventBusConfig;
  /** JetStream: how much the event and dead-letter streams keep. */
  limits?: StreamLimits;
  /** The service's NATS identity (`NATS_USER`, `NATS_PASSWORD`); credentials in `natsUrl` work too. */
  user?: string;
  password?: string;
  /**
   * JetStream: create the streams when connecting. Off for services (`EVENT_BUS_PROVISION`, default false):
   * the admin identity provisions them (`npm run bus -- provision`, the Kubernetes job, the local stack).
   */
  provisionStreams?: boolean;
}

/**
 * Reads the settings that choose and reach the bus: `EVENT_TRANSPORT` (jetstream | stan), `NATS_URL`,
 * `NATS_USER` + `NATS_PASSWORD`, `NATS_CLUSTER_ID` (STAN), `NATS_CLIENT_ID`, `EVENT_NAMESPACE` and
 * `EVENT_BUS_PROVISION`. Service code is the same on both.
 */
export function eventBusConfigFromEnv(service: string, env: EnvReader = envReader()): EventBusConfig {
  return {
    transport: env.oneOf('EVENT_TRANSPORT', ['jetstream', 'stan'] as const, { default: 'jetstream' }),
    natsUrl: env.string('NATS_URL'),
    // STAN refuses a second live connection with one client id: default to one unique per process.
    clientName: env.optionalString('NATS_CLIENT_ID') ?? stanClientId(service),
    clusterId: env.string('NATS_CLUSTER_ID', { default: 'ticketing' }),
    namespace: env.optionalString('EVENT_NAMESPACE'),
    mirror: mirrorConfig(service, env),
    limits: streamLimitsFromEnv(env),
    user: env.optionalString('NATS_USER'),
    password: env.optionalString('NATS_PASSWORD'),
    provisionStreams: env.boolean('EVENT_BUS_PROVISION', { default: false }),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;

/**
 * `EVENTS_MAX_AGE_DAYS` (default 30), `EVENTS_MAX_MB` (512), `DEAD_LETTERS_MAX_AGE_DAYS` (14),
 * `DEAD_LETTERS_MAX_MB` (64), `EVENTS_REPLICAS` (1; 3 on a 3-node cluster): the JetStream streams' bounds and
 * copies (see `STREAM_LIMITS`).
 */
function streamLimitsFromEnv(env: EnvReader): StreamLimits {
  const days = (name: string, defaultMs: number) => env.integer(name, { default: Math.round(defaultMs / DAY_MS), min: 1 }) * DAY_MS;
  const mb = (name: string, defaultBytes: number) => env.integer(name, { default: Math.round(defaultBytes / MB), min: 1 }) * MB;
  return {
    ...STREAM_LIMITS,
    eventsMaxAgeMs: days('EVENTS_MAX_AGE_DAYS', STREAM_LIMITS.eventsMaxAgeMs),
    eventsMaxBytes: mb('EVENTS_MAX_MB', STREAM_LIMITS.eventsMaxBytes),
    deadLettersMaxAgeMs: days('DEAD_LETTERS_MAX_AGE_DAYS', STREAM_LIMITS.deadLettersMaxAgeMs),
    deadLettersMaxBytes: mb('DEAD_LETTERS_MAX_MB', STREAM_LIMITS.deadLettersMaxBytes),
    replicas: env.integer('EVENTS_REPLICAS', { default: STREAM_LIMITS.replicas ?? 1, min: 1, max: 5 }),
  };
}

/** `EVENT_MIRROR_TRANSPORT` + `EVENT_MIRROR_NATS_URL`: publish to both buses while services move over. */
function mirrorConfig(service: string, env: EnvReader): EventBusConfig | undefined {
  const url = env.optionalString('EVENT_MIRROR_NATS_URL');
  if (!url) return undefined;
  return {
    transport: env.oneOf('EVENT_MIRROR_TRANSPORT', ['jetstream', 'stan'] as const, { default: 'jetstream' }),
    natsUrl: url,
    clientName: stanClientId(`${service}-mirror`),
    clusterId: env.string('NATS_CLUSTER_ID', { default: 'ticketing' }),
    namespace: env.optionalString('EVENT_NAMESPACE'),
  };
}

/** Connects the configured transport, loading its module (and its broker's client) only now. */
export async function connectEventBus(config: EventBusConfig, logger?: Logger): Promise<EventTransport> {
  if (config.transport === 'stan') {
    const { StanTransport } = loadTransport('stan');
    return StanTransport.connect({
      url: config.natsUrl,
      clusterId: config.clusterId,
      clientId: config.clientName,
      ...(config.user ? { user: config.user, pass: config.password } : {}),
      ...stanNames(config.namespace),
    });
  }
  const { JetStreamTransport } = loadTransport('jetstream');
  return JetStreamTransport.connect({
    servers: config.natsUrl,
    connectionName: config.clientName,
    ...(config.user ? { user: config.user, pass: config.password } : {}),
    provision: config.provisionStreams ?? false,
    onError: (err, context) => logger?.warn({ err }, context),
    ...(config.limits ? { limits: config.limits } : {}),
    ...jetStreamNames(config.namespace),
  });
}

/** Each transport's broker client: optional peer dependencies of the package, installed by the projects that use it. */
const TRANSPORT_CLIENTS = {
  jetstream: ['@nats-io/jetstream', '@nats-io/transport-node'],
  stan: ['node-nats-streaming'],
} as const;

interface TransportModules {
  jetstream: typeof import('../jetstream/transport');
  stan: typeof import('../stan/transport');
}

/**
 * A transport's module, required on first use rather than imported at the top: importing both would make
 * every project install both brokers' clients. A missing client is reported with what to install.
 */
function loadTransport<K extends keyof TransportModules>(kind: K): TransportModules[K] {
  try {
    return kind === 'stan' ? require('../stan/transport') : require('../jetstream/transport');
  } catch (err) {
    const clients: readonly string[] = TRANSPORT_CLIENTS[kind];
    const message = err instanceof Error ? err.message : '';
    if ((err as { code?: unknown })?.code !== 'MODULE_NOT_FOUND' || !clients.some((name) => message.includes(`'${name}'`))) throw err;
    throw new Error(`The ${kind} event transport needs ${clients.join(' and ')} installed: npm install ${clients.join(' ')}`, {
      cause: err,
    });
  }
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

/** Channel prefixes, namespaced when `namespace` is set: `<ns>.events.<event>`. */
export function stanNames(namespace?: string) {
  if (!namespace) return {};
  const names = jetStreamNames(namespace);
  return { subjectPrefix: names.subjectPrefix, deadLetterPrefix: names.deadLetterPrefix };
}

/**
 * Creates the JetStream streams (events and dead letters) with their bounds, or brings the bounds of existing
 * ones up to date: run with the admin identity at deploy or start-up time, before the services connect. NATS
 * Streaming creates its channels on first use, so there is nothing to do there.
 */
export async function provisionEventBus(config: EventBusConfig, logger?: Logger): Promise<void> {
  if (config.transport === 'stan') return;
  const transport = await connectEventBus({ ...config, provisionStreams: true }, logger);
  await transport.close();
}
