import { createSecretKey } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';

/** The identity a session token carries. */
export const userPayloadSchema = z.object({ id: z.string().min(1), email: z.string().min(1) });
/** What a session token must carry: the user, and an expiry (a token without `exp` would be valid forever). */
const sessionTokenSchema = userPayloadSchema.extend({ exp: z.number().int().positive() });
export type UserPayload = z.infer<typeof userPayloadSchema>;

/** Name of the httpOnly cookie that holds the session JWT. */
export const SESSION_COOKIE = 'session';

declare global {
  namespace Express {
    interface Request {
      currentUser?: UserPayload;
    }
  }
}

/** Reads the token from `Authorization: Bearer …` first, then from the session cookie. */
function readToken(authorization: string | undefined, cookieHeader: string | undefined): string | undefined {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i);
  if (bearer) return bearer[1];
  if (!cookieHeader) return undefined;
  return parseCookies(cookieHeader)[SESSION_COOKIE];
}

/**
 * Sets `req.currentUser` when the request carries a valid, unexpired HS256 token signed with `jwtKey` that
 * has an expiry. Anything else (no token, tampered, expired, without `exp`, `alg: none`, wrong shape) leaves
 * it unset: `requireAuth` decides.
 */
export function currentUser(options: { jwtKey: string }): RequestHandler {
  // A key object made once: given the string, jsonwebtoken would parse it into a key on every verify (the
  // largest single cost of an authenticated request when profiled).
  const key = createSecretKey(Buffer.from(options.jwtKey, 'utf8'));
  return (req, _res, next) => {
    const token = readToken(req.headers.authorization, req.headers.cookie);
    if (token) {
      try {
        const decoded = jwt.verify(token, key, { algorithms: ['HS256'] });
        const payload = sessionTokenSchema.safeParse(decoded);
        if (payload.success) req.currentUser = { id: payload.data.id, email: payload.data.email };
      } catch {
        // An invalid token is the same as no token.
      }
    }
    next();
  };
}
