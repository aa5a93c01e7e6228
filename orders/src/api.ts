import { CANCEL_REASONS, ORDER_STATUSES } from '@ticketing/common/events';
import { type ApiRoute, errorResponse, healthRoutes, idParams, isObjectId, requiredString, UNAUTHORIZED } from '@ticketing/common/http';
import { z } from 'zod';

/** orders' HTTP API: what each route accepts and answers (the OpenAPI document is generated from this). */

export const createOrderSchema = z.object({
  ticketId: requiredString('Ticket id').refine(isObjectId, 'Ticket id must be a valid id'),
});

/** orders' copy of a ticket, as an order shows it. */
const orderTicketSchema = z
  .object({ id: z.string(), title: z.string(), price: z.number(), version: z.number().int() })
  .meta({ id: 'OrderTicket' });

export const orderSchema = z
  .object({
    id: z.string(),
    userId: z.string().meta({ description: 'The buyer.' }),
    status: z.enum(ORDER_STATUSES).meta({
      description:
        '`created` (waiting for tickets to accept the reservation) → `awaiting:payment` → `complete`; or `cancelled` (by the buyer, on expiry, or the reservation rejected: see `reason`).',
    }),
    reason: z.enum(CANCEL_REASONS).optional().meta({ description: 'Why the order was cancelled.' }),
    expiresAt: z.iso.datetime().meta({ description: 'When an unpaid order is cancelled and its ticket freed.' }),
    version: z.number().int(),
    ticket: orderTicketSchema.nullable(),
  })
  .meta({ id: 'Order' });

const NOT_YOURS = errorResponse('No valid session, or the order is not yours.');
const NOT_FOUND = errorResponse('No order with this id.');

export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/orders',
    summary: 'Order a ticket: it is reserved for the buyer until the order expires',
    description:
      'The order starts `created`; it becomes `awaiting:payment` once tickets accepts the reservation, or `cancelled` with a reason.',
    auth: true,
    request: { body: createOrderSchema },
    responses: {
      201: { description: 'Created.', schema: orderSchema },
      400: errorResponse('Not a ticket id, your own ticket, already reserved, or too many active orders.'),
      401: UNAUTHORIZED,
      404: errorResponse('No ticket with this id (or its event has not reached orders yet).'),
      409: errorResponse('The order changed too often while this request was applied; try again.'),
    },
  },
  {
    method: 'get',
    path: '/api/orders',
    summary: "The signed-in buyer's orders, oldest first",
    auth: true,
    responses: { 200: { description: 'Up to 1,000 orders.', schema: z.array(orderSchema) }, 401: UNAUTHORIZED },
  },
  {
    method: 'get',
    path: '/api/orders/:id',
    summary: 'One of your orders',
    auth: true,
    request: { params: idParams('order') },
    responses: { 200: { description: 'The order.', schema: orderSchema }, 401: NOT_YOURS, 404: NOT_FOUND },
  },
  {
    method: 'delete',
    path: '/api/orders/:id',
    summary: 'Cancel one of your orders (not once it is paid); its ticket is free again',
    auth: true,
    request: { params: idParams('order') },
    responses: {
      204: { description: 'Cancelled (or it already was).' },
      400: errorResponse('The order is complete (paid).'),
      401: NOT_YOURS,
      404: NOT_FOUND,
      409: errorResponse('The order changed too often while this request was applied; try again.'),
    },
  },
  ...healthRoutes('/api/orders'),
];
