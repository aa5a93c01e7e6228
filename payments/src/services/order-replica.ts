import { isDuplicateKeyError } from '@ticketing/common/errors';
import { type ApplyResult, type OrderEventData, requireObjectIds, versionVerdict } from '@ticketing/common/events';
import { updateIfMatches } from '@ticketing/common/mongo';
import { Types } from 'mongoose';
import { Order } from '../models/order';

const MAX_ATTEMPTS = 5;

/**
 * Applies an order event to the replica: only the next version is applied, with a write conditional on the
 * version read; older versions are duplicates, newer ones wait for their predecessor.
 */
export async function applyOrderEvent(data: OrderEventData): Promise<ApplyResult> {
  requireObjectIds({ id: data.id, userId: data.userId, 'ticket.id': data.ticket.id });
  const fields = { userId: data.userId, status: data.status, price: data.ticket.price, version: data.version };
  // Version 0 creates the replica: insert at once, the unique _id rejects a duplicate (no read first).
  if (data.version === 0) {
    try {
      await Order.collection.insertOne({ _id: new Types.ObjectId(data.id), ...fields });
      return 'applied';
    } catch (err) {
      if (isDuplicateKeyError(err)) return 'stale';
      throw err;
    }
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const replica = await Order.findById(data.id, { version: 1 }).lean();
    const verdict = versionVerdict(data.version, replica?.version);
    if (verdict !== 'apply') return verdict;
    // Past version 0, "apply" means the replica is there at the version before.
    if (!replica) return 'gap';
    if (await updateIfMatches(Order, { _id: replica._id, version: replica.version }, { $set: fields })) return 'applied';
  }
  throw new Error(`order replica ${data.id} kept changing while applying v${data.version}`);
}
