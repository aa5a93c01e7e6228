import { z } from 'zod';
import { ORDER_STATUSES } from './order-status';
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
  userId: id,
  expiresAt: z.iso.datetime(),
  ticket: z.object({ id, price }),
});

export const eventSchemas = {
  [Subjects.TicketCreated]: ticketEventSchema,
  [Subjects.TicketUpdated]: ticketEventSchema,
  [Subjects.OrderCreated]: orderEventSchema,
  [Subjects.OrderUpdated]: orderEventSchema,
} as const satisfies Record<Subject, z.ZodType<{ id: string; version: number }>>;

/** The payload type of the event named `S`. */
export type EventData<S extends Subject> = z.infer<(typeof eventSchemas)[S]>;

export type TicketEventData = z.infer<typeof ticketEventSchema>;
export type OrderEventData = z.infer<typeof orderEventSchema>;

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
