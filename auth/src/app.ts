import { currentUser, errorHandler, healthRouter, isMongoConnected, type Logger, notFoundHandler } from '@ticketing/common';
import express, { type Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { type SessionSettings, Sessions } from './services/session';

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp(settings: SessionSettings, logger: Logger): Express {
  const sessions = new Sessions(settings);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(express.json({ limit: '100kb' }));
  app.use(currentUser({ jwtKey: settings.jwtKey }));
  app.use(healthRouter('/api/users', { mongo: isMongoConnected }));
  app.use(signupRouter(sessions));
  app.use(signinRouter(sessions));
  app.use(signoutRouter(sessions));
  app.use(currentUserRouter());
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
