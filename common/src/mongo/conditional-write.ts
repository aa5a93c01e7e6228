/**
 * Conditional single-document writes ("update this document only if it still is as I read it"), the
 * primitive that versioned replicas and the outbox rely on.
 */
import type { FilterQuery, HydratedDocument, Model, Types, UpdateQuery } from 'mongoose';

/**
 * Applies `update` to the document `filter._id` only if it matches the whole `filter` (include the version
 * the decision was made on), and returns the document as written, or null when it did not match. The
 * condition is the write's filter, so the server checks and writes in one atomic step, across any number of
 * processes; the filter on `_id` makes it one index look-up.
 */
export async function updateIfMatches<T>(
  model: Model<T>,
  filter: FilterQuery<T> & { _id: Types.ObjectId | string },
  update: UpdateQuery<T>,
): Promise<HydratedDocument<T> | null> {
  return model.findOneAndUpdate(filter, update, { new: true });
}
