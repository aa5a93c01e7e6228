import { createLogger } from '@ticketing/common/http';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import request from 'supertest';
import { buildApp } from '../src/app';
import { User } from '../src/models/user';
import { settings } from './helpers';

useTestDatabase();

const LIMIT = 3;
const tooMany = { errors: [{ message: 'Too many attempts; try again later' }] };

/** A fresh app per test, so each starts with empty counters. */
const limitedApp = () => buildApp({ ...settings, rateLimitPerMinute: LIMIT }, createLogger('auth-test', 'silent'));

describe('rate limit on signup and signin', () => {
  it('When one IP exceeds the limit, then it gets 429 with Retry-After and nothing is created; another IP is unaffected', async () => {
    const app = limitedApp();
    const signup = (ip: string, email: string) =>
      request(app).post('/api/users/signup').set('X-Forwarded-For', ip).send({ email, password: 'long enough' });

    for (let i = 0; i < LIMIT; i++) expect((await signup('203.0.113.7', `ok${i}@example.com`)).status).toBe(201);
    const refused = await signup('203.0.113.7', 'one-too-many@example.com');

    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    const retryAfter = Number(refused.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.get('Set-Cookie')).toBeUndefined();
    expect(await User.countDocuments({ email: 'one-too-many@example.com' })).toBe(0);
    expect(await User.countDocuments()).toBe(LIMIT);

    expect((await signup('198.51.100.23', 'other-ip@example.com')).status).toBe(201);
    expect(await User.countDocuments({ email: 'other-ip@example.com' })).toBe(1);
  });

  it('When one IP keeps guessing passwords, then signin answers 429 before checking them, and signup is counted apart', async () => {
    const app = limitedApp();
    await request(app).post('/api/users/signup').send({ email: 'ann@example.com', password: 'correct horse' }).expect(201);
    const signin = (password: string) =>
      request(app).post('/api/users/signin').set('X-Forwarded-For', '203.0.113.9').send({ email: 'ann@example.com', password });

    for (let i = 0; i < LIMIT; i++) expect((await signin(`guess ${i}`)).status).toBe(400);
    const refused = await signin('correct horse');

    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(refused.get('Retry-After')).toMatch(/^\d+$/);
    expect(refused.get('Set-Cookie')).toBeUndefined();
    await request(app)
      .post('/api/users/signup')
      .set('X-Forwarded-For', '203.0.113.9')
      .send({ email: 'bob@example.com', password: 'long enough' })
      .expect(201);
  });
});

describe('per-account lockout', () => {
  const lockedApp = () =>
    buildApp({ ...settings, rateLimitPerMinute: 1_000, lockout: { failures: 3, lockSeconds: 60 } }, createLogger('auth-test', 'silent'));
  const signinFrom = (app: ReturnType<typeof lockedApp>, ip: string, email: string, password: string) =>
    request(app).post('/api/users/signin').set('X-Forwarded-For', ip).send({ email, password });

  it('When wrong passwords for one account come from several IPs, then the account answers 429 with Retry-After, even to the right password', async () => {
    const app = lockedApp();
    await request(app).post('/api/users/signup').send({ email: 'ann@example.com', password: 'correct horse' }).expect(201);

    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      expect((await signinFrom(app, ip, 'ann@example.com', 'guess')).status).toBe(400);
    const locked = await signinFrom(app, '198.51.100.4', 'ann@example.com', 'correct horse');

    expect(locked.status).toBe(429);
    expect(locked.body).toEqual(tooMany);
    expect(Number(locked.get('Retry-After'))).toBeGreaterThan(50);
    expect(locked.get('Set-Cookie')).toBeUndefined();
    // Another account is not affected; an unknown email is counted like a real one.
    await request(app).post('/api/users/signup').send({ email: 'bob@example.com', password: 'correct horse' }).expect(201);
    expect((await signinFrom(app, '203.0.113.1', 'bob@example.com', 'correct horse')).status).toBe(200);
    for (let i = 0; i < 3; i++) await signinFrom(app, '203.0.113.1', 'nobody@example.com', 'guess');
    expect((await signinFrom(app, '203.0.113.1', 'nobody@example.com', 'guess')).status).toBe(429);
  });

  it('When the right password comes before the lockout, then the failures are forgotten', async () => {
    const app = lockedApp();
    await request(app).post('/api/users/signup').send({ email: 'cy@example.com', password: 'correct horse' }).expect(201);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) expect((await signinFrom(app, '203.0.113.5', 'cy@example.com', 'guess')).status).toBe(400);
      expect((await signinFrom(app, '203.0.113.5', 'cy@example.com', 'correct horse')).status).toBe(200);
    }
  });
});

describe('password checks in flight per client', () => {
  it('When one client sends many sign-ins at once, then those beyond its hashing slots get 429 at once, and another client is served', async () => {
    const app = buildApp({ ...settings, hashesInFlightPerClient: 2 }, createLogger('auth-test', 'silent'));
    await request(app).post('/api/users/signup').send({ email: 'dee@example.com', password: 'correct horse' }).expect(201);
    const flood = await Promise.all(
      Array.from({ length: 12 }, () =>
        request(app).post('/api/users/signin').set('X-Forwarded-For', '203.0.113.66').send({ email: 'dee@example.com', password: 'guess' }),
      ),
    );
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThanOrEqual(2);
    expect(flood.find((r) => r.status === 429)?.body).toEqual({
      errors: [{ message: 'Too many sign-ins at once; try again in a moment' }],
    });
    const other = await request(app)
      .post('/api/users/signin')
      .set('X-Forwarded-For', '198.51.100.9')
      .send({ email: 'dee@example.com', password: 'correct horse' });
    expect(other.status).toBe(200);
  });
});
