import { model, Schema } from 'mongoose';

/** A session signed out before its expiry: its token id and the token's expiry. Kept until that expiry. */
export interface RevokedSessionAttrs {
  _id: string;
  expiresAt: Date;
}

const revokedSessionSchema = new Schema<RevokedSessionAttrs>({
  _id: { type: String, required: true },
  expiresAt: { type: Date, required: true },
});
// The prune deletes the expired ones (`expiresAt <= now`); the list pages by `_id`.
revokedSessionSchema.index({ expiresAt: 1 });

export const RevokedSession = model<RevokedSessionAttrs>('RevokedSession', revokedSessionSchema);
