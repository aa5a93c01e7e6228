import { ORDER_STATUSES, type OrderStatus } from '@ticketing/common/events';
import { type HydratedDocument, model, Schema } from 'mongoose';

/**
 * Payments' replica of an order, built only from order events: what a payment needs to know (who may pay,
 * how much, and whether the order can still be paid). Its `_id` is the order's id, `version` the last
 * version applied.
 */
export interface OrderAttrs {
  userId: string;
  status: OrderStatus;
  /** The price of the ticket version the order reserved. */
  price: number;
  version: number;
}

const orderSchema = new Schema<OrderAttrs>(
  {
    userId: { type: String, required: true },
    status: { type: String, required: true, enum: ORDER_STATUSES },
    price: { type: Number, required: true },
    version: { type: Number, required: true },
  },
  { versionKey: false },
);

export type OrderDocument = HydratedDocument<OrderAttrs>;
export const Order = model<OrderAttrs>('Order', orderSchema);
