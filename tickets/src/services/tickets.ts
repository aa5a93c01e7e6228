import { BadRequestError, HttpError, NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import {
  type ApplyResult,
  isHolding,
  type OrderEventData,
  OrderStatus,
  RejectionReason,
  requireObjectIds,
  Subjects,
  UnprocessableEventError,
} from '@ticketing/common/events';
import type { TraceContext } from '@ticketing/common/http';
import { pendingEvent } from '@ticketing/common/outbox';
import { Types } from 'mongoose';
import type { TicketView } from '../api';
import { Ticket, type TicketAttrs, type TicketDocument, ticketEventData, tickets, ticketView } from '../models/ticket';

/** How often a write is retried when another write changed the ticket between our read and our write. */
const MAX_ATTEMPTS = 5;

export interface TicketInput {
  title: string;
  price: number;
}

/**
 * Creates the ticket and its `ticket:created` event in one insert, and returns what the API shows of it. The
 * busiest write: the record is built here from the checked input, without a mongoose document (see
 * `AggregateStore.insert`).
 */
export async function createTicket(input: TicketInput & { userId: string }, trace?: TraceContext): Promise<TicketView> {
  const ticket = { _id: new Types.ObjectId(), title: input.title, price: input.price, userId: input.userId, version: 0 };
  await tickets.insert({ ...ticket, pendingEvents: [pendingEvent(Subjects.TicketCreated, ticketEventData(ticket), trace)] });
  return ticketView(ticket);
}

/**
 * Edits a free ticket owned by `userId`. The write is conditional on the version read, so an edit never
 * overwrites a reservation (or another edit) that landed in between: we re-read and decide again.
 */
export async function updateTicket(id: string, userId: string, input: TicketInput, trace?: TraceContext): Promise<TicketDocument> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const ticket = await Ticket.findById(id);
    if (!ticket) throw new NotFoundError('Ticket not found');
    if (ticket.userId !== userId) throw new NotAuthorizedError();
    if (ticket.orderId) throw new BadRequestError('Cannot edit a reserved ticket');

    const next = { ...ticketEventData(ticket), ...input, version: ticket.version + 1 };
    const updated = await tickets.update(
      { _id: ticket._id, version: ticket.version },
      {
        $set: { title: next.title, price: next.price, version: next.version },
        $push: { pendingEvents: pendingEvent(Subjects.TicketUpdated, next, trace) },
      },
    );
    if (updated) return updated;
  }
  throw new HttpError(409, 'The ticket is changing too often; try again');
}

/**
 * Why `order` cannot have the ticket as it is now, or undefined when it can: tickets is the authority on its
 * tickets, so an order reserves only a free ticket, of someone else, still at the version it was placed against.
 */
export function reservationVerdict(
  ticket: Pick<TicketAttrs, 'userId' | 'orderId' | 'version'>,
  order: OrderEventData,
): RejectionReason | undefined {
  if (ticket.userId === order.userId) return RejectionReason.OwnTicket;
  if (ticket.orderId) return RejectionReason.TicketReserved;
  if (ticket.version !== order.ticket.version) return RejectionReason.TicketChanged;
  return undefined;
}

/**
 * Applies an order event to the ticket it concerns. The ticket remembers only which order holds it, so its
 * document does not grow with its history; the order lifecycle (cancelled and complete are final) and the
 * ticket version the order was placed against make every duplicate or out-of-order event harmless:
 *
 * - `order:created` of a new order: the reservation is decided (`reservationVerdict`). Accepted: the ticket
 *   is reserved (version + 1, `ticket:updated`) and `reservation:decided` accepted is announced in the same
 *   write. Rejected: only `reservation:decided` rejected, with the reason; the ticket does not change.
 * - A later event that keeps the ticket held (`awaiting:payment`, `complete`): an order gets there only after
 *   tickets accepted its reservation, in the very write that reserved the ticket. Such an event has nothing
 *   for the ticket, whoever holds it now (`stale`), and is acknowledged without reading it.
 * - A cancellation of the holding order frees the ticket (version + 1).
 * - A cancellation of an order that does not hold the ticket: if its `order:created` would still be
 *   accepted, that event has not been applied yet (`gap`: wait for it); otherwise the order can never
 *   reserve the ticket, and the cancellation has nothing to change (`stale`).
 *
 * Every write is conditional on the ticket version read, and every change of the holder bumps it.
 */
export async function applyOrderEvent(order: OrderEventData, trace?: TraceContext): Promise<ApplyResult> {
  requireObjectIds({ id: order.id, 'ticket.id': order.ticket.id, userId: order.userId });
  if (order.version > 0 && isHolding(order.status)) return 'stale';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // A plain read (no mongoose document): this runs for every order event.
    const ticket = await Ticket.findById(order.ticket.id).lean();
    // Every order is placed on a ticket that exists here: this one never will.
    if (!ticket) throw new UnprocessableEventError(`order ${order.id} refers to unknown ticket ${order.ticket.id}`);
    const current = { _id: ticket._id, version: ticket.version };
    const version = ticket.version + 1;

    if (ticket.orderId === order.id) {
      // Its order:created again (a redelivery): the reservation stands.
      if (isHolding(order.status)) return 'stale';
      const freed = await tickets.update(current, {
        $set: { version },
        $unset: { orderId: 1 },
        $push: {
          pendingEvents: pendingEvent(Subjects.TicketUpdated, { ...ticketEventData(ticket), orderId: undefined, version }, trace),
        },
      });
      if (freed) return 'applied';
      continue;
    }

    const rejection = reservationVerdict(ticket, order);
    if (order.version > 0 || order.status !== OrderStatus.Created) return rejection === undefined ? 'gap' : 'stale';

    const decided = (ticketVersion: number) => ({
      id: order.id,
      version: order.version,
      ticket: { id: order.ticket.id, version: ticketVersion },
    });
    const change = rejection
      ? {
          $push: {
            pendingEvents: pendingEvent(
              Subjects.ReservationDecided,
              { ...decided(ticket.version), outcome: 'rejected', reason: rejection },
              trace,
            ),
          },
        }
      : {
          $set: { orderId: order.id, version },
          $push: {
            pendingEvents: {
              $each: [
                pendingEvent(Subjects.TicketUpdated, { ...ticketEventData(ticket), orderId: order.id, version }, trace),
                pendingEvent(Subjects.ReservationDecided, { ...decided(version), outcome: 'accepted' }, trace),
              ],
            },
          },
        };
    const written = await tickets.update(current, change);
    if (written) return 'applied';
  }
  throw new Error(`ticket ${order.ticket.id} kept changing while applying order ${order.id} v${order.version}`);
}
