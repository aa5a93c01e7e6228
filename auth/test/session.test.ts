import { createPrivateKey, createPublicKey } from 'node:crypto';
import { sessionKeyId } from '@ticketing/common/http';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newSessionKeys, sessionToken, testSessionKeys } from '@ticketing/testkit/session';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { app, revocations, settings, signup } from './helpers';

useTestDatabase();

const currentUser = (headers: Record<string, string | string[]> = {}) =>
  request(app).get('/api/users/currentuser').set(headers).expect(200);

const realKey = createPrivateKey(testSessionKeys.privateKey);
const kid = sessionKeyId(createPublicKey(realKey));

describe('session: currentuser and signout', () => {
  it('When a signed-up user asks, then currentuser returns them; after signout it returns null', async () => {
    const cookie = await signup('ann@example.com');
    const before = await currentUser({ Cookie: cookie });
    expect(before.body).toEqual({ currentUser: { id: expect.any(String), email: 'ann@example.com' } });

    const out = await request(app).post('/api/users/signout').set('Cookie', cookie).expect(200);
    const cleared = out.get('Set-Cookie')?.[0] ?? '';
    expect(cleared).toMatch(/^session=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);

    const after = await currentUser({ Cookie: cleared.split(';')[0] });
    expect(after.body).toEqual({ currentUser: null });
  });

  it('When the signed-out token is sent again (a copy kept by someone), then auth refuses it, and it is listed as revoked until it expires', async () => {
    const cookie = await signup('cat@example.com');
    const token = cookie[0].split(';')[0].replace('session=', '');
    await request(app).post('/api/users/signout').set('Cookie', cookie).expect(200);

    expect((await currentUser({ Cookie: cookie })).body).toEqual({ currentUser: null });
    expect((await currentUser({ Authorization: `Bearer ${token}` })).body).toEqual({ currentUser: null });
    // What other processes resync from: the token's id with its expiry, in auth's database.
    const { jti, exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { jti: string; exp: number };
    const listed = await revocations.list(undefined, 1_000);
    expect(listed).toContainEqual({ jti, exp });
    // A new sign-in is a new session.
    const again = await request(app).post('/api/users/signin').send({ email: 'cat@example.com', password: 'correct horse' }).expect(200);
    expect((await currentUser({ Cookie: again.get('Set-Cookie') ?? [] })).body.currentUser.email).toBe('cat@example.com');
  });

  it('When the token comes as a Bearer header, then the user is recognised', async () => {
    const cookie = (await signup('bob@example.com'))[0];
    const token = cookie.split(';')[0].replace('session=', '');
    const res = await currentUser({ Authorization: `Bearer ${token}` });
    expect(res.body.currentUser.email).toBe('bob@example.com');
  });

  it('When the token expires, then the user is no longer recognised', async () => {
    const expired = jwt.sign({ id: 'u1', email: 'x@example.com', exp: Math.floor(Date.now() / 1000) - 10 }, realKey, {
      algorithm: 'ES256',
      keyid: kid,
    });
    expect((await currentUser({ Authorization: `Bearer ${expired}` })).body).toEqual({ currentUser: null });
  });

  it('When the token is signed with another key, tampered with, uses alg none or HS256 with the public key, has no expiry or an unknown kid, then it is ignored', async () => {
    const other = newSessionKeys();
    const forged = sessionToken({ id: 'u1', email: 'x@example.com' }, other); // a well-formed session from another key pair
    const valid = sessionToken({ id: 'u1', email: 'x@example.com' }, testSessionKeys, 60);
    const [header, , signature] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ id: 'admin', email: 'root@example.com' })).toString('base64url')}.${signature}`;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"id":"u1","email":"x@example.com"}').toString('base64url')}.`;
    const forever = jwt.sign({ id: 'u1', email: 'x@example.com' }, realKey, { algorithm: 'ES256', keyid: kid }); // no exp
    // The classic confusion: the public key (which everyone may know) used as an HMAC secret.
    const confused = jwt.sign({ id: 'u1', email: 'x@example.com' }, testSessionKeys.publicKeys, {
      algorithm: 'HS256',
      keyid: kid,
      expiresIn: 60,
    });
    const noKid = jwt.sign({ id: 'u1', email: 'x@example.com' }, realKey, { algorithm: 'ES256', expiresIn: 60 });

    for (const token of [forged, tampered, none, forever, confused, noKid]) {
      expect((await currentUser({ Authorization: `Bearer ${token}` })).body).toEqual({ currentUser: null });
    }
    // The genuine token still works, so the three nulls above are not a broken check.
    expect((await currentUser({ Authorization: `Bearer ${valid}` })).body.currentUser).toEqual({ id: 'u1', email: 'x@example.com' });
  });

  it('When the token lives in the cookie, then it is ES256 with the key id, an expiry and a token id', async () => {
    const cookie = (await signup('exp@example.com'))[0];
    const decoded = jwt.decode(cookie.split(';')[0].replace('session=', ''), { complete: true });
    const payload = decoded?.payload as { exp: number; iat: number; jti: string };
    expect(payload.exp - payload.iat).toBe(settings.sessionTtlSeconds);
    expect(decoded?.header).toMatchObject({ alg: 'ES256', kid });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });
});
