import { BadRequestError, HttpError, isDuplicateKeyError, NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import {
  type ApplyResult,
  CancelReason,
  canTransition,
  EXPIRING_STATUSES,
  isHolding,
  OrderStatus,
  type PaymentEventData,
  type ReservationEventData,
  requireObjectIds,
  Subjects,
  UnprocessableEventError,
} from '@ticketing/common/events';
import type { TraceContext } from '@ticketing/common/http';
import { CONFLICT, whileConflicting } from '@ticketing/common/mongo';
import { pendingEvent } from '@ticketing/common/outbox';
import { Order, type OrderDocument, orderEventData, orders, withTicket } from '../models/order';
import { Ticket } from '../models/ticket';
import type { ActiveOrders } from './active-orders';

const RESERVED = 'Ticket is already reserved';

/** How long a buyer's claim on a ticket lasts if the request that took it never gives it back (a crash). */
export const PLACING_CLAIM_MS = 10_000;

/**
 * Places an order for a ticket, against the ticket version the replica has. The order and its
 * `order:created` event are one insert; the unique reservation key makes the database refuse a second
 * active order for the same ticket, however many requests race. The order stays `created` until tickets
 * decides the reservation (`applyReservationDecision`).
 *
 * Buyers who race for one ticket take turns on its replica instead: one conditional update claims the ticket
 * for the placing request (and takes the next number in the ticket's line of orders), the others are refused
 * there as for a held ticket. Racing inserts on a unique key are what some engines handle worst: FerretDB 2
 * on PostgreSQL answers a fraction of them with a deadlock, not a duplicate key, and stalls others. A claim
 * is given back as soon as the insert is decided, and lapses after `PLACING_CLAIM_MS` if the request dies.
 *
 * The placement number: as at most one order per ticket is active at a time, an order with a higher number
 * was placed after every lower one had ended, which lets tickets decide a reservation once, whatever order
 * events arrive in. A request refused for what it asks (an unknown, own or held ticket) is refused before
 * the claim, so it changes nothing; a claim whose insert then finds the ticket held leaves a number unused.
 */
export async function createOrder(
  userId: string,
  ticketId: string,
  expirationSeconds: number,
  trace?: TraceContext,
): Promise<OrderDocument> {
  const [seen, isHeld] = await Promise.all([Ticket.findById(ticketId, { userId: 1 }).lean(), Order.exists({ reservationKey: ticketId })]);
  if (!seen) throw new NotFoundError('Ticket not found');
  if (seen.userId === userId) throw new BadRequestError('You cannot order your own ticket', 'ticketId');
  if (isHeld) throw new BadRequestError(RESERVED, 'ticketId');
  const now = Date.now();
  const ticket = await Ticket.findOneAndUpdate(
    { _id: ticketId, $or: [{ placingUntil: { $exists: false } }, { placingUntil: { $lte: new Date(now) } }] },
    { $inc: { placements: 1 }, $set: { placingUntil: new Date(now + PLACING_CLAIM_MS) } },
    { new: true },
  );
  // Replicas are never deleted: it was there a moment ago, so another buyer's request holds the claim.
  if (!ticket) throw new BadRequestError(RESERVED, 'ticketId');
  const placement = ticket.placements ?? 1;
  const order = new Order({
    userId,
    status: OrderStatus.Created,
    expiresAt: new Date(Date.now() + expirationSeconds * 1000),
    ticket: ticket._id,
    ticketPrice: ticket.price,
    ticketVersion: ticket.version,
    ticketPlacement: placement,
    version: 0,
    reservationKey: ticket.id,
  });
  order.pendingEvents = [pendingEvent(Subjects.OrderCreated, orderEventData(order), trace)];
  try {
    await orders.insert(order);
  } catch (err) {
    if (isDuplicateKeyError(err)) throw new BadRequestError(RESERVED, 'ticketId');
    throw err;
  } finally {
    // Only our own claim (a later buyer's, taken after ours lapsed, has a higher number); if this fails, it lapses.
    await Ticket.updateOne({ _id: ticket._id, placements: placement }, { $unset: { placingUntil: 1 } }).catch(() => undefined);
  }
  return withTicket(order, ticket);
}

/** How many active orders a buyer may hold, and who counts them. */
export interface OrderLimits {
  maxActivePerBuyer: number;
  activeOrders: ActiveOrders;
}

/**
 * Places an order unless the buyer already holds `maxActivePerBuyer` active ones (400): one buyer cannot
 * hold every ticket, or keep renewing holds, beyond the cap.
 */
export function createOrderWithinLimit(
  limits: OrderLimits,
  userId: string,
  ticketId: string,
  expirationSeconds: number,
  trace?: TraceContext,
): Promise<OrderDocument> {
  return limits.activeOrders.placeFor(userId, async (active) => {
    if (active >= limits.maxActivePerBuyer) {
      throw new BadRequestError(`You already have ${active} active orders; pay for or cancel one first`);
    }
    return createOrder(userId, ticketId, expirationSeconds, trace);
  });
}

/**
 * Moves an order to `status` (a cancellation with its `reason`) with its `order:updated` event, conditional
 * on the version read. Returns undefined when the order changed in between (the caller re-reads and
 * decides again).
 */
async function transition(
  order: OrderDocument,
  status: OrderStatus,
  reason?: CancelReason,
  trace?: TraceContext,
): Promise<OrderDocument | undefined> {
  const version = order.version + 1;
  if (!canTransition(order.status, status)) throw new Error(`order ${order.id} cannot go from ${order.status} to ${status}`);
  const next = { ...orderEventData(order), status, version, ...(reason ? { reason } : {}) };
  const updated = await orders.update(
    { _id: order._id, version: order.version },
    {
      $set: { status, version, reservationKey: isHolding(status) ? order.reservationKey : order.id, ...(reason ? { reason } : {}) },
      $push: { pendingEvents: pendingEvent(Subjects.OrderUpdated, next, trace) },
    },
  );
  return updated ?? undefined;
}

/**
 * Applies tickets' decision on an order's reservation: an accepted one confirms the order
 * (`awaiting:payment`), a rejected one cancels it with the reason. Only an order still `created` is
 * decided; for any other the decision comes late (the buyer cancelled, or it expired) or twice: `stale`.
 */
export async function applyReservationDecision(decision: ReservationEventData, trace?: TraceContext): Promise<ApplyResult> {
  requireObjectIds({ id: decision.id, 'ticket.id': decision.ticket.id });
  return whileConflicting(
    async () => {
      const order = await Order.findById(decision.id);
      // The order exists here before any decision on it can: this one never will.
      if (!order) throw new UnprocessableEventError(`reservation decided for unknown order ${decision.id}`);
      if (order.status !== OrderStatus.Created || order.ticket.toHexString() !== decision.ticket.id) return 'stale';
      const decided =
        decision.outcome === 'accepted'
          ? await transition(order, OrderStatus.AwaitingPayment, undefined, trace)
          : await transition(order, OrderStatus.Cancelled, decision.reason, trace);
      return decided ? 'applied' : CONFLICT;
    },
    () => new Error(`order ${decision.id} kept changing while applying its reservation decision`),
  );
}

/**
 * Applies a recorded payment: the order it pays, if still awaiting payment, becomes `complete` (announced by
 * `order:updated`). A payment for an order already cancelled (it lost the race against expiry or the buyer)
 * changes nothing here: payments refunds it when it learns of the cancellation.
 */
export async function applyPayment(payment: PaymentEventData, trace?: TraceContext): Promise<ApplyResult> {
  requireObjectIds({ id: payment.id, orderId: payment.orderId });
  return whileConflicting(
    async () => {
      const order = await Order.findById(payment.orderId);
      // payments pays only orders it learned of from this service: this one never existed.
      if (!order) throw new UnprocessableEventError(`payment ${payment.id} is for unknown order ${payment.orderId}`);
      if (order.status !== OrderStatus.AwaitingPayment) return 'stale';
      return (await transition(order, OrderStatus.Complete, undefined, trace)) ? 'applied' : CONFLICT;
    },
    () => new Error(`order ${payment.orderId} kept changing while applying payment ${payment.id}`),
  );
}

/** Cancels the caller's order (idempotent); a complete order cannot be cancelled. */
export async function cancelOrder(
  orderId: string,
  userId: string,
  trace?: TraceContext,
): Promise<{ order: OrderDocument; isChanged: boolean }> {
  return whileConflicting(
    async () => {
      const order = await Order.findById(orderId);
      if (!order) throw new NotFoundError('Order not found');
      if (order.userId !== userId) throw new NotAuthorizedError();
      if (order.status === OrderStatus.Complete) throw new BadRequestError('Cannot cancel a completed order');
      if (order.status === OrderStatus.Cancelled) return { order, isChanged: false };
      const cancelled = await transition(order, OrderStatus.Cancelled, CancelReason.ByBuyer, trace);
      return cancelled ? { order: cancelled, isChanged: true } : CONFLICT;
    },
    () => new HttpError(409, 'The order is changing too often; try again'),
  );
}

/**
 * Cancels every order whose `expiresAt` has passed. The database is the record, so orders that expired
 * while the service was down are caught on the next sweep; the conditional write makes concurrent
 * sweeps by several replicas (or a racing payment) safe. Returns how many this call cancelled.
 */
export async function expireDueOrders(now = new Date(), batchSize = 100): Promise<number> {
  const due = await Order.find({ status: { $in: EXPIRING_STATUSES }, expiresAt: { $lte: now } }).limit(batchSize);
  let expired = 0;
  for (const order of due) {
    if (await transition(order, OrderStatus.Cancelled, CancelReason.Expired)) expired++;
  }
  return expired;
}
