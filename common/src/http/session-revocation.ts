import { z } from 'zod';
import type { Signals } from '../events/transport';
import type { Logger } from '../support/logger';

/**
 * Ending a session before its expiry. auth records each signed-out session (its token id, `jti`, with the
 * token's expiry) in its database and announces it on the bus; every process of every service keeps the set
 * of revoked ids that have not expired yet, and `currentUser` treats such a token as no token. A process
 * that was away from the bus (start, reconnect) asks auth for the whole set, so a missed announcement is
 * caught up; a periodic resync covers anything else. The set holds at most one session lifetime of
 * sign-outs: an expired token is refused by its `exp` anyway.
 */
export class RevokedSessions {
  /** jti → expiry (ms since epoch) */
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  add(jti: string, expiresAtMs: number): void {
    if (expiresAtMs > this.now()) this.expiries.set(jti, expiresAtMs);
  }

  has(jti: string): boolean {
    const expiresAt = this.expiries.get(jti);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.expiries.delete(jti);
    return false;
  }

  /** Forgets the revocations whose tokens have expired. */
  prune(): void {
    const now = this.now();
    for (const [jti, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(jti);
  }

  get size(): number {
    return this.expiries.size;
  }
}

/** One revocation on the wire: the token id and the token's expiry (seconds since epoch, as JWT `exp`). */
export const revocationSchema = z.object({ jti: z.string().min(1).max(128), exp: z.number().int().positive() });
export type Revocation = z.infer<typeof revocationSchema>;

const listRequestSchema = z.object({ after: z.string().max(128).optional() });
const listAnswerSchema = z.object({ revoked: z.array(revocationSchema), next: z.string().max(128).optional() });

/** The subjects, `<namespace>.`-prefixed when one keeps systems apart on one server (see `SESSION_SUBJECTS`). */
export function sessionSubjects(namespace?: string): { revoked: string; list: string } {
  const prefix = namespace ? `${namespace}.` : '';
  return { revoked: `${prefix}sessions.revoked`, list: `${prefix}sessions.revoked.list` };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown) => encoder.encode(JSON.stringify(value));
const decode = <T>(schema: z.ZodType<T>, payload: Uint8Array): T | undefined => {
  try {
    const parsed = schema.safeParse(JSON.parse(decoder.decode(payload)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

export interface FollowRevocationsOptions {
  signals: Signals;
  revoked: RevokedSessions;
  namespace?: string;
  logger?: Logger;
  /** How long one page of the list may take to come back; default 2 s. */
  requestTimeoutMs?: number;
  /** Full resync this often, besides the one after every reconnect; default 60 s. */
  resyncIntervalMs?: number;
}

/**
 * Keeps `revoked` up to date in this process: the live announcements from now on, and auth's whole list at
 * start, after every reconnect and every `resyncIntervalMs`. The first sync is awaited for a few seconds at
 * most (auth may not be up yet); it keeps trying in the background after that.
 */
export async function followRevocations(options: FollowRevocationsOptions): Promise<{ stop(): void }> {
  const { signals, revoked, logger } = options;
  const subjects = sessionSubjects(options.namespace);
  const live = signals.subscribe(subjects.revoked, (payload) => {
    const revocation = decode(revocationSchema, payload);
    if (revocation) revoked.add(revocation.jti, revocation.exp * 1000);
  });

  let isStopped = false;
  let syncing: Promise<void> | undefined;
  const syncOnce = async () => {
    let after: string | undefined;
    do {
      const payload = await signals.request(subjects.list, encode({ after }), options.requestTimeoutMs ?? 2_000);
      const answer = decode(listAnswerSchema, payload);
      if (!answer) throw new Error('malformed list of revoked sessions');
      for (const revocation of answer.revoked) revoked.add(revocation.jti, revocation.exp * 1000);
      after = answer.next;
    } while (after);
    revoked.prune();
  };
  /** Until one sync succeeds (or we stop); concurrent calls share it. */
  const sync = () => {
    syncing ??= (async () => {
      for (let attempt = 1; !isStopped; attempt++) {
        try {
          await syncOnce();
          return;
        } catch (err) {
          if (attempt === 1 || attempt % 30 === 0) logger?.warn({ err }, 'revoked sessions: auth did not answer; retrying');
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
        }
      }
    })().finally(() => {
      syncing = undefined;
    });
    return syncing;
  };

  signals.onReconnect(() => void sync());
  const timer = setInterval(() => void sync(), options.resyncIntervalMs ?? 60_000);
  timer.unref();
  await Promise.race([sync(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  return {
    stop() {
      isStopped = true;
      clearInterval(timer);
      live.stop();
    },
  };
}

export interface AnnounceRevocationsOptions {
  signals: Signals;
  namespace?: string;
  /** One page of the revoked sessions that have not expired, in `jti` order after `after`. */
  list(after: string | undefined, limit: number): Promise<Revocation[]>;
  logger?: Logger;
}

/** A page of the list: small enough to stay far below the server's message size. */
const LIST_PAGE = 1_000;

/** auth's side: answers for the list (from its database) and announces each new revocation. */
export function announceRevocations(options: AnnounceRevocationsOptions): {
  announce(revocation: Revocation): Promise<void>;
  stop(): void;
} {
  const subjects = sessionSubjects(options.namespace);
  const serving = options.signals.serve(subjects.list, async (payload) => {
    const request = decode(listRequestSchema, payload) ?? {};
    const page = await options.list(request.after, LIST_PAGE);
    const next = page.length === LIST_PAGE ? page.at(-1)?.jti : undefined;
    return encode({ revoked: page, ...(next ? { next } : {}) });
  });
  return {
    async announce(revocation) {
      await options.signals.publish(subjects.revoked, encode(revocation));
    },
    stop: () => serving.stop(),
  };
}
