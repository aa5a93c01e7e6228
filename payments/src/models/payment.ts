import type { PaymentEventData } from '@ticketing/common/events';
import { AggregateStore, outboxPlugin, type PendingEvent } from '@ticketing/common/outbox';
import { type HydratedDocument, model, Schema, type Types } from 'mongoose';

/**
 * A charge for an order. Its `_id` is the order's id: one payment per order is the database's own unique
 * key, and every look-up (by the route, by a cancellation) is a read by `_id`.
 */
export interface PaymentAttrs {
  userId: string;
  /** In the currency's smallest unit (cents for usd). */
  amount: number;
  currency: string;
  /** Stripe's PaymentIntent id. */
  stripeId: string;
  /** Stripe's refund id, once the charge was refunded because the order was cancelled before it completed. */
  refundId?: string;
  version: number;
  pendingEvents: PendingEvent[];
}

const paymentSchema = new Schema<PaymentAttrs>(
  {
    userId: { type: String, required: true },
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    stripeId: { type: String, required: true },
    refundId: { type: String },
    version: { type: Number, required: true, default: 0 },
  },
  { versionKey: false },
);
paymentSchema.plugin(outboxPlugin);

export type PaymentDocument = HydratedDocument<PaymentAttrs>;
export const Payment = model<PaymentAttrs>('Payment', paymentSchema);
/** Every write of a payment that announces a change goes through here (it hands the events to the relay). */
export const payments = new AggregateStore(Payment);

/** What `payment:created` announces. */
export function paymentEventData(payment: { _id: Types.ObjectId; stripeId: string; version: number }): PaymentEventData {
  const id = payment._id.toHexString();
  return { id, version: payment.version, orderId: id, stripeId: payment.stripeId };
}
