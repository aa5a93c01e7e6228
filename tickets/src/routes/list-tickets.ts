import { validate } from '@ticketing/common/http';
import { Router } from 'express';
import { Types } from 'mongoose';
import { pageSchema } from '../api';
import { Ticket, ticketView } from '../models/ticket';

/**
 * Tickets still for sale (those no order holds), newest first, a page at a time:
 * `GET /api/tickets?limit=50&cursor=<id>`. The body stays an array (what the course client reads); when more
 * follow, the `Link` header names the next page (`rel="next"`) and `X-Next-Cursor` its cursor — the last id of
 * this page. The order is the `_id` index walked backwards from the cursor, so a page costs the same at any
 * depth (about a page of documents read, plus the reserved tickets skipped on the way).
 */
export function listTicketsRouter(): Router {
  return Router().get('/api/tickets', async (req, res) => {
    const { limit, cursor } = validate(pageSchema, { limit: req.query.limit, cursor: req.query.cursor });
    const filter = { orderId: null, ...(cursor ? { _id: { $lt: new Types.ObjectId(cursor) } } : {}) };
    const page = await Ticket.find(filter, { title: 1, price: 1, userId: 1, orderId: 1, version: 1 })
      .sort({ _id: -1 })
      .limit(limit + 1)
      .lean();
    const tickets = page.slice(0, limit);
    if (page.length > limit) {
      const next = String(tickets[tickets.length - 1]._id);
      res.setHeader('X-Next-Cursor', next);
      res.setHeader('Link', `</api/tickets?limit=${limit}&cursor=${next}>; rel="next"`);
    }
    res.status(200).json(tickets.map(ticketView));
  });
}
