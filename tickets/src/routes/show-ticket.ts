import { isObjectId, NotFoundError } from '@ticketing/common';
import { Router } from 'express';
import { Ticket } from '../models/ticket';

export function showTicketRouter(): Router {
  return Router().get('/api/tickets/:id', async (req, res) => {
    const ticket = isObjectId(req.params.id) ? await Ticket.findById(req.params.id) : null;
    if (!ticket) throw new NotFoundError('Ticket not found');
    res.status(200).json(ticket);
  });
}
