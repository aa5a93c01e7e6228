import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '@ticketing/stack/wait-for';
import { type Client, type OrderBody, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem } from './system';

/**
 * One request followed across services on JetStream: the request id (and the W3C trace id) of the HTTP
 * request that caused an event appear in the log lines of the listeners that apply it, also one hop further
 * (an order's request → tickets reserves the ticket → orders applies the ticket's update).
 */

interface LogLine {
  msg?: string;
  subject?: string;
  id?: string;
  requestId?: string;
  traceparent?: string;
  req?: { id?: string };
}

describe('one request followed across services (JetStream)', () => {
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;

  beforeAll(async () => {
    // Each handled event is logged at debug level.
    system = await startTestSystem({ env: { tickets: { LOG_LEVEL: 'debug' }, orders: { LOG_LEVEL: 'debug' } } });
    seller = await signedUpClient(system.gatewayUrl, 'seller');
    buyer = await signedUpClient(system.gatewayUrl, 'buyer');
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  const logOf = (service: string): LogLine[] =>
    readFileSync(path.join(system.logDir, `${service}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];
  const handled = (service: string, subject: string, requestId: string) =>
    waitFor(() => logOf(service).find((l) => l.msg === 'event handled' && l.subject === subject && l.requestId === requestId), {
      description: `${service}'s log line for ${subject} of request ${requestId}`,
      timeoutMs: 15_000,
    });

  it('When a request creates a ticket, then its request id and trace id are in the tickets request log and in the orders listener log', async () => {
    const requestId = `sell-${randomBytes(6).toString('hex')}`;
    const traceId = randomBytes(16).toString('hex');
    const res = await seller.post<TicketBody>(
      '/api/tickets',
      { title: 'Traced', price: 12 },
      {
        'x-request-id': requestId,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    );
    expect(res.status).toBe(201);

    // The request's line is written once the response has gone out.
    const requestLine = await waitFor(() => logOf('tickets').find((l) => l.req?.id === requestId), { description: 'the request line' });
    expect(traceIdOf(requestLine.traceparent)).toBe(traceId);
    const listenerLine = await handled('orders', 'ticket:created', requestId);
    expect(traceIdOf(listenerLine.traceparent)).toBe(traceId);
  });

  it('When a request places an order, then its id follows the order to tickets and the ticket update back to orders', async () => {
    const ticket = await seller.post<TicketBody>('/api/tickets', { title: 'Two hops', price: 20 });
    await waitFor(() => logOf('orders').some((l) => l.msg === 'event handled' && l.id === ticket.body.id), {
      description: "the ticket in orders' replica",
    });
    const requestId = `buy-${randomBytes(6).toString('hex')}`;
    const order = await buyer.post<OrderBody>('/api/orders', { ticketId: ticket.body.id }, { 'x-request-id': requestId });
    expect(order.status).toBe(201);

    const inTickets = await handled('tickets', 'order:created', requestId);
    const backInOrders = await handled('orders', 'ticket:updated', requestId);
    const requestLine = await waitFor(() => logOf('orders').find((l) => l.req?.id === requestId), { description: 'the request line' });
    // One trace: the request in orders, its event in tickets, and the event tickets wrote in turn.
    expect(traceIdOf(inTickets.traceparent)).toBe(traceIdOf(requestLine.traceparent));
    expect(traceIdOf(backInOrders.traceparent)).toBe(traceIdOf(requestLine.traceparent));
  });
});
