/**
 * Conditional single-document writes ("update this document only if it still is as I read it"), the
 * primitive that versioned replicas and the outbox rely on, made correct on both servers we support.
 */
import type { FilterQuery, HydratedDocument, Model, Types, UpdateQuery } from 'mongoose';
import sift from 'sift';
import { KeyedQueue } from './keyed-queue';

/**
 * - `server`: MongoDB applies a write's filter and update atomically, across any number of processes, and the
 *   filter on `_id` plus other fields costs one index look-up. The condition goes into the filter.
 * - `process`: FerretDB 1.x (SQLite) applies an update as read, change, write without isolation, so two
 *   concurrent updates of one document can both pass their condition or lose each other's change; and it
 *   answers only a filter on `_id` alone without scanning the collection. Here a service runs as one
 *   process, which serialises the writes of each document in memory: under that document's lock it reads
 *   the document by `_id`, checks the condition itself, and writes with a filter on `_id` alone.
 */
export type WriteIsolation = 'server' | 'process';

let isolation: WriteIsolation = 'server';

/** Chosen once by `connectMongo` from the server it finds. */
export function setWriteIsolation(value: WriteIsolation): void {
  isolation = value;
}

export function writeIsolation(): WriteIsolation {
  return isolation;
}

/** Writes of one document, in the order they were asked for (`process` isolation). */
const writes = new KeyedQueue();

/**
 * Runs `write` after every earlier write of the same document started through this function has finished
 * (in `process` isolation; with `server` isolation the server orders them and `write` runs at once).
 */
export function serialized<R>(model: Pick<Model<unknown>, 'collection'>, id: Types.ObjectId | string, write: () => Promise<R>): Promise<R> {
  if (isolation === 'server') return write();
  return writes.run(`${model.collection.collectionName}:${String(id)}`, write);
}

/**
 * Applies `update` to the document `filter._id` only if it matches the whole `filter`, atomically with
 * respect to every other conditional write. Returns the document as written, or null when it did not match.
 */
export async function updateIfMatches<T>(
  model: Model<T>,
  filter: FilterQuery<T> & { _id: Types.ObjectId | string },
  update: UpdateQuery<T>,
): Promise<HydratedDocument<T> | null> {
  if (isolation === 'server') return model.findOneAndUpdate(filter, update, { new: true });
  const { _id, ...condition } = filter;
  return serialized(model, _id, async () => {
    const current = await model.findById(_id).lean();
    if (!current || !sift(condition as Parameters<typeof sift>[0])(current)) return null;
    return model.findOneAndUpdate({ _id } as FilterQuery<T>, update, { new: true });
  });
}
