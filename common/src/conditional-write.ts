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
 * Which documents were written lately, for `readForUpdate` (`process` isolation): every write through
 * `serialized` gets the next number, and each document its last one, for the most recently written
 * documents; every write not remembered has a number at most `forgottenUpTo`.
 */
const lastWrites = new Map<string, number>();
const REMEMBERED_WRITES = 100_000;
let writeCount = 0;
let forgottenUpTo = 0;

function noteWrite(key: string): void {
  writeCount++;
  lastWrites.delete(key);
  lastWrites.set(key, writeCount);
  if (lastWrites.size > REMEMBERED_WRITES) {
    const [oldest, number] = lastWrites.entries().next().value as [string, number];
    lastWrites.delete(oldest);
    forgottenUpTo = number;
  }
}

function documentKey(model: Pick<Model<unknown>, 'collection'>, id: unknown): string {
  return `${model.collection.collectionName}:${String(id)}`;
}

/**
 * Runs `write` after every earlier write of the same document started through this function has finished
 * (in `process` isolation; with `server` isolation the server orders them and `write` runs at once).
 */
export function serialized<R>(model: Pick<Model<unknown>, 'collection'>, id: Types.ObjectId | string, write: () => Promise<R>): Promise<R> {
  return isolation === 'server' ? write() : inTurn(documentKey(model, id), write);
}

/** Runs `write` in the turn of the document `key` and numbers it when it is done (`process` isolation). */
function inTurn<R>(key: string, write: () => Promise<R>): Promise<R> {
  return writes.run(key, async () => {
    try {
      return await write();
    } finally {
      // Failed or not, the write may have changed the document.
      noteWrite(key);
    }
  });
}

/** A mongoose query of one document by `_id`, not run yet (a query runs when awaited). */
type OneDocumentQuery<R> = PromiseLike<R> & { model: Pick<Model<unknown>, 'collection'>; getFilter(): { _id?: unknown } };

/** Documents read by `readForUpdate`: the key and the last write number when the read was sent. */
const reads = new WeakMap<object, { key: string; after: number }>();

/**
 * Runs `query` (a read of one document by `_id`, e.g. `Model.findById(id).lean()`) to decide a conditional
 * write, and returns its result. Give that result to `updateIfMatches` as `read`: with `process` isolation,
 * where the condition is checked in memory, it then spares the second read of the document when nothing
 * has written it since this read was sent (one database round trip less per conditional write).
 */
export async function readForUpdate<R>(query: OneDocumentQuery<R>): Promise<R> {
  if (isolation === 'server') return query;
  const key = documentKey(query.model, query.getFilter()._id);
  // With a write of this document queued or running, the read may see it or not: not trusted.
  const after = writes.isBusy(key) ? undefined : writeCount;
  const doc = await query;
  if (doc && typeof doc === 'object' && after !== undefined) reads.set(doc, { key, after });
  return doc;
}

/** The document `read` (from `readForUpdate`), if no write of it has started since it was read. */
function stillCurrent(key: string, read: object | null | undefined): object | undefined {
  const mark = read && reads.get(read);
  if (!mark || mark.key !== key) return undefined;
  return (lastWrites.get(key) ?? forgottenUpTo) <= mark.after ? read : undefined;
}

/**
 * Applies `update` to the document `filter._id` only if it matches the whole `filter`, atomically with
 * respect to every other conditional write. Returns the document as written, or null when it did not match.
 * `read`: the document as the caller read it with `readForUpdate`, to decide this write (see there).
 */
export async function updateIfMatches<T>(
  model: Model<T>,
  filter: FilterQuery<T> & { _id: Types.ObjectId | string },
  update: UpdateQuery<T>,
  read?: object | null,
): Promise<HydratedDocument<T> | null> {
  if (isolation === 'server') return model.findOneAndUpdate(filter, update, { new: true });
  const { _id, ...condition } = filter;
  const key = documentKey(model, _id);
  return inTurn(key, async () => {
    const current = stillCurrent(key, read) ?? (await model.findById(_id).lean());
    if (!current || !sift(condition as Parameters<typeof sift>[0])(current)) return null;
    return model.findOneAndUpdate({ _id } as FilterQuery<T>, update, { new: true });
  });
}
