import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics, type SessionVerification } from '@ticketing/common/http';
import type { Express } from 'express';
import { createPaymentRouter } from './routes/create-payment';
import type { PaymentProvider } from './services/stripe';

export interface AppDeps {
  /** How session tokens are checked: the public keys (PEM), and the sessions revoked since (the event runtime's). */
  sessions: SessionVerification;
  logger: Logger;
  metrics?: ServiceMetrics;
  health: HealthChecks;
  provider: PaymentProvider;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ sessions, logger, metrics, health, provider }: AppDeps): Express {
  return buildServiceApp({
    sessions,
    logger,
    metrics,
    prefix: '/api/payments',
    health,
    routers: [createPaymentRouter(provider, logger)],
  });
}
