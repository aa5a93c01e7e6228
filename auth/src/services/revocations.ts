import { type Logger, type Revocation, RevokedSessions } from '@ticketing/common/http';
import { RevokedSession } from '../models/revoked-session';

/** Expired revocations are deleted at most this often (when the list is read). */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Signing out ends the session everywhere: the token's id is stored (the truth other processes resync from)
 * and announced, and this process stops accepting it at once.
 */
export class SessionRevocations {
  readonly revoked = new RevokedSessions();
  private announcer?: (revocation: Revocation) => Promise<void>;
  private lastPrune = 0;

  constructor(private readonly logger?: Logger) {}

  /** How new revocations reach the other processes (the bus); set once it is connected. */
  announceWith(announce: (revocation: Revocation) => Promise<void>): void {
    this.announcer = announce;
  }

  async revoke(revocation: Revocation): Promise<void> {
    const expiresAt = new Date(revocation.exp * 1000);
    await RevokedSession.updateOne({ _id: revocation.jti }, { $setOnInsert: { expiresAt } }, { upsert: true });
    this.revoked.add(revocation.jti, expiresAt.getTime());
    // Stored first: a process that misses the announcement (bus away) gets it from the list when it resyncs.
    await this.announcer?.(revocation).catch((err: unknown) =>
      this.logger?.warn({ err }, 'revoked session not announced; others get it at their next resync'),
    );
  }

  /** One page of the revocations still in force, in id order after `after`. */
  async list(after: string | undefined, limit: number): Promise<Revocation[]> {
    const now = new Date();
    if (now.getTime() - this.lastPrune > PRUNE_INTERVAL_MS) {
      this.lastPrune = now.getTime();
      await RevokedSession.deleteMany({ expiresAt: { $lte: now } });
    }
    const page = await RevokedSession.find({ _id: { $gt: after ?? '' }, expiresAt: { $gt: now } })
      .sort({ _id: 1 })
      .limit(limit)
      .lean();
    return page.map((r) => ({ jti: r._id, exp: Math.floor(r.expiresAt.getTime() / 1000) }));
  }
}
