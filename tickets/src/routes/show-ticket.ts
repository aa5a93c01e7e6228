import { NotFoundError } from '@ticketing/common/errors';
import { isObjectId } from '@ticketing/common/http';
import { Router } from 'express';
import { Ticket, ticketView } from '../models/ticket';

const VISIBLE = { title: 1, price: 1, userId: 1, orderId: 1, version: 1 };

export function showTicketRouter(): Router {
  return Router().get('/api/tickets/:id', async (req, res) => {
    const ticket = isObjectId(req.params.id) ? await Ticket.findById(req.params.id, VISIBLE).lean() : null;
    if (!ticket) throw new NotFoundError('Ticket not found');
    res.status(200).json(ticketView(ticket));
  });
}
