import { isObjectId, NotFoundError, requireAuth, userOf } from '@ticketing/common';
import { Router } from 'express';
import { cancelOrder } from '../services/orders';

export function cancelOrderRouter(onChange: () => void): Router {
  return Router().delete('/api/orders/:id', requireAuth, async (req, res) => {
    if (!isObjectId(req.params.id)) throw new NotFoundError('Order not found');
    const { isChanged } = await cancelOrder(req.params.id, userOf(req).id);
    if (isChanged) onChange();
    res.status(204).end();
  });
}
