import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics, type SessionVerification } from '@ticketing/common/http';
import type { Express } from 'express';
import { createTicketRouter } from './routes/create-ticket';
import { listTicketsRouter } from './routes/list-tickets';
import { showTicketRouter } from './routes/show-ticket';
import { updateTicketRouter } from './routes/update-ticket';

export interface AppDeps {
  /** How session tokens are checked: the public keys (PEM), and the sessions revoked since (the event runtime's). */
  sessions: SessionVerification;
  logger: Logger;
  metrics?: ServiceMetrics;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ sessions, logger, metrics, health }: AppDeps): Express {
  return buildServiceApp({
    sessions,
    logger,
    metrics,
    prefix: '/api/tickets',
    health,
    routers: [createTicketRouter(), listTicketsRouter(), showTicketRouter(), updateTicketRouter()],
  });
}
