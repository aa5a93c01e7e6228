import { BadRequestError, isDuplicateKeyError, NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import { OrderStatus, Subjects } from '@ticketing/common/events';
import type { Logger, TraceContext } from '@ticketing/common/http';
import { pendingEvent } from '@ticketing/common/outbox';
import { Types } from 'mongoose';
import { Order } from '../models/order';
import { Payment, type PaymentDocument, paymentEventData, payments } from '../models/payment';
import type { PaymentProvider } from './stripe';

/** Why an order cannot be paid now, as the buyer is told (400). */
const UNPAYABLE: Partial<Record<OrderStatus, string>> = {
  [OrderStatus.Created]: 'The order is not confirmed yet; try again in a moment',
  [OrderStatus.Cancelled]: 'The order is cancelled or expired and cannot be paid',
  [OrderStatus.Complete]: 'The order has already been paid',
};

/**
 * Pays `orderId` for its buyer: charges the order's price once (see `PaymentProvider.charge`), then
 * records the payment with its `payment:created` event in one insert. The payment's `_id` is the order's,
 * so two requests racing for one order record one payment, and the loser answers with the winner's.
 * If the order was cancelled (expiry, the buyer) while the charge was made, the charge is refunded.
 */
export async function pay(
  input: { userId: string; orderId: string; token: string },
  provider: PaymentProvider,
  logger: Logger,
  trace?: TraceContext,
): Promise<PaymentDocument> {
  const order = await Order.findById(input.orderId).lean();
  if (!order) throw new NotFoundError('Order not found');
  if (order.userId !== input.userId) throw new NotAuthorizedError();
  if (await Payment.exists({ _id: order._id })) throw new BadRequestError(UNPAYABLE[OrderStatus.Complete] ?? '', 'orderId');
  const unpayable = UNPAYABLE[order.status];
  if (unpayable) throw new BadRequestError(unpayable, 'orderId');

  const charge = await provider.charge(input.orderId, order.price, input.token);
  const payment = new Payment({ _id: order._id, userId: input.userId, ...charge, version: 0 });
  payment.pendingEvents = [pendingEvent(Subjects.PaymentCreated, paymentEventData(payment), trace)];
  let recorded: PaymentDocument;
  try {
    recorded = await payments.insert(payment);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const first = await Payment.findById(order._id); // a concurrent request for this order recorded the same charge
    if (!first) throw err;
    recorded = first;
  }

  // A cancellation applied after our read: its listener refunds the payments it finds, and this one may
  // have been recorded after it looked. Whoever sees both refunds (the refund itself is idempotent).
  if ((await Order.findById(order._id, { status: 1 }).lean())?.status === OrderStatus.Cancelled) {
    await refundIfPaid(input.orderId, provider, logger);
    throw new BadRequestError('The order was cancelled while it was being paid; the charge has been refunded', 'orderId');
  }
  return recorded;
}

/** Refunds the order's payment, if there is one not refunded yet (the order was cancelled). */
export async function refundIfPaid(orderId: string, provider: PaymentProvider, logger: Logger): Promise<boolean> {
  const _id = new Types.ObjectId(orderId);
  const payment = await Payment.findById(_id).lean();
  if (!payment || payment.refundId) return false;
  const refundId = await provider.refund(orderId, payment.stripeId);
  // Through the store, like every write of a payment (its pending events, if any, go to the relay).
  await payments.update({ _id, refundId: { $exists: false } }, { $set: { refundId } });
  logger.info({ orderId, stripeId: payment.stripeId, refundId }, 'payment refunded: the order was cancelled before it completed');
  return true;
}
