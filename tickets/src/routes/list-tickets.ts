import { isFerretDb } from '@ticketing/common/mongo';
import { Router } from 'express';
import { Ticket, ticketView } from '../models/ticket';

/** At most this many tickets in one answer. */
const MAX_LISTED = 1000;

/**
 * Tickets still for sale: those no order holds, oldest first. On MongoDB the sort walks the `_id` index. On
 * FerretDB a sort reads and orders the whole collection, while its natural order already is insertion order
 * (≈ `_id` order): without the sort, the read stops after the first page of matches.
 */
export function listTicketsRouter(): Router {
  return Router().get('/api/tickets', async (_req, res) => {
    const query = Ticket.find({ orderId: null }, { title: 1, price: 1, userId: 1, orderId: 1, version: 1 }).limit(MAX_LISTED);
    if (!isFerretDb()) query.sort({ _id: 1 });
    const tickets = await query.lean();
    res.status(200).json(tickets.map(ticketView));
  });
}
