import { buildServiceApp, type Logger, type ServiceMetrics } from '@ticketing/common/http';
import { isMongoConnected } from '@ticketing/common/mongo';
import type { Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { rateLimitPerMinute } from './services/rate-limiter';
import { type SessionSettings, Sessions } from './services/session';

export interface AppSettings extends SessionSettings {
  /** Signup and signin attempts allowed per client IP and minute, each route counted apart (`RATE_LIMIT_PER_MINUTE`). */
  rateLimitPerMinute: number;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp(settings: AppSettings, logger: Logger, metrics?: ServiceMetrics): Express {
  const sessions = new Sessions(settings);
  return buildServiceApp({
    jwtKey: settings.jwtKey,
    logger,
    metrics,
    prefix: '/api/users',
    health: { mongo: isMongoConnected },
    routers: [
      signupRouter(sessions, rateLimitPerMinute(settings.rateLimitPerMinute)),
      signinRouter(sessions, rateLimitPerMinute(settings.rateLimitPerMinute)),
      signoutRouter(sessions),
      currentUserRouter(),
    ],
  });
}
