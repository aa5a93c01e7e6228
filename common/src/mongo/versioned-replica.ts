/**
 * A versioned replica: another service's aggregate, kept from its events. Every event carries the
 * aggregate's whole state and its version; the replica applies only the next version, with a write
 * conditional on the version it read. An older version is a duplicate (`stale`), a newer one waits for its
 * predecessor (`gap`: the listener offers it again later).
 */
import { type Model, Types, type UpdateQuery } from 'mongoose';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { type ApplyResult, versionVerdict } from '../events/versioning';
import { CONFLICT, whileConflicting } from './conflict-retry';

interface Versioned {
  version: number;
}

export interface VersionedReplicaOptions<Fields extends object> {
  /** What the errors call one replica, e.g. `ticket replica`. */
  name: string;
  /** The replica's model; its documents are the fields plus `_id` (the aggregate's id) and `version`. */
  model: Model<Fields & Versioned>;
  /**
   * Writes version 0 (the aggregate's creation). Default: one `insertOne`. A service that receives creations
   * in bursts passes a batching insert (`GroupedInserts`). A duplicate key error means it was applied before.
   */
  insertFirst?: (doc: Fields & Versioned & { _id: Types.ObjectId }) => Promise<unknown>;
}

/** Applies one event's state to the replica of aggregate `id`. */
export type ApplyToReplica<Fields extends object> = (id: string, version: number, fields: Fields) => Promise<ApplyResult>;

export function versionedReplica<Fields extends object>(options: VersionedReplicaOptions<Fields>): ApplyToReplica<Fields> {
  const { name, model } = options;
  const insertFirst = options.insertFirst ?? ((doc) => model.collection.insertOne(doc));
  return async (id, version, fields) => {
    // Version 0 creates the replica: insert at once, the unique _id rejects a duplicate (no read first).
    if (version === 0) {
      try {
        await insertFirst({ ...fields, _id: new Types.ObjectId(id), version: 0 });
        return 'applied';
      } catch (err) {
        if (isDuplicateKeyError(err)) return 'stale';
        throw err;
      }
    }
    return whileConflicting(
      async () => {
        const replica = await model.findById(id, { version: 1 }).lean<Versioned & { _id: Types.ObjectId }>();
        // Past version 0, a missing replica means its creation has not arrived yet.
        if (!replica) return 'gap';
        const verdict = versionVerdict(version, replica.version);
        if (verdict !== 'apply') return verdict;
        // Conditional on the version read; nothing to read back, so a plain update (no document returned).
        const update = { $set: { ...fields, version } } as UpdateQuery<Fields & Versioned>;
        const { matchedCount } = await model.updateOne({ _id: replica._id, version: replica.version }, update);
        return matchedCount === 1 ? 'applied' : CONFLICT;
      },
      () => new Error(`${name} ${id} kept changing while applying v${version}`),
    );
  };
}
