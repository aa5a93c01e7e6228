import { NotFoundError } from '@ticketing/common/errors';
import { isObjectId, requireAuth, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { updateTicket } from '../services/tickets';
import { ticketInputSchema } from './ticket-input';

export function updateTicketRouter(): Router {
  return Router().put('/api/tickets/:id', requireAuth, async (req, res) => {
    if (!isObjectId(req.params.id)) throw new NotFoundError('Ticket not found');
    const input = validate(ticketInputSchema, req.body);
    const ticket = await updateTicket(req.params.id, userOf(req).id, input, traceOf(req));
    res.status(200).json(ticket);
  });
}
