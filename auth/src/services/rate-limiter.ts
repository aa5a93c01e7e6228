import { HttpError } from '@ticketing/common/errors';
import type { RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * The brakes on password guessing and on scrypt CPU burn, on rate-limiter-flexible's in-memory limiters.
 * They count per process: with several replicas a client gets up to `replicas ×` the limits. That is fine
 * for a brake (a small multiple still makes online guessing hopeless) and keeps a shared store (Redis) out
 * of the request path; rate-limiter-flexible offers one if exact limits are needed.
 */

/** A 429 in the standard error shape, with `Retry-After` (whole seconds, at least 1) set on `res`. */
export function tooMany(res: Response, msBeforeNext: number, message = 'Too many attempts; try again later'): HttpError {
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(msBeforeNext / 1000))));
  return new HttpError(429, message);
}

/** The client's address: `req.ip` honours `trust proxy`, so behind the gateway or ingress it is the caller's. */
const clientOf = (req: { ip?: string; socket: { remoteAddress?: string } }) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Refuses a request with 429 and `Retry-After` once its client IP has used up the attempts of the current
 * minute (`RATE_LIMIT_PER_MINUTE`; each route gets its own counter).
 */
export function rateLimitPerMinute(limit: number): RequestHandler {
  const limiter = new RateLimiterMemory({ points: limit, duration: 60 });
  return async (req, res, next) => {
    try {
      await limiter.consume(clientOf(req));
    } catch (rejected) {
      if (rejected instanceof RateLimiterRes) throw tooMany(res, rejected.msBeforeNext);
      throw rejected;
    }
    next();
  };
}

/**
 * At most `perClient` password checks in flight per client IP: a flood of simultaneous sign-ins from one
 * address gets 429 at once instead of filling the shared hashing queue (`HashingBudget`, which bounds the
 * hashes of all clients together) by itself.
 */
export function hashingSlots(perClient: number): RequestHandler {
  const inFlight = new Map<string, number>();
  return (req, res, next) => {
    const client = clientOf(req);
    const busy = inFlight.get(client) ?? 0;
    if (busy >= perClient) throw tooMany(res, 1_000, 'Too many sign-ins at once; try again in a moment');
    inFlight.set(client, busy + 1);
    res.once('close', () => {
      const left = (inFlight.get(client) ?? 1) - 1;
      if (left > 0) inFlight.set(client, left);
      else inFlight.delete(client);
    });
    next();
  };
}

export interface LockoutSettings {
  /** Failed sign-ins for one key (an account, or a remembered device) before it is locked (`SIGNIN_FAILURES_BEFORE_LOCKOUT`). */
  failures: number;
  /** How long the lockout lasts, and the window the failures are counted in (`SIGNIN_LOCKOUT_SECONDS`). */
  lockSeconds: number;
}

/**
 * Sign-in throttling per key on top of the per-IP limit: after `failures` wrong passwords for one key within
 * `lockSeconds`, signing in with it answers 429 with `Retry-After` for `lockSeconds`, without checking the
 * password. A correct password before that clears the count. signin keeps two: one per account (email) for
 * clients it does not know, from any number of addresses — unknown emails are counted the same way, so the
 * answers say nothing about which accounts exist — and one per remembered device (see `DeviceCookies`), so
 * that guessing at an account does not lock out the devices its owner signed in from. The price of the
 * first, as with every lockout: someone who knows an email can keep that account locked for new devices;
 * the per-IP limit bounds how fast one address can do it.
 */
export class SigninLockout {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly settings: LockoutSettings) {
    this.limiter = new RateLimiterMemory({
      keyPrefix: 'signin-failures',
      points: settings.failures,
      duration: settings.lockSeconds,
      blockDuration: settings.lockSeconds,
    });
  }

  /** Throws 429 (with `Retry-After` on `res`) while `key` is locked. */
  async check(key: string, res: Response): Promise<void> {
    const state = await this.limiter.get(key);
    if (state && state.consumedPoints >= this.settings.failures) throw tooMany(res, state.msBeforeNext);
  }

  async failed(key: string): Promise<void> {
    const state = await this.limiter.penalty(key, 1);
    if (state.consumedPoints >= this.settings.failures) await this.limiter.block(key, this.settings.lockSeconds);
  }

  async succeeded(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}
