import { buildServiceApp, type HealthChecks, type Logger, type RevokedSessions, type ServiceMetrics } from '@ticketing/common/http';
import type { Express } from 'express';
import { createTicketRouter } from './routes/create-ticket';
import { listTicketsRouter } from './routes/list-tickets';
import { showTicketRouter } from './routes/show-ticket';
import { updateTicketRouter } from './routes/update-ticket';

export interface AppDeps {
  /** Public keys that verify session tokens (PEM). */
  jwtPublicKeys: string;
  /** Sessions signed out before their expiry (from the event runtime); none in route tests. */
  revokedSessions?: RevokedSessions;
  logger: Logger;
  metrics?: ServiceMetrics;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtPublicKeys, revokedSessions, logger, metrics, health }: AppDeps): Express {
  return buildServiceApp({
    sessions: { publicKeys: jwtPublicKeys, revoked: revokedSessions },
    logger,
    metrics,
    prefix: '/api/tickets',
    health,
    routers: [createTicketRouter(), listTicketsRouter(), showTicketRouter(), updateTicketRouter()],
  });
}
