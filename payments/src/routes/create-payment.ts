import { type Logger, requireAuth, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { createPaymentSchema } from '../api';
import { pay } from '../services/payments';
import type { PaymentProvider } from '../services/stripe';

/** `POST /api/payments {token, orderId}` → `201 {id}`: the course client's contract. */
export function createPaymentRouter(provider: PaymentProvider, logger: Logger): Router {
  return Router().post('/api/payments', requireAuth, async (req, res) => {
    const { token, orderId } = validate(createPaymentSchema, req.body);
    const payment = await pay({ userId: userOf(req).id, orderId, token }, provider, logger, traceOf(req));
    res.status(201).json({ id: payment.id });
  });
}
