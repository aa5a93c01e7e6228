import { NotFoundError } from '@ticketing/common/errors';
import { isObjectId, requireAuth, traceOf, userOf } from '@ticketing/common/http';
import { Router } from 'express';
import { cancelOrder } from '../services/orders';

export function cancelOrderRouter(): Router {
  return Router().delete('/api/orders/:id', requireAuth, async (req, res) => {
    if (!isObjectId(req.params.id)) throw new NotFoundError('Order not found');
    await cancelOrder(req.params.id, userOf(req).id, traceOf(req));
    res.status(204).end();
  });
}
