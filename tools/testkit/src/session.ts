import { randomBytes } from 'node:crypto';
import { SessionSigner } from '@ticketing/common/http';
import { newSessionKeys, type SessionKeys } from '@ticketing/stack/session-keys';

export { newSessionKeys, type SessionKeys };

/** The keys the route tests' apps verify sessions with. */
export const testSessionKeys = newSessionKeys();

export interface TestUser {
  id: string;
  email: string;
}

/** A new user identity (24-hex id, like auth's). */
export function newUser(name = 'user'): TestUser {
  const id = randomBytes(12).toString('hex');
  return { id, email: `${name}-${id.slice(0, 6)}@example.com` };
}

const signers = new Map<string, SessionSigner>();

/** A session token for `user`, as auth would mint it with `keys`. */
export function sessionToken(user: TestUser, keys: SessionKeys = testSessionKeys, ttlSeconds = 3600): string {
  let signer = signers.get(keys.privateKey);
  if (!signer) {
    signer = new SessionSigner(keys.privateKey);
    signers.set(keys.privateKey, signer);
  }
  return signer.sign(user, ttlSeconds);
}

/** The session cookie auth would set for `user`. */
export function sessionCookie(user: TestUser, keys: SessionKeys = testSessionKeys): string {
  return `session=${sessionToken(user, keys)}`;
}
