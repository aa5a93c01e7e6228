import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * OWASP's "device cookies" (Slow Down Online Guessing Attacks with Device Cookies): after a successful
 * sign-in, the client gets a signed cookie naming the account it proved itself for. Later sign-ins to that
 * account with it are judged apart from anonymous ones: they bypass the account's lockout (counting their
 * own failures instead, per device) and go ahead of anonymous clients for a hashing slot. So a flood of
 * wrong passwords, from any number of addresses, can lock out and slow down only clients that never
 * signed in to the account, not its owner on a known device.
 *
 * The cookie is `<device id>.<issued at>.<email, base64url>.<HMAC-SHA256>`, all URL-safe. The HMAC key is
 * derived from auth's session signing key (HKDF), so every auth replica accepts it and no new secret needs
 * managing; rotating that key forgets every device (they sign in as new devices once). It is httpOnly,
 * SameSite=Strict and sent to the sign-in route only, and it grants nothing by itself: the password is
 * still checked.
 */

const COOKIE = 'device';
const COOKIE_PATH = '/api/users/signin';
/** A device unseen for this long is new again; each sign-in from it renews the cookie. */
const LIFETIME_SECONDS = 30 * 24 * 3600;

const mac = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest('base64url');

export class DeviceCookies {
  private readonly key: Buffer;

  constructor(
    signingKey: string,
    private readonly isSecure: boolean,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', signingKey, '', 'ticketing device cookie', 32));
  }

  /** Sets a new device cookie for `email` (after a successful sign-in). */
  issue(res: Response, email: string): void {
    const value = [randomBytes(16).toString('hex'), Math.floor(Date.now() / 1000), Buffer.from(email).toString('base64url')].join('.');
    res.cookie(COOKIE, `${value}.${mac(this.key, value)}`, {
      httpOnly: true,
      secure: this.isSecure,
      sameSite: 'strict',
      path: COOKIE_PATH,
      maxAge: LIFETIME_SECONDS * 1000,
    });
  }

  /** The device id, when the request carries a valid, unexpired device cookie for `email`; otherwise undefined. */
  recognize(req: Request, email: string): string | undefined {
    const cookie = /(?:^|;\s*)device=([\w.-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const [id, issuedAt, encodedEmail, signature, ...rest] = cookie?.split('.') ?? [];
    if (!id || !issuedAt || !encodedEmail || !signature || rest.length > 0) return undefined;
    const expected = Buffer.from(mac(this.key, `${id}.${issuedAt}.${encodedEmail}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (Date.now() / 1000 - Number(issuedAt) > LIFETIME_SECONDS) return undefined;
    return Buffer.from(encodedEmail, 'base64url').toString() === email ? id : undefined;
  }
}
