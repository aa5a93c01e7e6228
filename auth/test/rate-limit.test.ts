import { createLogger } from '@ticketing/common/http';
import { useTestDatabase } from '@ticketing/tools/testing/mongo';
import request from 'supertest';
import { buildApp } from '../src/app';
import { User } from '../src/models/user';
import { FixedWindowLimiter } from '../src/services/rate-limiter';
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

describe('FixedWindowLimiter', () => {
  it('When the window has passed, then the key may try again and its old window is forgotten', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowLimiter({ limit: 2, windowMs: 60_000, now: () => now });

    expect(limiter.hit('a').isAllowed).toBe(true);
    expect(limiter.hit('a').isAllowed).toBe(true);
    now += 45_000;
    expect(limiter.hit('a')).toEqual({ isAllowed: false, retryAfterSeconds: 15 });

    now += 15_000;
    expect(limiter.hit('b').isAllowed).toBe(true);
    expect(limiter.size).toBe(1);
    expect(limiter.hit('a').isAllowed).toBe(true);
  });

  it('When more distinct keys arrive than it may keep, then memory stays at the cap by forgetting the oldest', () => {
    const limiter = new FixedWindowLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100, now: () => 0 });

    for (let i = 0; i < 10_000; i++) limiter.hit(`10.0.${i >> 8}.${i & 255}`);

    expect(limiter.size).toBe(100);
    expect(limiter.hit('10.0.39.15').isAllowed).toBe(false); // the last key is still counted
  });
});
