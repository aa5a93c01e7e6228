import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics, type SessionVerification } from '@ticketing/common/http';
import type { Express } from 'express';
import { cancelOrderRouter } from './routes/cancel-order';
import { createOrderRouter } from './routes/create-order';
import { listOrdersRouter } from './routes/list-orders';
import { showOrderRouter } from './routes/show-order';
import type { OrderLimits } from './services/orders';

export interface AppDeps {
  /** How session tokens are checked: the public keys (PEM), and the sessions revoked since (the event runtime's). */
  sessions: SessionVerification;
  logger: Logger;
  metrics?: ServiceMetrics;
  orderExpirationSeconds: number;
  /** Active orders one buyer may hold (`MAX_ACTIVE_ORDERS_PER_BUYER`), and their counter. */
  orderLimits: OrderLimits;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ sessions, logger, metrics, orderExpirationSeconds, orderLimits, health }: AppDeps): Express {
  return buildServiceApp({
    sessions,
    logger,
    metrics,
    prefix: '/api/orders',
    health,
    routers: [createOrderRouter(orderExpirationSeconds, orderLimits), listOrdersRouter(), showOrderRouter(), cancelOrderRouter()],
  });
}
