import { buildServiceApp, type HealthChecks, type Logger, type RevokedSessions, type ServiceMetrics } from '@ticketing/common/http';
import type { Express } from 'express';
import { createPaymentRouter } from './routes/create-payment';
import type { PaymentProvider } from './services/stripe';

export interface AppDeps {
  /** Public keys that verify session tokens (PEM). */
  jwtPublicKeys: string;
  /** Sessions signed out before their expiry (from the event runtime); none in route tests. */
  revokedSessions?: RevokedSessions;
  logger: Logger;
  metrics?: ServiceMetrics;
  health: HealthChecks;
  provider: PaymentProvider;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtPublicKeys, revokedSessions, logger, metrics, health, provider }: AppDeps): Express {
  return buildServiceApp({
    sessions: { publicKeys: jwtPublicKeys, revoked: revokedSessions },
    logger,
    metrics,
    prefix: '/api/payments',
    health,
    routers: [createPaymentRouter(provider, logger)],
  });
}
