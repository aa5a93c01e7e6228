import { requireAuth, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { createOrderSchema } from '../api';
import { createOrderWithinLimit, type OrderLimits } from '../services/orders';

export function createOrderRouter(expirationSeconds: number, limits: OrderLimits): Router {
  return Router().post('/api/orders', requireAuth, async (req, res) => {
    const { ticketId } = validate(createOrderSchema, req.body);
    const order = await createOrderWithinLimit(limits, userOf(req).id, ticketId, expirationSeconds, traceOf(req));
    res.status(201).json(order);
  });
}
