import { createLogger } from '@ticketing/common/http';
import { testSessionKeys } from '@ticketing/testkit/session';
import request from 'supertest';
import { buildApp } from '../src/app';
import { SessionRevocations } from '../src/services/revocations';

// Route tests sign up many times from one address within a minute; rate-limit.test.ts covers the limit.
export const settings = {
  jwtPrivateKey: testSessionKeys.privateKey,
  sessionTtlSeconds: 3600,
  isCookieSecure: false,
  rateLimitPerMinute: 1_000_000,
  hashesInFlightPerClient: 1_000,
  hashing: { inFlight: 4, queued: 1_000_000 },
  lockout: { failures: 1_000, lockSeconds: 900 },
};
export const revocations = new SessionRevocations();
export const app = buildApp(settings, createLogger('auth-test', 'silent'), undefined, revocations);

/** Signs a user up and returns the session cookie to send with later requests. */
export async function signup(email = 'buyer@example.com', password = 'correct horse'): Promise<string[]> {
  const res = await request(app).post('/api/users/signup').send({ email, password }).expect(201);
  const cookie = res.get('Set-Cookie');
  if (!cookie) throw new Error('signup set no cookie');
  return cookie;
}
