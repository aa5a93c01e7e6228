import { waitFor } from '@ticketing/stack/wait-for';
import { type Client, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * NATS Streaming: a listener service killed with SIGKILL (no chance to close its connection) misses
 * nothing. Events published while it is down are delivered when it is back.
 */
let system: TestSystem;
let seller: Client;

beforeAll(async () => {
  system = await startTestSystem({ transport: 'stan' });
  seller = await signedUpClient(system.gatewayUrl, 'seller');
}, 60_000);

afterAll(async () => {
  await system?.shutdown();
});

describe('end to end on stan under faults', () => {
  it('When orders is killed and tickets are listed meanwhile, then after its restart its replica has every one of them', async () => {
    const before = (await seller.post<TicketBody>('/api/tickets', { title: 'Before', price: 10 })).body;
    await waitFor(async () => (await ticketPair(system, before.id)).replica?.version === 0, { description: 'replica of the first ticket' });

    await system.services.orders.kill();
    const whileDown: TicketBody[] = [];
    for (let i = 0; i < 10; i++)
      whileDown.push((await seller.post<TicketBody>('/api/tickets', { title: `While down ${i}`, price: 20 + i })).body);
    const edited = (await seller.put<TicketBody>(`/api/tickets/${before.id}`, { title: 'Before (edited)', price: 11 })).body;
    expect(edited.version).toBe(1);

    await system.services.orders.start();

    await waitFor(
      async () => {
        const pairs = await Promise.all(whileDown.map((t) => ticketPair(system, t.id)));
        return pairs.every((p) => p.replica?.version === 0);
      },
      { description: 'all 10 tickets in the replica', timeoutMs: 60_000, intervalMs: 200 },
    );
    await waitFor(async () => (await ticketPair(system, before.id)).replica?.version === 1, {
      description: 'the edit in the replica',
      timeoutMs: 60_000,
    });
    expect(await system.db.orders.collection('tickets').countDocuments()).toBe(11);
  }, 90_000);
});
