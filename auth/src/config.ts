import { availableParallelism } from 'node:os';
import { type EventBusConfig, eventBusConfigFromEnv } from '@ticketing/common/events';
import { envReader } from '@ticketing/common/http';

export interface AuthConfig {
  port: number;
  /** Interface to listen on: loopback unless told otherwise (the container image sets HOST=0.0.0.0). */
  host: string;
  mongoUrl: string;
  /** ES256 signing key, PEM (auth alone holds it). */
  jwtPrivateKey: string;
  /** Earlier public keys still accepted while keys rotate (PEM blocks); optional. */
  jwtPublicKeys?: string;
  /** Lifetime of a session token (and its cookie). */
  sessionTtlSeconds: number;
  /** Send the cookie over HTTPS only; on by default in production. */
  isCookieSecure: boolean;
  /** Signup and signin attempts allowed per client IP and minute, each route counted apart, per process. */
  rateLimitPerMinute: number;
  /** Password hashes in flight per client IP; more at once are refused with 429. */
  hashesInFlightPerClient: number;
  /** Password hashes over all clients: at once, and waiting per lane; more are refused with 429. */
  hashing: { inFlight: number; queued: number };
  /** Failed sign-ins per account (per remembered device) before it is locked, and for how long. */
  lockout: { failures: number; lockSeconds: number };
  /** The bus auth announces revoked sessions on (its own NATS identity, `NATS_USER`/`NATS_PASSWORD`). */
  eventBus: EventBusConfig;
  logLevel: string;
}

/** Reads the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const read = envReader(env);
  return {
    port: read.integer('PORT', { default: 3001, min: 0, max: 65535 }),
    host: read.string('HOST', { default: '127.0.0.1' }),
    mongoUrl: read.string('MONGO_URL'),
    jwtPrivateKey: read.pem('JWT_PRIVATE_KEY'),
    jwtPublicKeys: read.optionalPem('JWT_PUBLIC_KEYS'),
    sessionTtlSeconds: read.integer('SESSION_TTL_SECONDS', { default: 3600, min: 60, max: 30 * 24 * 3600 }),
    isCookieSecure: read.boolean('COOKIE_SECURE', { default: env.NODE_ENV === 'production' }),
    rateLimitPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', { default: 20, min: 1, max: 1_000_000 }),
    hashesInFlightPerClient: read.integer('HASHES_IN_FLIGHT_PER_CLIENT', { default: 2, min: 1, max: 1_000 }),
    hashing: {
      // A core each, at most libuv's four pool threads (scrypt runs there; more would only queue in the pool).
      inFlight: read.integer('HASHES_IN_FLIGHT', { default: Math.min(4, availableParallelism()), min: 1, max: 1_000 }),
      queued: read.integer('HASHES_QUEUED', { default: 4, min: 0, max: 1_000_000 }),
    },
    lockout: {
      failures: read.integer('SIGNIN_FAILURES_BEFORE_LOCKOUT', { default: 10, min: 1, max: 1_000_000 }),
      lockSeconds: read.integer('SIGNIN_LOCKOUT_SECONDS', { default: 900, min: 1, max: 24 * 3600 }),
    },
    eventBus: eventBusConfigFromEnv('auth', read),
    logLevel: read.string('LOG_LEVEL', { default: 'info' }),
  };
}
