import { isObjectId, requireAuth, requiredString, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { z } from 'zod';
import { createOrderWithinLimit, type OrderLimits } from '../services/orders';

const createOrderSchema = z.object({
  ticketId: requiredString('Ticket id').refine(isObjectId, 'Ticket id must be a valid id'),
});

export function createOrderRouter(expirationSeconds: number, limits: OrderLimits): Router {
  return Router().post('/api/orders', requireAuth, async (req, res) => {
    const { ticketId } = validate(createOrderSchema, req.body);
    const order = await createOrderWithinLimit(limits, userOf(req).id, ticketId, expirationSeconds, traceOf(req));
    res.status(201).json(order);
  });
}
