import { waitFor } from '@ticketing/stack/wait-for';
import type { TransportKind } from '@ticketing/testkit/bus';
import { type Client, type OrderBody, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * The whole system as real processes (auth, tickets, orders, gateway) on real NATS JetStream and a real
 * Mongo-compatible server: the buy / cancel / edit story, replica convergence and the race for a ticket,
 * once on NATS JetStream and once on NATS Streaming: the same service code, chosen by EVENT_TRANSPORT.
 */
describe.each<TransportKind>(['jetstream', 'stan'])('end to end on %s', (transport) => {
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;

  beforeAll(async () => {
    system = await startTestSystem({ transport });
    seller = await signedUpClient(system.gatewayUrl, 'seller');
    buyer = await signedUpClient(system.gatewayUrl, 'buyer');
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  async function listTicket(title: string, price: number): Promise<TicketBody> {
    const res = await seller.post<TicketBody>('/api/tickets', { title, price });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** Waits until orders' replica of the ticket has the source's version, and returns both. */
  async function converged(ticketId: string, version: number) {
    return waitFor(
      async () => {
        const pair = await ticketPair(system, ticketId);
        return pair.replica?.version === version && pair.source?.version === version ? pair : undefined;
      },
      { description: `replica of ${ticketId} at version ${version}`, timeoutMs: 15_000 },
    );
  }

  describe('real services, real NATS, real database', () => {
    it('When a ticket is bought, cancelled and edited, then every service agrees at every step', async () => {
      const ticket = await listTicket('Concert', 40);
      const created = await converged(ticket.id, 0);
      expect(created.replica).toMatchObject({ title: 'Concert', price: 40 });

      const order = await buyer.post<OrderBody>('/api/orders', { ticketId: ticket.id });
      expect(order.status).toBe(201);
      expect(order.body).toMatchObject({ status: 'created', ticket: { id: ticket.id, price: 40 } });

      // tickets hears order:created and reserves the ticket.
      await waitFor(async () => (await seller.get<TicketBody>(`/api/tickets/${ticket.id}`)).body.orderId === order.body.id, {
        description: 'the ticket to be reserved',
      });
      const refused = await seller.put(`/api/tickets/${ticket.id}`, { title: 'Concert', price: 45 });
      expect(refused.status).toBe(400);
      expect((await seller.get<TicketBody[]>('/api/tickets')).body.map((t) => t.id)).not.toContain(ticket.id);
      await converged(ticket.id, 1);

      expect((await buyer.delete(`/api/orders/${order.body.id}`)).status).toBe(204);
      await waitFor(async () => (await seller.get<TicketBody>(`/api/tickets/${ticket.id}`)).body.orderId === undefined, {
        description: 'the ticket to be freed',
      });
      const edited = await seller.put<TicketBody>(`/api/tickets/${ticket.id}`, { title: 'Concert (moved)', price: 45 });
      expect(edited.status).toBe(200);
      expect(edited.body.version).toBe(3);

      const final = await converged(ticket.id, 3);
      expect(final.replica).toMatchObject({ title: 'Concert (moved)', price: 45, version: 3 });
      expect((await buyer.get<OrderBody>(`/api/orders/${order.body.id}`)).body.status).toBe('cancelled');
    });

    it('When twenty buyers order one ticket at once through the gateway, then exactly one gets 201 and nobody a 5xx', async () => {
      const ticket = await listTicket('Final', 100);
      await converged(ticket.id, 0);
      const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => signedUpClient(system.gatewayUrl, `racer${i}`)));

      const replies = await Promise.all(buyers.map((b) => b.post<OrderBody>('/api/orders', { ticketId: ticket.id })));

      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(19);
      const winner = replies.find((r) => r.status === 201)?.body;
      await waitFor(async () => (await seller.get<TicketBody>(`/api/tickets/${ticket.id}`)).body.orderId === winner?.id, {
        description: 'the winner to hold the ticket',
      });
    });
  });
});
