import { requireAuth, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { createTicket } from '../services/tickets';
import { ticketInputSchema } from './ticket-input';

export function createTicketRouter(): Router {
  return Router().post('/api/tickets', requireAuth, async (req, res) => {
    const input = validate(ticketInputSchema, req.body);
    const ticket = await createTicket({ ...input, userId: userOf(req).id }, traceOf(req));
    res.status(201).json(ticket);
  });
}
