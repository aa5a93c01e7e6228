import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetStreamNames } from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { stderrLog } from '@ticketing/stack/log';
import { type NatsServer, startNats } from '@ticketing/stack/nats';
import { adminUrl, natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import { waitFor } from '@ticketing/stack/wait-for';
import { type Client, type OrderBody, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * Faults on real processes: orders that expire on their own, and a tickets service killed with SIGKILL
 * after committing a change whose event it could not publish yet. This file runs its own NATS server so
 * pausing it does not disturb other test files.
 */

/** This file's own NATS server admits the same identities as the run's (services connect as themselves). */
const natsPasswords = natsPasswordsFromEnv();
const asAdmin = (url: string) => adminUrl(url, natsPasswords);
let nats: NatsServer;
let natsDir: string;
let system: TestSystem;
let seller: Client;
let buyer: Client;

beforeAll(async () => {
  natsDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-nats-'));
  nats = await startNats(natsDir, stderrLog, natsPasswords);
  system = await startTestSystem({
    natsUrl: asAdmin(nats.url),
    env: { orders: { ORDER_EXPIRATION_SECONDS: '2', EXPIRY_SWEEP_INTERVAL_MS: '200' } },
  });
  seller = await signedUpClient(system.gatewayUrl, 'seller');
  buyer = await signedUpClient(system.gatewayUrl, 'buyer');
}, 60_000);

afterAll(async () => {
  await system?.shutdown();
  await nats?.process.stop();
  rmSync(natsDir, { recursive: true, force: true });
});

async function replicaVersion(ticketId: string, version: number) {
  await waitFor(async () => (await ticketPair(system, ticketId)).replica?.version === version, {
    description: `orders' replica at version ${version}`,
    timeoutMs: 20_000,
  });
}

describe('end to end under faults', () => {
  it('When an order is not paid before it expires, then it is cancelled automatically and the ticket freed', async () => {
    const ticket = (await seller.post<TicketBody>('/api/tickets', { title: 'Matinee', price: 15 })).body;
    await replicaVersion(ticket.id, 0);
    const order = (await buyer.post<OrderBody>('/api/orders', { ticketId: ticket.id })).body;
    expect(order.status).toBe('created');

    await waitFor(async () => (await buyer.get<OrderBody>(`/api/orders/${order.id}`)).body.status === 'cancelled', {
      description: 'the order to expire',
      timeoutMs: 15_000,
    });
    await waitFor(async () => (await seller.get<TicketBody>(`/api/tickets/${ticket.id}`)).body.orderId === undefined, {
      description: 'the ticket to be freed',
    });
    await replicaVersion(ticket.id, 2);
  });

  it('When tickets is killed after committing an edit it could not publish, then after a restart the event goes out exactly once', async () => {
    const ticket = (await seller.post<TicketBody>('/api/tickets', { title: 'Ballet', price: 30 })).body;
    await replicaVersion(ticket.id, 0);

    nats.process.signal('SIGSTOP'); // NATS hangs: the commit succeeds, the publish cannot complete
    try {
      const edit = await seller.put<TicketBody>(`/api/tickets/${ticket.id}`, { title: 'Ballet (new cast)', price: 35 });
      expect(edit.status).toBe(200);
      await system.services.tickets.kill();
    } finally {
      nats.process.signal('SIGCONT');
    }
    expect((await ticketPair(system, ticket.id)).source?.pendingEvents).toHaveLength(1);

    await system.services.tickets.start();
    await replicaVersion(ticket.id, 1);
    const { source, replica } = await ticketPair(system, ticket.id);
    expect(replica).toMatchObject({ title: 'Ballet (new cast)', price: 35, version: 1 });
    expect(source?.pendingEvents).toHaveLength(0);

    // Exactly once on the wire: one message for <id>:1 in the stream, whatever the killed process managed to send.
    const bus = await JetStreamTransport.connect({ servers: asAdmin(nats.url), ...jetStreamNames(system.namespace) });
    try {
      const info = await bus.manager.streams.info(bus.streamName);
      const announced: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await bus.manager.streams.getMessage(bus.streamName, { seq });
        const event = message?.json<{ id: string; version: number }>();
        if (event?.id === ticket.id) announced.push(`${message?.subject.split('.').pop()} v${event.version}`);
      }
      expect(announced).toEqual(['ticket:created v0', 'ticket:updated v1']);
    } finally {
      await bus.close();
    }
  });
});
