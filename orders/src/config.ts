import { type EventBusConfig, eventBusConfigFromEnv } from '@ticketing/common/events';
import { envReader } from '@ticketing/common/http';

export interface OrdersConfig {
  port: number;
  /** Interface to listen on: loopback unless told otherwise (the container image sets HOST=0.0.0.0). */
  host: string;
  mongoUrl: string;
  /** Public keys that verify session tokens (PEM blocks; auth alone can sign them). */
  jwtPublicKeys: string;
  eventBus: EventBusConfig;
  /** How long an order holds its ticket before it is cancelled automatically. */
  orderExpirationSeconds: number;
  /** Active orders (created or awaiting payment) one buyer may hold at once. */
  maxActiveOrdersPerBuyer: number;
  /** How often the database is checked for orders past their expiry. */
  expirySweepIntervalMs: number;
  /** How often the outbox relay's safety sweep looks for events left behind (new events go out at once). */
  outboxSweepIntervalMs: number;
  logLevel: string;
}

/** Reads the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const read = envReader(env);
  return {
    port: read.integer('PORT', { default: 3003, min: 0, max: 65535 }),
    host: read.string('HOST', { default: '127.0.0.1' }),
    mongoUrl: read.string('MONGO_URL'),
    jwtPublicKeys: read.pem('JWT_PUBLIC_KEYS'),
    eventBus: eventBusConfigFromEnv('orders', read),
    orderExpirationSeconds: read.integer('ORDER_EXPIRATION_SECONDS', { default: 900, min: 1 }),
    maxActiveOrdersPerBuyer: read.integer('MAX_ACTIVE_ORDERS_PER_BUYER', { default: 5, min: 1, max: 100_000 }),
    expirySweepIntervalMs: read.integer('EXPIRY_SWEEP_INTERVAL_MS', { default: 1000, min: 50 }),
    outboxSweepIntervalMs: read.integer('OUTBOX_SWEEP_INTERVAL_MS', { default: 30_000, min: 50 }),
    logLevel: read.string('LOG_LEVEL', { default: 'info' }),
  };
}
