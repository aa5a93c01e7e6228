import { z } from 'zod';
import { CANCEL_REASONS, ORDER_STATUSES, REJECTION_REASONS } from './order-status';
import { type Subject, Subjects } from './subjects';

/** The event catalogue: one runtime schema per subject; the TypeScript types are inferred from these. */

const id = z.string().min(1).max(64);
const version = z.number().int().min(0);
const price = z.number().positive().finite();

/** Full state of a ticket, as announced by `ticket:created` and `ticket:updated`. */
export const ticketEventSchema = z.object({
  id,
  version,
  title: z.string().min(1).max(200),
  price,
  userId: id,
  /** Set while an order reserves the ticket; absent when the ticket is free. */
  orderId: id.optional(),
});

/** Full state of an order, as announced by `order:created` and `order:updated`. */
export const orderEventSchema = z.object({
  id,
  version,
  status: z.enum(ORDER_STATUSES),
  /** Why a cancelled order was cancelled. */
  reason: z.enum(CANCEL_REASONS).optional(),
  userId: id,
  expiresAt: z.iso.datetime(),
  /**
   * The ticket version the order was placed against, its price at that version, and the order's place in
   * the ticket's line of orders (orders counts the orders placed for each ticket: 1, 2, …), by which
   * tickets tells an order it has not decided yet from one it has.
   */
  ticket: z.object({ id, price, version, placement: z.number().int().min(1) }),
});

const reservationFields = {
  /** The order the decision answers. */
  id,
  /** The order version it answers: its `order:created` (0). */
  version,
  /** The ticket and its version after the decision (the reserved version when accepted). */
  ticket: z.object({ id, version }),
};

/** tickets' decision on an order's reservation (`reservation:decided`). */
export const reservationEventSchema = z.discriminatedUnion('outcome', [
  z.object({ ...reservationFields, outcome: z.literal('accepted') }),
  z.object({ ...reservationFields, outcome: z.literal('rejected'), reason: z.enum(REJECTION_REASONS) }),
]);

/** A recorded payment, as announced by `payment:created`. */
export const paymentEventSchema = z.object({
  id,
  version,
  orderId: id,
  /** The payment's id at Stripe (a PaymentIntent, `pi_…`). */
  stripeId: z.string().min(1).max(255),
});

export const eventSchemas = {
  [Subjects.TicketCreated]: ticketEventSchema,
  [Subjects.TicketUpdated]: ticketEventSchema,
  [Subjects.OrderCreated]: orderEventSchema,
  [Subjects.OrderUpdated]: orderEventSchema,
  [Subjects.ReservationDecided]: reservationEventSchema,
  [Subjects.PaymentCreated]: paymentEventSchema,
} as const satisfies Record<Subject, z.ZodType<{ id: string; version: number }>>;

/** The payload type of the event named `S`. */
export type EventData<S extends Subject> = z.infer<(typeof eventSchemas)[S]>;

export type TicketEventData = z.infer<typeof ticketEventSchema>;
export type OrderEventData = z.infer<typeof orderEventSchema>;
export type ReservationEventData = z.infer<typeof reservationEventSchema>;
export type PaymentEventData = z.infer<typeof paymentEventSchema>;

/** One type per event, for code that handles a whole event (subject and data together). */
export interface TicketCreatedEvent {
  subject: typeof Subjects.TicketCreated;
  data: EventData<typeof Subjects.TicketCreated>;
}
export interface TicketUpdatedEvent {
  subject: typeof Subjects.TicketUpdated;
  data: EventData<typeof Subjects.TicketUpdated>;
}
export interface OrderCreatedEvent {
  subject: typeof Subjects.OrderCreated;
  data: EventData<typeof Subjects.OrderCreated>;
}
export interface OrderUpdatedEvent {
  subject: typeof Subjects.OrderUpdated;
  data: EventData<typeof Subjects.OrderUpdated>;
}
export interface ReservationDecidedEvent {
  subject: typeof Subjects.ReservationDecided;
  data: EventData<typeof Subjects.ReservationDecided>;
}
export interface PaymentCreatedEvent {
  subject: typeof Subjects.PaymentCreated;
  data: EventData<typeof Subjects.PaymentCreated>;
}
