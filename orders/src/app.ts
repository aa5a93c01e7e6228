import { buildServiceApp, type HealthChecks, type Logger, type RevokedSessions, type ServiceMetrics } from '@ticketing/common/http';
import type { Express } from 'express';
import { cancelOrderRouter } from './routes/cancel-order';
import { createOrderRouter } from './routes/create-order';
import { listOrdersRouter } from './routes/list-orders';
import { showOrderRouter } from './routes/show-order';
import type { OrderLimits } from './services/orders';

export interface AppDeps {
  /** Public keys that verify session tokens (PEM). */
  jwtPublicKeys: string;
  /** Sessions signed out before their expiry (from the event runtime); none in route tests. */
  revokedSessions?: RevokedSessions;
  logger: Logger;
  metrics?: ServiceMetrics;
  orderExpirationSeconds: number;
  /** Active orders one buyer may hold (`MAX_ACTIVE_ORDERS_PER_BUYER`), and their counter. */
  orderLimits: OrderLimits;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({
  jwtPublicKeys,
  revokedSessions,
  logger,
  metrics,
  orderExpirationSeconds,
  orderLimits,
  health,
}: AppDeps): Express {
  return buildServiceApp({
    sessions: { publicKeys: jwtPublicKeys, revoked: revokedSessions },
    logger,
    metrics,
    prefix: '/api/orders',
    health,
    routers: [createOrderRouter(orderExpirationSeconds, orderLimits), listOrdersRouter(), showOrderRouter(), cancelOrderRouter()],
  });
}
