import type { TicketEventData } from '@ticketing/common/events';
import { AggregateStore, outboxPlugin, type PendingEvent } from '@ticketing/common/outbox';
import { type HydratedDocument, model, Schema, type Types } from 'mongoose';
import type { TicketView } from '../api';

export interface TicketAttrs {
  title: string;
  price: number;
  userId: string;
  /** The order holding the ticket; absent when the ticket is free. */
  orderId?: string;
  /** Bumped by every change; every change is announced with it. */
  version: number;
  /**
   * The version at which the seller last set title and price. A reservation and its release bump `version`
   * but not this: an order placed against any version from here on saw the ticket's current terms.
   * (Absent on tickets written before it existed: their every change counts as a change of terms.)
   */
  termsVersion?: number;
  /**
   * The highest place in the ticket's line of orders (numbered by orders) whose reservation was decided:
   * an order at or before it was decided already, or overtaken by a later one.
   */
  lastPlacement?: number;
  pendingEvents: PendingEvent[];
}

const ticketSchema = new Schema<TicketAttrs>(
  {
    title: { type: String, required: true },
    price: { type: Number, required: true },
    userId: { type: String, required: true },
    orderId: { type: String },
    version: { type: Number, required: true, default: 0 },
    termsVersion: { type: Number },
    lastPlacement: { type: Number },
  },
  {
    versionKey: false,
    toJSON: {
      transform: (_doc, ret) => ticketView(ret),
    },
  },
);

ticketSchema.plugin(outboxPlugin);

export type TicketDocument = HydratedDocument<TicketAttrs>;
export const Ticket = model<TicketAttrs>('Ticket', ticketSchema);
/** Every write of a ticket that announces a change goes through here (it hands the events to the relay). */
export const tickets = new AggregateStore(Ticket);

/** What the API shows of a ticket (from a document, a lean read or a new record). */
export function ticketView(ticket: Pick<TicketAttrs, 'title' | 'price' | 'userId' | 'orderId' | 'version'> & { _id: unknown }): TicketView {
  const { _id, title, price, userId, orderId, version } = ticket;
  return { id: String(_id), title, price, userId, version, ...(orderId ? { orderId } : {}) };
}

/** The full state announced in `ticket:created` / `ticket:updated`. */
export function ticketEventData(ticket: {
  _id: Types.ObjectId;
  title: string;
  price: number;
  userId: string;
  orderId?: string;
  version: number;
}): TicketEventData {
  return {
    id: ticket._id.toHexString(),
    version: ticket.version,
    title: ticket.title,
    price: ticket.price,
    userId: ticket.userId,
    ...(ticket.orderId ? { orderId: ticket.orderId } : {}),
  };
}
