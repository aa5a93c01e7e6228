import { type EventBusConfig, eventBusConfigFromEnv } from '@ticketing/common/events';
import { ConfigError, envReader } from '@ticketing/common/http';

export interface PaymentsConfig {
  port: number;
  /** Interface to listen on: loopback unless told otherwise (the container image sets HOST=0.0.0.0). */
  host: string;
  mongoUrl: string;
  /** Public keys that verify session tokens (PEM blocks; auth alone can sign them). */
  jwtPublicKeys: string;
  eventBus: EventBusConfig;
  stripe: StripeConfig;
  /** How often the outbox relay's safety sweep looks for events left behind (new events go out at once). */
  outboxSweepIntervalMs: number;
  logLevel: string;
}

export interface StripeConfig {
  /** `STRIPE_SECRET_KEY`: a secret (`sk_…`) or restricted (`rk_…`) key; never in the repository. */
  secretKey: string;
  /** `STRIPE_API_BASE`: where the Stripe API is, e.g. stripe-mock's `http://127.0.0.1:12111`; default Stripe itself. */
  apiBase?: URL;
  /** `PAYMENT_CURRENCY`: ISO 4217, lower case (default `usd`). */
  currency: string;
}

/** Reads the environment once; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaymentsConfig {
  const read = envReader(env);
  const secretKey = read.string('STRIPE_SECRET_KEY');
  if (!/^(sk|rk)_(test|live)_\w+$/.test(secretKey)) {
    throw new ConfigError('STRIPE_SECRET_KEY', 'must be a Stripe secret or restricted key (sk_… or rk_…)');
  }
  const currency = read.string('PAYMENT_CURRENCY', { default: 'usd' });
  if (!/^[a-z]{3}$/.test(currency))
    throw new ConfigError('PAYMENT_CURRENCY', 'must be a three-letter ISO currency code in lower case, e.g. usd');
  return {
    port: read.integer('PORT', { default: 3004, min: 0, max: 65535 }),
    host: read.string('HOST', { default: '127.0.0.1' }),
    mongoUrl: read.string('MONGO_URL'),
    jwtPublicKeys: read.pem('JWT_PUBLIC_KEYS'),
    eventBus: eventBusConfigFromEnv('payments', read),
    stripe: { secretKey, apiBase: apiBaseFrom(read.optionalString('STRIPE_API_BASE')), currency },
    outboxSweepIntervalMs: read.integer('OUTBOX_SWEEP_INTERVAL_MS', { default: 30_000, min: 50 }),
    logLevel: read.string('LOG_LEVEL', { default: 'info' }),
  };
}

function apiBaseFrom(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new ConfigError('STRIPE_API_BASE', `must be an http(s) URL, got "${value}"`);
}
