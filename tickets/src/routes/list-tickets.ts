import { Router } from 'express';
import { Ticket } from '../models/ticket';

/** Tickets still for sale: those no order holds. */
export function listTicketsRouter(): Router {
  return Router().get('/api/tickets', async (_req, res) => {
    const tickets = await Ticket.find({ orderId: null }).sort({ _id: 1 }).limit(1000);
    res.status(200).json(tickets);
  });
}
