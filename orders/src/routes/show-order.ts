import { NotAuthorizedError, NotFoundError } from '@ticketing/common/errors';
import { isObjectId, requireAuth, userOf } from '@ticketing/common/http';
import { Router } from 'express';
import { Order, withTicket } from '../models/order';
import { Ticket } from '../models/ticket';

export function showOrderRouter(): Router {
  return Router().get('/api/orders/:id', requireAuth, async (req, res) => {
    const order = isObjectId(req.params.id) ? await Order.findById(req.params.id) : null;
    if (!order) throw new NotFoundError('Order not found');
    if (order.userId !== userOf(req).id) throw new NotAuthorizedError();
    res.status(200).json(withTicket(order, await Ticket.findById(order.ticket)));
  });
}
