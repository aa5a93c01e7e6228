import { type ApiRoute, errorResponse, healthRoutes, idParams, isObjectId, UNAUTHORIZED } from '@ticketing/common/http';
import { z } from 'zod';
import { ticketInputSchema } from './routes/ticket-input';

/** tickets' HTTP API: what each route accepts and answers (the OpenAPI document is generated from this). */

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

/** `GET /api/tickets?limit=&cursor=`. */
export const pageSchema = z.object({
  limit: z.coerce
    .number({ error: 'Limit must be a number' })
    .int('Limit must be a whole number')
    .min(1, 'Limit must be at least 1')
    .max(MAX_PAGE, `Limit must be at most ${MAX_PAGE}`)
    .default(DEFAULT_PAGE)
    .meta({ description: `Tickets per page, 1–${MAX_PAGE}.` }),
  cursor: z
    .string({ error: 'Cursor must be a string' })
    .refine(isObjectId, 'Cursor must be a ticket id from a previous page')
    .optional()
    .meta({ description: 'Where the page starts: the `X-Next-Cursor` of the previous page.' }),
});

/** A ticket as every route shows it (`ticketView`). */
export const ticketSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    price: z.number().meta({ description: 'In the currency of the shop, at most 2 decimals.' }),
    userId: z.string().meta({ description: 'The seller.' }),
    version: z.number().int().meta({ description: 'Starts at 0; +1 with every change.' }),
    orderId: z.string().optional().meta({ description: 'The order holding the ticket, while one does.' }),
  })
  .meta({ id: 'Ticket' });

export type TicketView = z.infer<typeof ticketSchema>;

const NOT_FOUND = errorResponse('No ticket with this id.');
const CONFLICT = errorResponse('The ticket changed too often while this request was applied; try again.');

export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/tickets',
    summary: 'Sell a ticket',
    auth: true,
    request: { body: ticketInputSchema },
    responses: {
      201: { description: 'Created, at version 0.', schema: ticketSchema },
      400: errorResponse('The title or price is not acceptable; each error names its field.'),
      401: UNAUTHORIZED,
    },
  },
  {
    method: 'get',
    path: '/api/tickets',
    summary: 'Tickets for sale, newest first, a page at a time',
    description: 'Tickets no order holds. When more follow, `Link` (`rel="next"`) and `X-Next-Cursor` name the next page.',
    auth: false,
    request: { query: pageSchema },
    responses: {
      200: {
        description: 'One page.',
        schema: z.array(ticketSchema),
        headers: { Link: 'The next page, `rel="next"` (absent on the last page).', 'X-Next-Cursor': 'The cursor of the next page.' },
      },
      400: errorResponse('`limit` or `cursor` is not acceptable.'),
    },
  },
  {
    method: 'get',
    path: '/api/tickets/:id',
    summary: 'One ticket',
    auth: false,
    request: { params: idParams('ticket') },
    responses: { 200: { description: 'The ticket.', schema: ticketSchema }, 404: NOT_FOUND },
  },
  {
    method: 'put',
    path: '/api/tickets/:id',
    summary: "Change a ticket's title and price (its seller only; not while an order holds it)",
    auth: true,
    request: { params: idParams('ticket'), body: ticketInputSchema },
    responses: {
      200: { description: 'Changed; the version is one more.', schema: ticketSchema },
      400: errorResponse('The title or price is not acceptable, or an order holds the ticket.'),
      401: errorResponse('No valid session, or the ticket is not yours.'),
      404: NOT_FOUND,
      409: CONFLICT,
    },
  },
  ...healthRoutes('/api/tickets'),
];
