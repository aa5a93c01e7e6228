import { currentUser, errorHandler, type HealthChecks, healthRouter, type Logger, notFoundHandler } from '@ticketing/common';
import express, { type Express } from 'express';
import { cancelOrderRouter } from './routes/cancel-order';
import { createOrderRouter } from './routes/create-order';
import { listOrdersRouter } from './routes/list-orders';
import { showOrderRouter } from './routes/show-order';

export interface AppDeps {
  jwtKey: string;
  logger: Logger;
  orderExpirationSeconds: number;
  /** Called after every committed change so the outbox relay publishes without waiting for its sweep. */
  onChange: () => void;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtKey, logger, orderExpirationSeconds, onChange, health }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(express.json({ limit: '100kb' }));
  app.use(currentUser({ jwtKey }));
  app.use(healthRouter('/api/orders', health));
  app.use(createOrderRouter(orderExpirationSeconds, onChange));
  app.use(listOrdersRouter());
  app.use(showOrderRouter());
  app.use(cancelOrderRouter(onChange));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
