import { HttpError } from '@ticketing/common/errors';
import type { RequestHandler } from 'express';

/**
 * A fixed-window counter of attempts per key (here: per client IP), held in this process's memory.
 *
 * The limit is per process: with several replicas behind a load balancer a client gets up to
 * `replicas × limit` attempts per window. That is acceptable here because the limiter is a brake on
 * password guessing and on scrypt CPU burn, not an exact quota: a small multiple of 20 guesses a minute
 * still makes online guessing hopeless, and it needs no shared store (Redis) in the request path.
 *
 * Memory stays bounded: windows are kept in the order they opened, expired ones are dropped from the
 * front on every hit, and at most `maxKeys` windows are kept (the oldest is forgotten first), so a
 * flood of distinct IPs cannot grow the map without limit.
 */
export class FixedWindowLimiter {
  /** Key → window, in the order the windows opened (a renewed window moves to the end). */
  private readonly windows = new Map<string, { count: number; resetsAt: number }>();

  constructor(
    private readonly options: {
      /** Attempts allowed per key and window. */
      limit: number;
      windowMs: number;
      maxKeys?: number;
      now?: () => number;
    },
  ) {}

  /** Counts one attempt for `key`; when it is over the limit, says how many seconds until the window resets. */
  hit(key: string): { isAllowed: true } | { isAllowed: false; retryAfterSeconds: number } {
    const now = (this.options.now ?? Date.now)();
    this.dropExpired(now);
    let window = this.windows.get(key);
    if (window && window.resetsAt <= now) {
      // Only reachable if the clock went back: expired windows are otherwise already gone.
      this.windows.delete(key);
      window = undefined;
    }
    if (!window) {
      if (this.windows.size >= (this.options.maxKeys ?? 100_000)) this.dropOldest();
      window = { count: 0, resetsAt: now + this.options.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count <= this.options.limit) return { isAllowed: true };
    return { isAllowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetsAt - now) / 1000)) };
  }

  /** How many keys are remembered (for tests of the memory bound). */
  get size(): number {
    return this.windows.size;
  }

  private dropExpired(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.resetsAt > now) return;
      this.windows.delete(key);
    }
  }

  private dropOldest(): void {
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

/**
 * Refuses a request with 429 and `Retry-After` once its client IP has used up the attempts of the current
 * minute. `req.ip` honours `trust proxy`, so behind the gateway or ingress it is the caller's address.
 */
export function rateLimitPerMinute(limit: number): RequestHandler {
  const limiter = new FixedWindowLimiter({ limit, windowMs: 60_000 });
  return (req, res, next) => {
    const verdict = limiter.hit(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (!verdict.isAllowed) {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      throw new HttpError(429, 'Too many attempts; try again later');
    }
    next();
  };
}
