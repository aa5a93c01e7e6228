import { SESSION_COOKIE, SessionSigner, type UserPayload } from '@ticketing/common/http';
import type { CookieOptions, Response } from 'express';

export interface SessionSettings {
  /** The ES256 signing key (PEM, P-256): auth alone holds it (`JWT_PRIVATE_KEY`). */
  jwtPrivateKey: string;
  /** Earlier public keys still accepted during a rotation (`JWT_PUBLIC_KEYS`, PEM blocks), besides the current one. */
  jwtPublicKeys?: string;
  sessionTtlSeconds: number;
  isCookieSecure: boolean;
}

/** Issues and clears sessions: an expiring ES256 JWT (with its key id) in an httpOnly cookie. */
export class Sessions {
  readonly signer: SessionSigner;

  constructor(private readonly settings: SessionSettings) {
    this.signer = new SessionSigner(settings.jwtPrivateKey);
  }

  /** What auth verifies sessions with: its own public key and any earlier ones still accepted. */
  get publicKeys(): string {
    return [this.signer.publicKeyPem, this.settings.jwtPublicKeys ?? ''].join('\n');
  }

  private cookieOptions(): CookieOptions {
    return { httpOnly: true, secure: this.settings.isCookieSecure, sameSite: 'lax', path: '/' };
  }

  issue(res: Response, user: UserPayload): string {
    const token = this.signer.sign(user, this.settings.sessionTtlSeconds);
    res.cookie(SESSION_COOKIE, token, { ...this.cookieOptions(), maxAge: this.settings.sessionTtlSeconds * 1000 });
    res.setHeader('cache-control', 'no-store'); // a response that carries a session is never stored
    return token;
  }

  clear(res: Response): void {
    res.clearCookie(SESSION_COOKIE, this.cookieOptions());
    res.setHeader('cache-control', 'no-store');
  }
}
