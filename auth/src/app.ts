import { buildServiceApp, isMongoConnected, type Logger, type ServiceMetrics } from '@ticketing/common';
import type { Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { type SessionSettings, Sessions } from './services/session';

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp(settings: SessionSettings, logger: Logger, metrics?: ServiceMetrics): Express {
  const sessions = new Sessions(settings);
  return buildServiceApp({
    jwtKey: settings.jwtKey,
    logger,
    metrics,
    prefix: '/api/users',
    health: { mongo: isMongoConnected },
    routers: [signupRouter(sessions), signinRouter(sessions), signoutRouter(sessions), currentUserRouter()],
  });
}
