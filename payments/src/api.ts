import { type ApiRoute, errorResponse, healthRoutes, isObjectId, requiredString } from '@ticketing/common/http';
import { z } from 'zod';

/** payments' HTTP API: what each route accepts and answers (the OpenAPI document is generated from this). */

export const createPaymentSchema = z.object({
  token: requiredString('Token')
    .max(255, 'Token is too long')
    .regex(/^(tok|pm)_[A-Za-z0-9_]+$/, 'Token must be a Stripe card token (tok_…) or payment method (pm_…)')
    .meta({ description: 'A card token from Stripe.js (`tok_…`) or a PaymentMethod (`pm_…`); `tok_visa` with stripe-mock.' }),
  orderId: requiredString('Order id').refine(isObjectId, 'Order id must be a valid id'),
});

export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/payments',
    summary: 'Pay for one of your orders (awaiting payment) with a card',
    description: "Charges the order's ticket price once: paying again answers 400 and charges nothing.",
    auth: true,
    request: { body: createPaymentSchema },
    responses: {
      201: {
        description: 'Paid; the order becomes `complete`.',
        schema: z.object({ id: z.string().meta({ description: 'The order paid.' }) }),
      },
      400: errorResponse('Malformed, the card was declined, or the order cannot be paid (cancelled, expired, already paid).'),
      401: errorResponse('No valid session, or the order is not yours.'),
      404: errorResponse('No order with this id.'),
      502: errorResponse('The payment provider could not be reached; nothing was charged, try again.'),
    },
  },
  ...healthRoutes('/api/payments'),
];
