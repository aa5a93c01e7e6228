import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics } from '@ticketing/common/http';
import type { Express } from 'express';
import { cancelOrderRouter } from './routes/cancel-order';
import { createOrderRouter } from './routes/create-order';
import { listOrdersRouter } from './routes/list-orders';
import { showOrderRouter } from './routes/show-order';
import type { OrderLimits } from './services/orders';

export interface AppDeps {
  /** Public keys that verify session tokens (PEM). */
  jwtPublicKeys: string;
  logger: Logger;
  metrics?: ServiceMetrics;
  orderExpirationSeconds: number;
  /** Active orders one buyer may hold (`MAX_ACTIVE_ORDERS_PER_BUYER`), and their counter. */
  orderLimits: OrderLimits;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtPublicKeys, logger, metrics, orderExpirationSeconds, orderLimits, health }: AppDeps): Express {
  return buildServiceApp({
    sessions: { publicKeys: jwtPublicKeys },
    logger,
    metrics,
    prefix: '/api/orders',
    health,
    routers: [createOrderRouter(orderExpirationSeconds, orderLimits), listOrdersRouter(), showOrderRouter(), cancelOrderRouter()],
  });
}
