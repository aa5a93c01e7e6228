import { type ApplyResult, requireObjectIds, type TicketEventData } from '@ticketing/common/events';
import { GroupedInserts, versionedReplica } from '@ticketing/common/mongo';
import type { Types } from 'mongoose';
import { Ticket, type TicketAttrs } from '../models/ticket';

type ReplicaFields = Pick<TicketAttrs, 'title' | 'price' | 'userId'>;

/** New replicas of one turn (a batch of `ticket:created`) go to the database as one command. */
const replicaInserts = new GroupedInserts<ReplicaFields & { _id: Types.ObjectId; version: number }>(Ticket.collection);

const applyToReplica = versionedReplica<ReplicaFields>({
  name: 'ticket replica',
  model: Ticket,
  insertFirst: (doc) => replicaInserts.insert(doc),
});

/** Applies a ticket event to orders' replica of the ticket (see `versionedReplica`). */
export async function applyTicketEvent(data: TicketEventData): Promise<ApplyResult> {
  requireObjectIds({ id: data.id, userId: data.userId, ...(data.orderId ? { orderId: data.orderId } : {}) });
  return applyToReplica(data.id, data.version, { title: data.title, price: data.price, userId: data.userId });
}
