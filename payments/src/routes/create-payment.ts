import { isObjectId, type Logger, requireAuth, requiredString, traceOf, userOf, validate } from '@ticketing/common/http';
import { Router } from 'express';
import { z } from 'zod';
import { pay } from '../services/payments';
import type { PaymentProvider } from '../services/stripe';

const createPaymentSchema = z.object({
  /** A card token from Stripe.js / Checkout (`tok_…`) or a PaymentMethod (`pm_…`). */
  token: requiredString('Token')
    .max(255, 'Token is too long')
    .regex(/^(tok|pm)_[A-Za-z0-9_]+$/, 'Token must be a Stripe card token (tok_…) or payment method (pm_…)'),
  orderId: requiredString('Order id').refine(isObjectId, 'Order id must be a valid id'),
});

/** `POST /api/payments {token, orderId}` → `201 {id}`: the course client's contract. */
export function createPaymentRouter(provider: PaymentProvider, logger: Logger): Router {
  return Router().post('/api/payments', requireAuth, async (req, res) => {
    const { token, orderId } = validate(createPaymentSchema, req.body);
    const payment = await pay({ userId: userOf(req).id, orderId, token }, provider, logger, traceOf(req));
    res.status(201).json({ id: payment.id });
  });
}
