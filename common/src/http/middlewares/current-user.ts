import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

/** The identity a session token carries. */
export const userPayloadSchema = z.object({ id: z.string().min(1), email: z.string().min(1) });
/** What a session token must carry: the user, and an expiry (a token without `exp` would be valid forever). */
const sessionTokenSchema = userPayloadSchema.extend({ exp: z.number().int().positive(), jti: z.string().min(1).optional() });
export type UserPayload = z.infer<typeof userPayloadSchema>;
type SessionClaims = z.infer<typeof sessionTokenSchema>;

/** Session tokens remembered as verified, per middleware (see `currentUser`). */
const VERIFIED_TOKENS = 10_000;

/** Name of the httpOnly cookie that holds the session JWT. */
export const SESSION_COOKIE = 'session';

declare global {
  namespace Express {
    interface Request {
      currentUser?: UserPayload;
      /** The id and expiry (JWT `exp`, seconds) of the session token that set `currentUser`, when it has an id. */
      currentSession?: { jti: string; exp: number };
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
 * How session tokens are checked: with a secret shared by every service (`jwtKey`, HS256), or — so that only
 * the service holding the private key can mint sessions — with public keys (`publicKeys`, ES256): one or
 * more PEM `PUBLIC KEY` blocks, each found by its key id (`kid`, see `sessionKeyId`), so a new key can be
 * added beside the old one while sessions signed with either stay valid (rotation).
 */
export type SessionVerification =
  | { jwtKey: string }
  | {
      publicKeys: string;
      /**
       * Sessions ended before their expiry (see `followRevocations`): a token whose id (`jti`) is in it counts
       * as no token, and so does one without an id, since it could not be revoked.
       */
      revoked?: { has(jti: string): boolean };
    };

/** The key id of a public key: the start of the SHA-256 of its DER encoding (SPKI), base64url. */
export function sessionKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 16);
}

/** Every `PUBLIC KEY` PEM block of `pem`, by key id; refuses anything but P-256 EC keys (ES256). */
export function parseSessionPublicKeys(pem: string): Map<string, KeyObject> {
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM public key found');
  const keys = new Map<string, KeyObject>();
  for (const block of blocks) {
    const key = createPublicKey(block);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('session public keys must be P-256 EC keys (ES256)');
    }
    keys.set(sessionKeyId(key), key);
  }
  return keys;
}

/**
 * Sets `req.currentUser` when the request carries a valid, unexpired token that has an expiry and is signed
 * as `verification` says (HS256 with the shared key, or ES256 by one of the public keys, named by `kid`).
 * Anything else (no token, tampered, expired, without `exp`, another algorithm — `alg: none`, or HS256 made
 * with a public key as its secret — an unknown `kid`, wrong shape, revoked) leaves it unset: `requireAuth` decides.
 */
export function currentUser(verification: SessionVerification): RequestHandler {
  const keyFor = verifierOf(verification);
  const revoked = 'revoked' in verification ? verification.revoked : undefined;
  const isRevoked = (jti: string | undefined) => revoked !== undefined && (jti === undefined || revoked.has(jti));
  // A client sends the same token with every request, and checking its signature (ES256) was the largest
  // single cost of an authenticated request (7 % of tickets' CPU per POST /api/tickets): a token that passed
  // is remembered, whole string to its claims, until its expiry (the most recently used 10,000). Expiry and
  // revocation are checked on every request; a token that failed is never remembered.
  const verified = new LRUCache<string, SessionClaims>({ max: VERIFIED_TOKENS });
  const claimsOf = (token: string): SessionClaims | undefined => {
    const known = verified.get(token);
    if (known) return known;
    const found = keyFor(token);
    if (!found) return undefined;
    const payload = sessionTokenSchema.safeParse(jwt.verify(token, found.key, { algorithms: [found.algorithm] }));
    if (!payload.success) return undefined;
    // lru-cache reads a ttl of 0 as "no expiry": a token at its last millisecond is not remembered.
    const ttl = payload.data.exp * 1000 - Date.now();
    if (ttl > 0) verified.set(token, payload.data, { ttl });
    return payload.data;
  };
  return (req, _res, next) => {
    const token = readToken(req.headers.authorization, req.headers.cookie);
    if (token) {
      try {
        const claims = claimsOf(token);
        if (claims && claims.exp * 1000 > Date.now() && !isRevoked(claims.jti)) {
          const { id, email, jti, exp } = claims;
          req.currentUser = { id, email };
          if (jti) req.currentSession = { jti, exp };
        }
      } catch {
        // An invalid token is the same as no token.
      }
    }
    next();
  };
}

type KeyFor = (token: string) => { key: KeyObject; algorithm: 'HS256' | 'ES256' } | undefined;

function verifierOf(verification: SessionVerification): KeyFor {
  if ('jwtKey' in verification) {
    // A key object made once: given the string, jsonwebtoken would parse it into a key on every verify (the
    // largest single cost of an authenticated request when profiled).
    const key = createSecretKey(Buffer.from(verification.jwtKey, 'utf8'));
    return () => ({ key, algorithm: 'HS256' });
  }
  const keys = parseSessionPublicKeys(verification.publicKeys);
  return (token) => {
    const kid = keyIdOf(token);
    const key = kid === undefined ? undefined : keys.get(kid);
    return key && { key, algorithm: 'ES256' };
  };
}

/** The `kid` of a JWT's header, read alone (`jwt.verify` parses the rest once the key is known). */
function keyIdOf(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Mints ES256 session tokens with a private key (PEM, P-256): the key id of its public half in the header
 * (`kid`), the user, an expiry and a token id (`jti`). Only the service that holds the private key (auth)
 * can make sessions; every other service verifies them with `currentUser({ publicKeys })`.
 */
export class SessionSigner {
  private readonly privateKey: KeyObject;
  /** The public half, PEM: what the other services are given. */
  readonly publicKeyPem: string;
  readonly keyId: string;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    if (this.privateKey.asymmetricKeyType !== 'ec' || this.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('the session signing key must be a P-256 EC private key (ES256)');
    }
    const publicKey = createPublicKey(this.privateKey);
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = sessionKeyId(publicKey);
  }

  sign(user: UserPayload, ttlSeconds: number): string {
    return jwt.sign({ id: user.id, email: user.email }, this.privateKey, {
      algorithm: 'ES256',
      keyid: this.keyId,
      expiresIn: ttlSeconds,
      jwtid: randomUUID(),
    });
  }
}
