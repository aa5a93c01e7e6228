import type { Server } from 'node:http';
import express, { type Express, type Router } from 'express';
import { ConfigError } from './config/env';
import type { Logger } from './logger';
import { httpMetrics, metricsRouter, type ServiceMetrics } from './metrics';
import { currentUser } from './middlewares/current-user';
import { errorHandler, notFoundHandler } from './middlewares/error-handler';
import { type HealthChecks, healthRouter } from './middlewares/health';
import { requestLogger } from './middlewares/request-logger';

export interface ServiceAppOptions {
  jwtKey: string;
  logger: Logger;
  /** When given: request timing and `GET /metrics`. */
  metrics?: ServiceMetrics;
  /** The service's API prefix, e.g. `/api/tickets`; health endpoints live under it. */
  prefix: string;
  health: HealthChecks;
  routers: Router[];
}

/**
 * The express app every service builds: a request id and a log line per request, metrics, JSON bodies up
 * to 100 kB, the current user from the session, health endpoints, the service's routes, then 404 and the
 * error handler. No listening, no connections.
 */
export function buildServiceApp({ jwtKey, logger, metrics, prefix, health, routers }: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(requestLogger(logger, prefix));
  if (metrics) {
    app.use(httpMetrics(metrics));
    app.use(metricsRouter(metrics));
  }
  app.use(express.json({ limit: '100kb' }));
  app.use(currentUser({ jwtKey }));
  app.use(healthRouter(prefix, health));
  for (const router of routers) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

/** Stops accepting connections and resolves once in-flight requests have finished. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}

/**
 * A service's entry point: reads its config (a bad variable ends the process with one line naming it)
 * and runs `main`; a failure to start is reported in one line and exits 1.
 */
export function runService<C>(name: string, loadConfig: () => C, main: (config: C) => Promise<void>): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `${name}: ${String(err)}`);
    process.exit(1);
  }
  main(config).catch((err: unknown) => {
    console.error(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
