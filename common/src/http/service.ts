import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { ConfigError } from '../support/env';
import { createLogger, type Logger } from '../support/logger';
import type { ServiceMetrics } from './metrics';
import { currentUser, SESSION_COOKIE, type SessionVerification } from './middlewares/current-user';
import { errorHandler, notFoundHandler } from './middlewares/error-handler';
import { type HealthChecks, healthRouter } from './middlewares/health';
import { httpMetrics, metricsRouter } from './middlewares/metrics';
import { requestLogger } from './middlewares/request-logger';
import { Shutdown, type ShutdownOptions } from './shutdown';

export interface ServiceAppOptions {
  /** How session tokens are checked (`{ publicKeys }` for ES256: only the holder of the private key can mint them). */
  sessions?: SessionVerification;
  /** Shorthand for `sessions: { jwtKey }` (HS256 with a key every service shares). */
  jwtKey?: string;
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
 * to 100 kB (a trace per request, see `traceOf`), the current user from the session, health endpoints, the service's routes, then 404 and the
 * error handler. No listening, no connections.
 */
export function buildServiceApp({ sessions, jwtKey, logger, metrics, prefix, health, routers }: ServiceAppOptions): Express {
  const verification = sessions ?? (jwtKey === undefined ? undefined : { jwtKey });
  if (!verification) throw new Error('buildServiceApp needs sessions (or jwtKey)');
  const app = express();
  app.disable('x-powered-by');
  // One proxy in front (the ingress, or the local gateway): req.ip is the address it saw, so a client
  // cannot pick its own IP (and dodge rate limits) with a forged X-Forwarded-For.
  app.set('trust proxy', 1);
  app.use(requestLogger(logger, prefix));
  // helmet's standard security headers (nosniff, no framing, a CSP that allows nothing, HSTS, …): the
  // services answer JSON only, so the strict defaults cost nothing.
  app.use(helmet());
  app.use(noStoreWithCredentials);
  if (metrics) {
    app.use(httpMetrics(metrics));
    app.use(metricsRouter(metrics));
  }
  app.use(express.json({ limit: '100kb' }));
  app.use(currentUser(verification));
  app.use(healthRouter(prefix, health));
  for (const router of routers) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}

/** A response to a request that carries a session (cookie or bearer token) is the caller's own: never stored. */
const noStoreWithCredentials: RequestHandler = (req, res, next) => {
  if (req.headers.authorization || req.headers.cookie?.includes(`${SESSION_COOKIE}=`)) res.setHeader('cache-control', 'no-store');
  next();
};

/** The responses each server started by `startHttpServer` has not finished yet, and whether it is closing. */
const httpState = new WeakMap<Server, { responses: Set<ServerResponse>; isClosing: boolean }>();

/**
 * Serves `app` on `port` (on `host`: every interface when absent; our services pass loopback unless
 * configured otherwise) and resolves once listening. The server remembers its unfinished responses, so
 * `closeServer` can tell their clients not to reuse the connection.
 */
export async function startHttpServer(app: RequestListener, port: number, host?: string): Promise<Server> {
  const server = createServer();
  const state = { responses: new Set<ServerResponse>(), isClosing: false };
  httpState.set(server, state);
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    // A request that reached a kept-alive connection after close began: its connection ends with it.
    if (state.isClosing) res.setHeader('connection', 'close');
    state.responses.add(res);
    res.once('close', () => state.responses.delete(res));
  });
  server.on('request', app);
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

/**
 * Stops accepting connections and resolves once the requests in flight have finished: idle kept-alive
 * connections are closed at once, and each unfinished response is sent with `Connection: close` so its
 * connection ends with it (otherwise the server would wait for the client's keep-alive to time out).
 * After `graceMs` the connections still open are destroyed, so a stuck request cannot hold the shutdown.
 */
export function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  const state = httpState.get(server);
  if (state) {
    state.isClosing = true;
    for (const res of state.responses) if (!res.headersSent) res.setHeader('connection', 'close');
  }
  return new Promise((resolve, reject) => {
    const forceClose = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((err) => {
      clearTimeout(forceClose);
      if (err) reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** What `runService` gives a service's `main`. */
export interface ServiceContext {
  logger: Logger;
  /** Register how to release each resource right after acquiring it (see `Shutdown`). */
  shutdown: Shutdown;
}

/**
 * A service's entry point: reads its config (a bad variable ends the process with one line naming it),
 * creates the logger and the shutdown, and runs `main`.
 *
 * SIGTERM and SIGINT are handled from here on, also while `main` is still starting: the resources
 * registered so far are released (last first), start-up goes no further, and the process exits 0. A failure
 * to start is reported in one line; what was opened is released and the process exits 1. An unhandled
 * rejection or uncaught exception, at any time from here on, is logged (fatal, with its stack) and runs the
 * same shutdown, exiting 1 so that the orchestrator restarts the process.
 */
export function runService<C extends { logLevel?: string }>(
  name: string,
  loadConfig: () => C,
  main: (config: C, context: ServiceContext) => Promise<void>,
  options: ShutdownOptions = {},
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `${name}: ${String(err)}`);
    process.exit(1);
  }
  const logger = createLogger(name, config.logLevel);
  const shutdown = new Shutdown(logger, options);
  shutdown.handleSignals();
  logger.info('starting');
  main(config, { logger, shutdown }).catch((err: unknown) => {
    // A signal during start-up: the stop in progress makes start-up fail; that stop decides the exit code.
    if (shutdown.isStopping) return;
    console.error(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    void shutdown.stop('failed to start', 1);
  });
}
