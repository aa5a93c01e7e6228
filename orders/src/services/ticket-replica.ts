import { isDuplicateKeyError } from '@ticketing/common/errors';
import { type ApplyResult, requireObjectIds, type TicketEventData, versionVerdict } from '@ticketing/common/events';
import { GroupedInserts, updateIfMatches } from '@ticketing/common/mongo';
import { Types } from 'mongoose';
import { Ticket } from '../models/ticket';

const MAX_ATTEMPTS = 5;

/** New replicas of one turn (a batch of `ticket:created`) go to the database as one command. */
const replicaInserts = new GroupedInserts<{ _id: Types.ObjectId; title: string; price: number; userId: string; version: number }>(
  Ticket.collection,
);

/**
 * Applies a ticket event to the replica: only the next version is applied, with a write conditional on
 * the version read; older versions are duplicates, newer ones wait for their predecessor.
 */
export async function applyTicketEvent(data: TicketEventData): Promise<ApplyResult> {
  requireObjectIds({ id: data.id, userId: data.userId, ...(data.orderId ? { orderId: data.orderId } : {}) });
  // Version 0 creates the replica: insert at once, the unique _id rejects a duplicate (no read first).
  if (data.version === 0) {
    try {
      // The event was validated against its schema: straight to the driver, without mongoose's save() machinery.
      await replicaInserts.insert({
        _id: new Types.ObjectId(data.id),
        title: data.title,
        price: data.price,
        userId: data.userId,
        version: 0,
      });
      return 'applied';
    } catch (err) {
      if (isDuplicateKeyError(err)) return 'stale';
      throw err;
    }
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const replica = await Ticket.findById(data.id).lean();
    const verdict = versionVerdict(data.version, replica?.version);
    if (verdict !== 'apply') return verdict;

    if (!replica) {
      try {
        await Ticket.create({ _id: data.id, title: data.title, price: data.price, userId: data.userId, version: data.version });
        return 'applied';
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        continue; // created concurrently by another replica: decide again
      }
    }
    const updated = await updateIfMatches(
      Ticket,
      { _id: replica._id, version: replica.version },
      { $set: { title: data.title, price: data.price, userId: data.userId, version: data.version } },
    );
    if (updated) return 'applied';
  }
  throw new Error(`ticket replica ${data.id} kept changing while applying v${data.version}`);
}
