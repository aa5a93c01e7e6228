import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics } from '@ticketing/common/http';
import { isMongoConnected } from '@ticketing/common/mongo';
import type { Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { AccountLockout, type AccountLockoutSettings, hashingSlots, rateLimitPerMinute } from './services/rate-limiter';
import { SessionRevocations } from './services/revocations';
import { type SessionSettings, Sessions } from './services/session';

export interface AppSettings extends SessionSettings {
  /** Signup and signin attempts allowed per client IP and minute, each route counted apart (`RATE_LIMIT_PER_MINUTE`). */
  rateLimitPerMinute: number;
  /** Password hashes (signup and signin) in flight per client IP (`HASHES_IN_FLIGHT_PER_CLIENT`). */
  hashesInFlightPerClient: number;
  lockout: AccountLockoutSettings;
}

/** Builds the express app: no listening, no connections, so route tests can import it. */
export function buildApp(
  settings: AppSettings,
  logger: Logger,
  metrics?: ServiceMetrics,
  revocations = new SessionRevocations(logger),
  health: HealthChecks = { mongo: isMongoConnected },
): Express {
  const sessions = new Sessions(settings);
  const hashing = hashingSlots(settings.hashesInFlightPerClient);
  return buildServiceApp({
    sessions: { publicKeys: sessions.publicKeys, revoked: revocations.revoked },
    logger,
    metrics,
    prefix: '/api/users',
    health,
    routers: [
      signupRouter(sessions, [rateLimitPerMinute(settings.rateLimitPerMinute), hashing]),
      signinRouter(sessions, [rateLimitPerMinute(settings.rateLimitPerMinute), hashing], new AccountLockout(settings.lockout)),
      signoutRouter(sessions, revocations),
      currentUserRouter(),
    ],
  });
}
