import { buildServiceApp, type HealthChecks, type Logger, type ServiceMetrics } from '@ticketing/common/http';
import { isMongoConnected } from '@ticketing/common/mongo';
import type { Express } from 'express';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { DeviceCookies } from './services/device-cookies';
import { HashingBudget, type HashingBudgetSettings } from './services/hashing-budget';
import { hashingSlots, type LockoutSettings, rateLimitPerMinute, SigninLockout } from './services/rate-limiter';
import { SessionRevocations } from './services/revocations';
import { type SessionSettings, Sessions } from './services/session';

export interface AppSettings extends SessionSettings {
  /** Signup and signin attempts allowed per client IP and minute, each route counted apart (`RATE_LIMIT_PER_MINUTE`). */
  rateLimitPerMinute: number;
  /** Password hashes (signup and signin) in flight per client IP (`HASHES_IN_FLIGHT_PER_CLIENT`). */
  hashesInFlightPerClient: number;
  /** Password hashes over all clients: in flight, and waiting per lane (`HASHES_IN_FLIGHT`, `HASHES_QUEUED`). */
  hashing: HashingBudgetSettings;
  /** Per account for unknown clients, per device for remembered ones. */
  lockout: LockoutSettings;
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
  const slots = hashingSlots(settings.hashesInFlightPerClient);
  const hashing = new HashingBudget(settings.hashing);
  return buildServiceApp({
    sessions: { publicKeys: sessions.publicKeys, revoked: revocations.revoked },
    logger,
    metrics,
    prefix: '/api/users',
    health,
    routers: [
      signupRouter(sessions, [rateLimitPerMinute(settings.rateLimitPerMinute), slots], hashing),
      signinRouter(sessions, {
        limits: [rateLimitPerMinute(settings.rateLimitPerMinute), slots],
        devices: new DeviceCookies(settings.jwtPrivateKey, settings.isCookieSecure),
        lockouts: { accounts: new SigninLockout(settings.lockout), devices: new SigninLockout(settings.lockout) },
        hashing,
      }),
      signoutRouter(sessions, revocations),
      currentUserRouter(),
    ],
  });
}
