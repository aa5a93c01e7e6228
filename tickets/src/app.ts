import { currentUser, errorHandler, type HealthChecks, healthRouter, type Logger, notFoundHandler } from '@ticketing/common';
import express, { type Express } from 'express';
import { createTicketRouter } from './routes/create-ticket';
import { listTicketsRouter } from './routes/list-tickets';
import { showTicketRouter } from './routes/show-ticket';
import { updateTicketRouter } from './routes/update-ticket';

export interface AppDeps {
  jwtKey: string;
  logger: Logger;
  /** Called after every committed change so the outbox relay publishes without waiting for its sweep. */
  onChange: () => void;
  health: HealthChecks;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp({ jwtKey, logger, onChange, health }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(express.json({ limit: '100kb' }));
  app.use(currentUser({ jwtKey }));
  app.use(healthRouter('/api/tickets', health));
  app.use(createTicketRouter(onChange));
  app.use(listTicketsRouter());
  app.use(showTicketRouter());
  app.use(updateTicketRouter(onChange));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
