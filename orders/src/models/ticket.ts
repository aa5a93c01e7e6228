import { type HydratedDocument, model, Schema } from 'mongoose';

/**
 * Orders' replica of a ticket, built only from ticket events. Its `_id` is the ticket's id in the
 * tickets service and its `version` the last version applied.
 */
export interface TicketAttrs {
  title: string;
  price: number;
  /** The seller (absent on replicas written before it was kept). */
  userId?: string;
  version: number;
  /** How many orders were placed for the ticket: each new order takes the next number (see `createOrder`). */
  placements?: number;
  /** While an order is being placed for the ticket: until when that request's claim lasts (see `createOrder`). */
  placingUntil?: Date;
}

const ticketSchema = new Schema<TicketAttrs>(
  {
    title: { type: String, required: true },
    price: { type: Number, required: true },
    userId: { type: String },
    version: { type: Number, required: true },
    placements: { type: Number },
    placingUntil: { type: Date },
  },
  {
    versionKey: false,
    toJSON: {
      transform(_doc, ret: Record<string, unknown>) {
        const { _id, title, price, version } = ret;
        return { id: String(_id), title, price, version };
      },
    },
  },
);

export type TicketDocument = HydratedDocument<TicketAttrs>;
export const Ticket = model<TicketAttrs>('Ticket', ticketSchema);
