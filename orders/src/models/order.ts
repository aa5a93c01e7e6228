import { CANCEL_REASONS, type CancelReason, ORDER_STATUSES, type OrderEventData, type OrderStatus } from '@ticketing/common/events';
import { AggregateStore, outboxPlugin, type PendingEvent } from '@ticketing/common/outbox';
import { type HydratedDocument, model, Schema, Types } from 'mongoose';

export interface OrderAttrs {
  userId: string;
  status: OrderStatus;
  /** Why a cancelled order was cancelled. */
  reason?: CancelReason;
  expiresAt: Date;
  ticket: Types.ObjectId;
  /** The ticket's price at `ticketVersion` (announced with the order). */
  ticketPrice: number;
  /** The ticket version the order was placed against: tickets reserves the ticket only if it is still at it. */
  ticketVersion: number;
  /** The order's place in the ticket's line of orders (1, 2, …; see the order event's `ticket.placement`). */
  ticketPlacement: number;
  version: number;
  /**
   * The ticket's id while the order holds it, the order's own id once it no longer does. A unique index
   * on it lets the database, not a read-then-write, guarantee at most one active order per ticket.
   */
  reservationKey: string;
  pendingEvents: PendingEvent[];
}

const orderSchema = new Schema<OrderAttrs>(
  {
    userId: { type: String, required: true },
    status: { type: String, required: true, enum: ORDER_STATUSES },
    reason: { type: String, enum: CANCEL_REASONS },
    expiresAt: { type: Date, required: true },
    ticket: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
    ticketPrice: { type: Number, required: true },
    ticketVersion: { type: Number, required: true },
    ticketPlacement: { type: Number, required: true },
    version: { type: Number, required: true, default: 0 },
    reservationKey: { type: String, required: true, unique: true },
  },
  {
    versionKey: false,
    toJSON: {
      transform(_doc, ret: Record<string, unknown>) {
        const { _id, userId, status, reason, expiresAt, ticket, version } = ret;
        return {
          id: String(_id),
          userId,
          status,
          ...(reason ? { reason } : {}),
          expiresAt,
          version,
          ticket: ticket instanceof Types.ObjectId ? String(ticket) : ticket,
        };
      },
    },
  },
);
// A buyer's orders (the list) and active ones (the cap's count); the due orders (the expiry sweep).
orderSchema.index({ userId: 1, status: 1 });
orderSchema.index({ status: 1, expiresAt: 1 });
orderSchema.plugin(outboxPlugin);

export type OrderDocument = HydratedDocument<OrderAttrs>;
export const Order = model<OrderAttrs>('Order', orderSchema);
/** Every write of an order that announces a change goes through here (it hands the events to the relay). */
export const orders = new AggregateStore(Order);

/**
 * Shows `ticket` as the order's ticket (what `populate` does), for a ticket already read by id: `populate`
 * would read it again.
 */
export function withTicket(order: OrderDocument, ticket: unknown): OrderDocument {
  order.ticket = ticket as OrderDocument['ticket'];
  return order;
}

/** The full state announced in `order:created` / `order:updated`. */
export function orderEventData(
  order: Pick<
    OrderAttrs,
    'userId' | 'status' | 'reason' | 'expiresAt' | 'ticket' | 'ticketPrice' | 'ticketVersion' | 'ticketPlacement' | 'version'
  > & {
    _id: Types.ObjectId;
  },
): OrderEventData {
  return {
    id: order._id.toHexString(),
    version: order.version,
    status: order.status,
    ...(order.reason ? { reason: order.reason } : {}),
    userId: order.userId,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: order.ticket.toHexString(), price: order.ticketPrice, version: order.ticketVersion, placement: order.ticketPlacement },
  };
}
