import { createSecretKey, type KeyObject } from 'node:crypto';
import { SESSION_COOKIE, type UserPayload } from '@ticketing/common/http';
import type { CookieOptions, Response } from 'express';
import jwt from 'jsonwebtoken';

export interface SessionSettings {
  jwtKey: string;
  sessionTtlSeconds: number;
  isCookieSecure: boolean;
}

/** Issues and clears sessions: an expiring HS256 JWT in an httpOnly cookie. */
export class Sessions {
  /** Made once: a string key would be parsed into a key object on every sign. */
  private readonly key: KeyObject;

  constructor(private readonly settings: SessionSettings) {
    this.key = createSecretKey(Buffer.from(settings.jwtKey, 'utf8'));
  }

  private cookieOptions(): CookieOptions {
    return { httpOnly: true, secure: this.settings.isCookieSecure, sameSite: 'lax', path: '/' };
  }

  issue(res: Response, user: UserPayload): string {
    const token = jwt.sign({ id: user.id, email: user.email }, this.key, {
      algorithm: 'HS256',
      expiresIn: this.settings.sessionTtlSeconds,
    });
    res.cookie(SESSION_COOKIE, token, { ...this.cookieOptions(), maxAge: this.settings.sessionTtlSeconds * 1000 });
    res.setHeader('cache-control', 'no-store'); // a response that carries a session is never stored
    return token;
  }

  clear(res: Response): void {
    res.clearCookie(SESSION_COOKIE, this.cookieOptions());
    res.setHeader('cache-control', 'no-store');
  }
}
