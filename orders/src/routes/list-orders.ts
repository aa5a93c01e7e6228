import { requireAuth, userOf } from '@ticketing/common/http';
import { Router } from 'express';
import { Order } from '../models/order';

export function listOrdersRouter(): Router {
  return Router().get('/api/orders', requireAuth, async (req, res) => {
    const orders = await Order.find({ userId: userOf(req).id })
      .sort({ _id: 1 })
      .limit(1000)
      .populate('ticket');
    res.status(200).json(orders);
  });
}
