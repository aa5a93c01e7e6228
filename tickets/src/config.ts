import { type EventBusConfig, eventBusConfigFromEnv } from '@ticketing/common/events';
import { envReader } from '@ticketing/common/http';

export interface TicketsConfig {
  port: number;
  /** Interface to listen on: loopback unless told otherwise (the container image sets HOST=0.0.0.0). */
  host: string;
  mongoUrl: string;
  /** Public keys that verify session tokens (PEM blocks; auth alone can sign them). */
  jwtPublicKeys: string;
  eventBus: EventBusConfig;
  /** How often the outbox relay's safety sweep looks for events left behind (new events go out at once). */
  outboxSweepIntervalMs: number;
  logLevel: string;
}

/** Reads the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TicketsConfig {
  const read = envReader(env);
  return {
    port: read.integer('PORT', { default: 3002, min: 0, max: 65535 }),
    host: read.string('HOST', { default: '127.0.0.1' }),
    mongoUrl: read.string('MONGO_URL'),
    jwtPublicKeys: read.pem('JWT_PUBLIC_KEYS'),
    eventBus: eventBusConfigFromEnv('tickets', read),
    outboxSweepIntervalMs: read.integer('OUTBOX_SWEEP_INTERVAL_MS', { default: 30_000, min: 50 }),
    logLevel: read.string('LOG_LEVEL', { default: 'info' }),
  };
}
