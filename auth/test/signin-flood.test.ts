import { randomBytes } from 'node:crypto';
import { createLogger } from '@ticketing/common/http';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import request, { type Response } from 'supertest';
import { type AppSettings, buildApp } from '../src/app';
import { User } from '../src/models/user';
import { settings } from './helpers';

useTestDatabase();

/**
 * The defences against a sign-in flood from many addresses: a bounded hashing budget over all clients,
 * and device cookies that let a client which signed in to an account before skip the anonymous queue and
 * the account's lockout.
 */

const appWith = (overrides: Partial<AppSettings>) => buildApp({ ...settings, ...overrides }, createLogger('auth-test', 'silent'));
type App = ReturnType<typeof appWith>;

const signin = (app: App, ip: string, email: string, password: string, cookie?: string) => {
  const req = request(app).post('/api/users/signin').set('X-Forwarded-For', ip);
  if (cookie) req.set('Cookie', cookie);
  return req.send({ email, password });
};

/** The `name=value` of the cookie `name` that `res` sets, if any. */
const cookieOf = (res: Response, name: string) =>
  res
    .get('Set-Cookie')
    ?.find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];

/**
 * An account whose stored hash has scrypt's parallelism p = 4 (the format carries its parameters): checking
 * a password against it takes about four ordinary hashes, long enough for a test to act while the budget
 * is full.
 */
async function slowAccount(email: string): Promise<void> {
  const hash = ['scrypt', 2 ** 15, 8, 4, randomBytes(16).toString('base64'), randomBytes(64).toString('base64')].join('$');
  await User.create({ email, passwordHash: hash });
}

/** Wrong passwords for the slow account from `count` addresses at once; `firstRefusal` settles at the first 429. */
function floodSlowAccount(app: App, count: number, onAnswer: (status: number) => void = () => {}) {
  let refused: () => void = () => {};
  const firstRefusal = new Promise<void>((resolve) => {
    refused = resolve;
  });
  const answers = Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await signin(app, `203.0.113.${i + 1}`, 'slow@example.com', 'guess');
      onAnswer(res.status);
      if (res.status === 429) refused();
      return res;
    }),
  );
  return { answers, firstRefusal };
}

const busy = { errors: [{ message: 'Too many sign-ins at once; try again in a moment' }] };

describe('the hashing budget over all clients', () => {
  it('When more password checks arrive from distinct addresses than run and wait, then the rest get 429 at once, signup included', async () => {
    const app = appWith({ hashing: { inFlight: 1, queued: 1 } });
    await slowAccount('slow@example.com');

    const { answers, firstRefusal } = floodSlowAccount(app, 6);
    await firstRefusal;
    const signup = await request(app).post('/api/users/signup').send({ email: 'new@example.com', password: 'long enough' });
    const flood = await answers;

    // One hashed, one waited and was hashed next, the other four refused before any lookup or hash.
    expect(flood.map((r) => r.status).sort()).toEqual([400, 400, 429, 429, 429, 429]);
    for (const refused of flood.filter((r) => r.status === 429)) {
      expect(refused.body).toEqual(busy);
      expect(refused.get('Retry-After')).toBe('1');
    }
    expect(signup.status).toBe(429);
    expect(signup.body).toEqual(busy);
    expect(await User.countDocuments({ email: 'new@example.com' })).toBe(0);
  });
});

describe('device cookies', () => {
  /**
   * Fills the anonymous lane (its running checks and its one waiting place) with wrong passwords for the slow
   * account, then signs Ann in from a new device and from the device she signed in from before; `finished`
   * lists the answers other than 429 in the order they came.
   */
  async function signinsWhileAnonymousLaneIsFull(inFlight: number) {
    const app = appWith({ hashing: { inFlight, queued: 1 } });
    await slowAccount('slow@example.com');
    await request(app).post('/api/users/signup').send({ email: 'ann@example.com', password: 'correct horse' }).expect(201);
    const first = await signin(app, '198.51.100.1', 'ann@example.com', 'correct horse').expect(200);
    const device = cookieOf(first, 'device');
    expect(first.get('Set-Cookie')?.find((c) => c.startsWith('device='))).toMatch(
      /^device=[\w.-]+; Max-Age=2592000; Path=\/api\/users\/signin; Expires=.+; HttpOnly; SameSite=Strict$/,
    );

    const finished: string[] = [];
    const { answers, firstRefusal } = floodSlowAccount(app, 5, (status) => status !== 429 && finished.push(`flood ${status}`));
    await firstRefusal;
    const [newDevice, remembered] = await Promise.all([
      signin(app, '198.51.100.2', 'ann@example.com', 'correct horse'),
      signin(app, '198.51.100.1', 'ann@example.com', 'correct horse', device).then((res) => {
        finished.push(`remembered ${res.status}`);
        return res;
      }),
    ]);
    await answers;
    expect(newDevice.status).toBe(429);
    expect(newDevice.body).toEqual(busy);
    expect(remembered.status).toBe(200);
    expect(cookieOf(remembered, 'session')).toBeDefined();
    return finished;
  }

  it('When the anonymous lane is full and shares the only slot, then a client that signed in before goes ahead of its queue, while a new device is refused', async () => {
    // The running flood check finishes first; the remembered sign-in takes its slot before the waiting one.
    expect(await signinsWhileAnonymousLaneIsFull(1)).toEqual(['flood 400', 'remembered 200', 'flood 400']);
  });

  it('When anonymous checks use all their slots, then a client that signed in before is hashed at once in the slot left to it', async () => {
    // Two slots: anonymous checks run one at a time, the remembered sign-in does not wait for them.
    expect(await signinsWhileAnonymousLaneIsFull(2)).toEqual(['remembered 200', 'flood 400', 'flood 400']);
  });

  const lockedApp = () => appWith({ lockout: { failures: 3, lockSeconds: 60 } });

  it("When an account is locked by guesses from many addresses, then its owner's known device still signs in, and no other cookie does", async () => {
    const app = lockedApp();
    for (const email of ['ann@example.com', 'bob@example.com'])
      await request(app).post('/api/users/signup').send({ email, password: 'correct horse' }).expect(201);
    const annDevice = cookieOf(await signin(app, '198.51.100.1', 'ann@example.com', 'correct horse').expect(200), 'device');
    const bobDevice = cookieOf(await signin(app, '198.51.100.2', 'bob@example.com', 'correct horse').expect(200), 'device');
    if (!annDevice || !bobDevice) throw new Error('sign-in set no device cookie');

    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      expect((await signin(app, ip, 'ann@example.com', 'guess')).status).toBe(400);
    const newDevice = await signin(app, '198.51.100.3', 'ann@example.com', 'correct horse');
    expect(newDevice.status).toBe(429);
    expect(Number(newDevice.get('Retry-After'))).toBeGreaterThan(50);

    const known = await signin(app, '198.51.100.1', 'ann@example.com', 'correct horse', annDevice);
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ id: expect.any(String), email: 'ann@example.com' });
    expect(cookieOf(known, 'device')).toMatch(/^device=/);

    // The owner's sign-in does not lift the lockout for new devices.
    expect((await signin(app, '198.51.100.3', 'ann@example.com', 'correct horse')).status).toBe(429);

    // Bob's device is no device of Ann's, and a cookie whose signature was changed is no device at all.
    expect((await signin(app, '198.51.100.2', 'ann@example.com', 'correct horse', bobDevice)).status).toBe(429);
    const [value, signature] = [annDevice.slice(0, annDevice.lastIndexOf('.')), annDevice.slice(annDevice.lastIndexOf('.') + 1)];
    const tampered = `${value}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect((await signin(app, '198.51.100.2', 'ann@example.com', 'correct horse', tampered)).status).toBe(429);
  });

  it('When a known device keeps guessing, then that device is locked, not the account', async () => {
    const app = lockedApp();
    await request(app).post('/api/users/signup').send({ email: 'cy@example.com', password: 'correct horse' }).expect(201);
    const device = cookieOf(await signin(app, '198.51.100.1', 'cy@example.com', 'correct horse').expect(200), 'device');

    for (let i = 0; i < 3; i++) {
      const wrong = await signin(app, '198.51.100.1', 'cy@example.com', 'guess', device);
      expect(wrong.status).toBe(400);
      expect(wrong.get('Set-Cookie')).toBeUndefined();
    }
    const locked = await signin(app, '198.51.100.1', 'cy@example.com', 'correct horse', device);
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual({ errors: [{ message: 'Too many attempts; try again later' }] });

    expect((await signin(app, '198.51.100.2', 'cy@example.com', 'correct horse')).status).toBe(200);
  });
});
