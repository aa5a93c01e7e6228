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
import { CONFLICT, whileConflicting } from '@ticketing/common/mongo';
import { pendingEvent } from '@ticketing/common/outbox';
import { Types } from 'mongoose';
import type { TicketView } from '../api';
import { Ticket, type TicketAttrs, type TicketDocument, ticketEventData, tickets, ticketView } from '../models/ticket';

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
  await tickets.insert({
    ...ticket,
    termsVersion: 0,
    lastPlacement: 0,
    pendingEvents: [pendingEvent(Subjects.TicketCreated, ticketEventData(ticket), trace)],
  });
  return ticketView(ticket);
}

/**
 * Edits a free ticket owned by `userId`. The write is conditional on the version read, so an edit never
 * overwrites a reservation (or another edit) that landed in between: we re-read and decide again.
 */
export async function updateTicket(id: string, userId: string, input: TicketInput, trace?: TraceContext): Promise<TicketDocument> {
  return whileConflicting(
    async () => {
      const ticket = await Ticket.findById(id);
      if (!ticket) throw new NotFoundError('Ticket not found');
      if (ticket.userId !== userId) throw new NotAuthorizedError();
      if (ticket.orderId) throw new BadRequestError('Cannot edit a reserved ticket');

      const next = { ...ticketEventData(ticket), ...input, version: ticket.version + 1 };
      const updated = await tickets.update(
        { _id: ticket._id, version: ticket.version },
        {
          $set: { title: next.title, price: next.price, version: next.version, termsVersion: next.version },
          $push: { pendingEvents: pendingEvent(Subjects.TicketUpdated, next, trace) },
        },
      );
      return updated ?? CONFLICT;
    },
    () => new HttpError(409, 'The ticket is changing too often; try again'),
  );
}

/**
 * Why `order`, not decided yet, cannot have the ticket as it is now; undefined when it can have it, and
 * 'wait' when another order holds it. tickets is the authority on its tickets: an order reserves a ticket of
 * someone else whose title and price are still those of the version the order was placed against
 * (reservations that came and went since do not count: the buyer saw the same terms). orders lets at most
 * one order per ticket be active, so a holder other than a newer order has been cancelled in orders already:
 * its cancellation is on its way and will free the ticket.
 */
export function reservationVerdict(
  ticket: Pick<TicketAttrs, 'userId' | 'orderId' | 'version' | 'termsVersion'>,
  order: OrderEventData,
): RejectionReason | 'wait' | undefined {
  if (ticket.userId === order.userId) return RejectionReason.OwnTicket;
  if ((ticket.termsVersion ?? ticket.version) > order.ticket.version) return RejectionReason.TicketChanged;
  if (ticket.orderId) return 'wait';
  return undefined;
}

/**
 * Applies an order event to the ticket it concerns. The ticket remembers which order holds it and the
 * highest place in its line of orders it has decided (`lastPlacement`; orders numbers the orders of each
 * ticket), so its document does not grow with its history, and every duplicate or out-of-order event is
 * harmless:
 *
 * - `order:created` of an order whose place is past `lastPlacement`: the reservation is decided
 *   (`reservationVerdict`). Accepted: the ticket is reserved (version + 1, `ticket:updated`) and
 *   `reservation:decided` accepted is announced in the same write. Rejected: only `reservation:decided`
 *   rejected, with the reason; the ticket does not change. Held by an earlier order: `gap`, until that
 *   order's cancellation frees the ticket.
 * - `order:created` of an order at or before `lastPlacement`: decided already, or overtaken by a later
 *   order (placed once this one had ended): rejected again, changing nothing else.
 * - A later event that keeps the ticket held (`awaiting:payment`, `complete`): an order gets there only after
 *   tickets accepted its reservation, in the very write that reserved the ticket. Such an event has nothing
 *   for the ticket, whoever holds it now (`stale`), and is acknowledged without reading it.
 * - A cancellation of the holding order frees the ticket (version + 1).
 * - A cancellation of an order that does not hold the ticket: past `lastPlacement`, its `order:created`
 *   has not been decided yet (`gap`: wait for it); otherwise it has nothing to change (`stale`).
 *
 * Every write is conditional on the ticket version and `lastPlacement` read, and every change of the holder
 * bumps the version.
 */
export async function applyOrderEvent(order: OrderEventData, trace?: TraceContext): Promise<ApplyResult> {
  requireObjectIds({ id: order.id, 'ticket.id': order.ticket.id, userId: order.userId });
  if (order.version > 0 && isHolding(order.status)) return 'stale';
  return whileConflicting(
    async () => {
      // A plain read (no mongoose document): this runs for every order event.
      const ticket = await Ticket.findById(order.ticket.id).lean();
      // Every order is placed on a ticket that exists here: this one never will.
      if (!ticket) throw new UnprocessableEventError(`order ${order.id} refers to unknown ticket ${order.ticket.id}`);
      const lastPlacement = ticket.lastPlacement ?? 0;
      const current = { _id: ticket._id, version: ticket.version, lastPlacement: ticket.lastPlacement ?? null };
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
        return freed ? 'applied' : CONFLICT;
      }

      const isDecided = order.ticket.placement <= lastPlacement;
      if (order.version > 0 || order.status !== OrderStatus.Created) return isDecided ? 'stale' : 'gap';

      // Decided already, or overtaken by a later order: refused (again). orders ignores a second decision on
      // an order it has moved on from, and cancels one that never had its turn rather than leave it waiting.
      const verdict = isDecided ? RejectionReason.TicketReserved : reservationVerdict(ticket, order);
      if (verdict === 'wait') return 'gap';
      const decided = (ticketVersion: number) => ({
        id: order.id,
        version: order.version,
        ticket: { id: order.ticket.id, version: ticketVersion },
      });
      const change = verdict
        ? {
            $set: { lastPlacement: Math.max(lastPlacement, order.ticket.placement) },
            $push: {
              pendingEvents: pendingEvent(
                Subjects.ReservationDecided,
                { ...decided(ticket.version), outcome: 'rejected', reason: verdict },
                trace,
              ),
            },
          }
        : {
            $set: { orderId: order.id, version, lastPlacement: order.ticket.placement },
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
      return written ? 'applied' : CONFLICT;
    },
    () => new Error(`ticket ${order.ticket.id} kept changing while applying order ${order.id} v${order.version}`),
  );
}
