import { buildServiceApp, isMongoConnected, type Logger } from '@ticketing/common';
import type { Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { type SessionSettings, Sessions } from './services/session';

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp(settings: SessionSettings, logger: Logger): Express {
  const sessions = new Sessions(settings);
  return buildServiceApp({
    jwtKey: settings.jwtKey,
    logger,
    prefix: '/api/users',
    health: { mongo: isMongoConnected },
    routers: [signupRouter(sessions), signinRouter(sessions), signoutRouter(sessions), currentUserRouter()],
  });
}
