import { type ApplyResult, type OrderEventData, requireObjectIds } from '@ticketing/common/events';
import { versionedReplica } from '@ticketing/common/mongo';
import { Order, type OrderAttrs } from '../models/order';

const applyToReplica = versionedReplica<Omit<OrderAttrs, 'version'>>({ name: 'order replica', model: Order });

/** Applies an order event to payments' replica of the order (see `versionedReplica`). */
export async function applyOrderEvent(data: OrderEventData): Promise<ApplyResult> {
  requireObjectIds({ id: data.id, userId: data.userId, 'ticket.id': data.ticket.id });
  return applyToReplica(data.id, data.version, { userId: data.userId, status: data.status, price: data.ticket.price });
}
