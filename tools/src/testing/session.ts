import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

export const testJwtKey = randomBytes(32).toString('hex');

export interface TestUser {
  id: string;
  email: string;
}

/** A new user identity (24-hex id, like auth's). */
export function newUser(name = 'user'): TestUser {
  const id = randomBytes(12).toString('hex');
  return { id, email: `${name}-${id.slice(0, 6)}@example.com` };
}

/** The session cookie auth would set for `user`, signed with `jwtKey`. */
export function sessionCookie(user: TestUser, jwtKey = testJwtKey): string {
  return `session=${jwt.sign({ id: user.id, email: user.email }, jwtKey, { algorithm: 'HS256', expiresIn: 3600 })}`;
}
