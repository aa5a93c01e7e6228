import { currentUser } from '@ticketing/common/http';
import { newUser, sessionToken, testSessionKeys } from '@ticketing/testkit/session';
import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';

/** An app that answers who `currentUser` recognised; `revoked` is the set of ended sessions it consults. */
function appWith(revoked: Set<string>) {
  const app = express();
  app.use(currentUser({ publicKeys: testSessionKeys.publicKeys, revoked }));
  app.get('/me', (req, res) => {
    res.json({ currentUser: req.currentUser ?? null });
  });
  return app;
}

const me = (app: express.Express, token: string) => request(app).get('/me').set('Authorization', `Bearer ${token}`).expect(200);

const jtiOf = (token: string) => (jwt.decode(token) as { jti: string }).jti;

describe('currentUser: tokens already verified', () => {
  afterEach(() => jest.restoreAllMocks());

  it('When the same token comes again, then it is recognised without its signature being verified again', async () => {
    const verify = jest.spyOn(jwt, 'verify');
    const app = appWith(new Set());
    const user = newUser('ann');
    const token = sessionToken(user);
    for (let i = 0; i < 3; i++) expect((await me(app, token)).body).toEqual({ currentUser: user });
    expect(verify).toHaveBeenCalledTimes(1);

    // Another token (another session of the same user) is verified on its own.
    expect((await me(app, sessionToken(user))).body).toEqual({ currentUser: user });
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('When a remembered token has expired since, then it is refused', async () => {
    const app = appWith(new Set());
    const user = newUser('bob');
    const token = sessionToken(user, testSessionKeys, 60);
    expect((await me(app, token)).body).toEqual({ currentUser: user });

    const later = Date.now() + 61_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    expect((await me(app, token)).body).toEqual({ currentUser: null });
  });

  it('When a remembered token is revoked (signed out), then it is refused from the next request on', async () => {
    const revoked = new Set<string>();
    const app = appWith(revoked);
    const user = newUser('cat');
    const token = sessionToken(user);
    expect((await me(app, token)).body).toEqual({ currentUser: user });

    revoked.add(jtiOf(token));
    expect((await me(app, token)).body).toEqual({ currentUser: null });
  });

  it('When a token fails, then it is not remembered: a tampered copy of a remembered token is verified, and refused, every time', async () => {
    const verify = jest.spyOn(jwt, 'verify');
    const app = appWith(new Set());
    const user = newUser('dan');
    const token = sessionToken(user);
    expect((await me(app, token)).body).toEqual({ currentUser: user });

    const [header, payload, signature = ''] = token.split('.');
    const otherUser = Buffer.from(JSON.stringify({ ...(jwt.decode(token) as object), id: 'someone-else' })).toString('base64url');
    const tampered = [
      `${header}.${otherUser}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
    ];
    for (const bad of [...tampered, ...tampered]) expect((await me(app, bad)).body).toEqual({ currentUser: null });
    expect(verify).toHaveBeenCalledTimes(1 + 2 * tampered.length);
  });
});
