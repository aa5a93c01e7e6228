import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics } from '@ticketing/common/http';
import type { Express } from 'express';
import { createTicketRouter } from './routes/create-ticket';
import { listTicketsRouter } from './routes/list-tickets';
import { showTicketRouter } from './routes/show-ticket';
import { updateTicketRouter } from './routes/update-ticket';

export interface AppDeps {
  /** Public keys that verify session tokens (PEM). */
  jwtPublicKeys: string;
  logger: Logger;
  metrics?: ServiceMetrics;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtPublicKeys, logger, metrics, health }: AppDeps): Express {
  return buildServiceApp({
    sessions: { publicKeys: jwtPublicKeys },
    logger,
    metrics,
    prefix: '/api/tickets',
    health,
    routers: [createTicketRouter(), listTicketsRouter(), showTicketRouter(), updateTicketRouter()],
  });
}
