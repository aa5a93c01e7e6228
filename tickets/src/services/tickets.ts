import { BadRequestError, HttpError, NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import { type ApplyResult, isHolding, type OrderEventData, Subjects, versionVerdict } from '@ticketing/common/events';
import type { TraceContext } from '@ticketing/common/http';
import { updateIfMatches } from '@ticketing/common/mongo';
import { pendingEvent } from '@ticketing/common/outbox';
import { Ticket, type TicketDocument, ticketEventData, tickets } from '../models/ticket';

/** How often a write is retried when another write changed the ticket between our read and our write. */
const MAX_ATTEMPTS = 5;

export interface TicketInput {
  title: string;
  price: number;
}

/** Creates the ticket and its `ticket:created` event in one insert. */
export async function createTicket(input: TicketInput & { userId: string }, trace?: TraceContext): Promise<TicketDocument> {
  const ticket = new Ticket({ ...input, version: 0 });
  ticket.pendingEvents = [pendingEvent(Subjects.TicketCreated, ticketEventData(ticket), trace)];
  return tickets.insert(ticket);
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
 * Applies an order event to the ticket it concerns: an order that holds the ticket reserves it, a
 * cancelled one frees it. The ticket remembers the last version of each order it applied, so the
 * check and the change are one conditional single-document write: duplicates are ignored and an event
 * whose predecessor is missing waits (`gap`).
 */
export async function applyOrderEvent(order: OrderEventData, trace?: TraceContext): Promise<ApplyResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // A plain read (no mongoose document): this runs for every order event. The orderVersions map then
    // arrives as the plain object it is stored as.
    const ticket = await Ticket.findById(order.ticket.id).lean();
    if (!ticket) throw new Error(`order ${order.id} refers to unknown ticket ${order.ticket.id}`);
    const known: number | undefined = (ticket.orderVersions as unknown as Record<string, number> | undefined)?.[order.id];
    const verdict = versionVerdict(order.version, known);
    if (verdict !== 'apply') return verdict === 'stale' ? 'stale' : 'gap';

    let orderId = ticket.orderId;
    if (isHolding(order.status)) orderId ??= order.id;
    else if (orderId === order.id) orderId = undefined;

    const versionPath = `orderVersions.${order.id}`;
    const filter = { _id: ticket._id, version: ticket.version, [versionPath]: known === undefined ? { $exists: false } : known };
    if (orderId === ticket.orderId) {
      // Bookkeeping only: the ticket itself does not change, so there is nothing to announce.
      if (await updateIfMatches(Ticket, filter, { $set: { [versionPath]: order.version } })) return 'applied';
      continue;
    }
    const version = ticket.version + 1;
    const changed = await tickets.update(filter, {
      $set: { [versionPath]: order.version, version, ...(orderId ? { orderId } : {}) },
      ...(orderId ? {} : { $unset: { orderId: 1 } }),
      $push: { pendingEvents: pendingEvent(Subjects.TicketUpdated, { ...ticketEventData(ticket), orderId, version }, trace) },
    });
    if (changed) return 'applied';
  }
  throw new Error(`ticket ${order.ticket.id} kept changing while applying order ${order.id} v${order.version}`);
}
