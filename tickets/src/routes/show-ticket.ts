import { NotFoundError } from '@ticketing/common/errors';
import { isObjectId } from '@ticketing/common/http';
import { GroupedReads } from '@ticketing/common/mongo';
import { Router } from 'express';
import { Types } from 'mongoose';
import { Ticket, type TicketAttrs, ticketView } from '../models/ticket';

const VISIBLE = { title: 1, price: 1, userId: 1, orderId: 1, version: 1 } as const;

type VisibleTicket = Pick<TicketAttrs, 'title' | 'price' | 'userId' | 'orderId' | 'version'> & { _id: Types.ObjectId };

export function showTicketRouter(): Router {
  // Straight to the driver: the id is checked here and the document comes back as stored, so mongoose's
  // query (casting, options, hooks) would add only CPU. The reads of one turn go as one `find` (GroupedReads).
  const tickets = new GroupedReads<VisibleTicket>(Ticket, VISIBLE);
  return Router().get('/api/tickets/:id', async (req, res) => {
    const ticket = isObjectId(req.params.id) ? await tickets.read(new Types.ObjectId(req.params.id)) : null;
    if (!ticket) throw new NotFoundError('Ticket not found');
    res.status(200).json(ticketView(ticket));
  });
}
