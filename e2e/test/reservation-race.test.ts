import { waitFor } from '@ticketing/stack/wait-for';
import type { TransportKind } from '@ticketing/testkit/bus';
import { type Client, type OrderBody, type Reply, signedUpClient, type TicketBody } from './client';
import { violations } from './fault/invariants';
import { startTestSystem, type TestSystem, ticketPair } from './system';

/**
 * The seller's edit racing a buyer's order for the same ticket, through the gateway on real processes.
 * orders places the order against the ticket version its replica has; tickets, the authority, accepts the
 * reservation only if the ticket is still free and at that version. Whoever wins, the system must end up
 * agreeing with itself: an active order's price is its ticket's price and the ticket is reserved by it;
 * a lost race is a cancelled order with its reason; nothing answers 5xx.
 */
const ROUNDS = 50;
/** Rounds run at once (each on its own ticket). */
const PARALLEL = 5;
/** How often the buyer's client asks for the order (a browser would ask far less often). */
const POLL_MS = 20;

interface Round {
  ticket: TicketBody;
  edit: Reply<TicketBody>;
  order: Reply<OrderBody>;
  /** The order as GET shows it once decided. */
  decided?: OrderBody & { reason?: string };
  /** From sending POST /api/orders to GET showing the order decided. */
  decidedInMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

describe.each<TransportKind>(['jetstream', 'stan'])('the edit/order race on %s', (transport) => {
  let system: TestSystem;
  let seller: Client;
  let buyer: Client;
  let nextBuyer: Client;

  beforeAll(async () => {
    system = await startTestSystem({ transport });
    [seller, buyer, nextBuyer] = await Promise.all([
      signedUpClient(system.gatewayUrl, 'seller'),
      signedUpClient(system.gatewayUrl, 'buyer'),
      signedUpClient(system.gatewayUrl, 'next-buyer'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  /** Waits until `client` sees the order decided (no longer `created`). */
  const decision = (client: Client, orderId: string) =>
    waitFor(
      async () => {
        const shown = await client.get<OrderBody & { reason?: string }>(`/api/orders/${orderId}`);
        return shown.body.status === 'created' ? undefined : shown.body;
      },
      { description: `a decision on order ${orderId}`, intervalMs: POLL_MS, timeoutMs: 15_000 },
    );

  /** One round: list a ticket at 10, wait until orders can sell it, then edit to 999 and order it at once. */
  async function race(index: number): Promise<Round> {
    const listed = await seller.post<TicketBody>('/api/tickets', { title: `Race ${index}`, price: 10 });
    expect(listed.status).toBe(201);
    const ticket = listed.body;
    await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, { description: `replica of ${ticket.id}` });

    // A head start of up to 60 ms for one side or the other, so every order of arrival occurs.
    const skew = ((index % 10) - 3) * 10;
    const started = Date.now();
    const [edit, order] = await Promise.all([
      sleep(Math.max(0, skew)).then(() => seller.put<TicketBody>(`/api/tickets/${ticket.id}`, { title: `Race ${index}`, price: 999 })),
      sleep(Math.max(0, -skew)).then(() => buyer.post<OrderBody>('/api/orders', { ticketId: ticket.id })),
    ]);
    const round: Round = { ticket, edit, order };
    if (order.status !== 201) return round;

    const orderSent = started + Math.max(0, -skew);
    round.decided = await decision(buyer, order.body.id);
    round.decidedInMs = Date.now() - orderSent;
    return round;
  }

  it(`When the seller edits while a buyer orders, ${ROUNDS} times, then every order ends confirmed at its ticket's price or cancelled with its reason`, async () => {
    const rounds: Round[] = [];
    for (let first = 0; first < ROUNDS; first += PARALLEL) {
      rounds.push(...(await Promise.all(Array.from({ length: Math.min(PARALLEL, ROUNDS - first) }, (_, i) => race(first + i)))));
    }

    // Nothing failed on the server, and every answer is one the contract allows.
    for (const { edit, order } of rounds) {
      expect([200, 400]).toContain(edit.status);
      expect([201, 400]).toContain(order.status);
    }

    // Converged: every service agrees (the fault suite's invariants, without a load ledger).
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await violations(system.db, { tickets: new Map(), orders: new Map(), payments: new Set() }, 3_000);
        return last.length === 0;
      },
      { description: 'convergence', timeoutMs: 30_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error([err.message, ...last.slice(0, 20)].join('\n'));
    });

    const won: Round[] = [];
    const reasons: Record<string, number> = {};
    for (const round of rounds) {
      const ticket = (await seller.get<TicketBody>(`/api/tickets/${round.ticket.id}`)).body;
      if (round.decided?.status === 'awaiting:payment') {
        won.push(round);
        // The active order holds the ticket, at the price of the version it reserved; the edit was refused.
        expect(ticket.orderId).toBe(round.decided.id);
        expect(round.decided.ticket.price).toBe(ticket.price);
        if (round.edit.status === 200) expect(ticket.price).toBe(999);
        else expect(ticket.price).toBe(10);
      } else if (round.decided) {
        expect(round.decided.status).toBe('cancelled');
        expect(['ticket changed', 'ticket reserved']).toContain(round.decided.reason);
        reasons[round.decided.reason ?? ''] = (reasons[round.decided.reason ?? ''] ?? 0) + 1;
        // The lost race left the ticket free, as the seller edited it.
        expect(ticket.orderId).toBeUndefined();
        expect(round.edit.status).toBe(200);
        expect(ticket.price).toBe(999);
      }
    }

    const times = rounds.flatMap((r) => (r.decidedInMs === undefined ? [] : [r.decidedInMs]));
    const figures = {
      transport,
      rounds: rounds.length,
      ordersPlaced: rounds.filter((r) => r.order.status === 201).length,
      ordersRefusedAt201: rounds.filter((r) => r.order.status !== 201).length,
      won: won.length,
      rejected: reasons,
      editsAccepted: rounds.filter((r) => r.edit.status === 200).length,
      orderToDecisionMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) },
    };
    process.stdout.write(`\nreservation race figures: ${JSON.stringify(figures)}\n`);
    expect(figures.ordersPlaced).toBe(ROUNDS);
  }, 240_000);

  it('When a buyer orders a ticket the moment its previous holder cancelled, then the reservation is accepted: reservations that came and went do not change the ticket', async () => {
    const outcomes: Array<{ status: string; reason?: string }> = [];
    for (let round = 0; round < 8; round++) {
      const ticket = (await seller.post<TicketBody>('/api/tickets', { title: `Handed on ${round}`, price: 10 })).body;
      await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, { description: `replica of ${ticket.id}` });
      const first = await buyer.post<OrderBody>('/api/orders', { ticketId: ticket.id });
      expect((await decision(buyer, first.body.id)).status).toBe('awaiting:payment');

      expect((await buyer.delete(`/api/orders/${first.body.id}`)).status).toBe(204);
      const next = await nextBuyer.post<OrderBody>('/api/orders', { ticketId: ticket.id });
      expect(next.status).toBe(201);
      const decided = await decision(nextBuyer, next.body.id);
      outcomes.push({ status: decided.status, reason: decided.reason });
      if (decided.status === 'awaiting:payment') {
        expect((await seller.get<TicketBody>(`/api/tickets/${ticket.id}`)).body).toMatchObject({ orderId: next.body.id, price: 10 });
      }
    }
    expect(outcomes).toEqual(Array(8).fill({ status: 'awaiting:payment', reason: undefined }));
  }, 120_000);
});
