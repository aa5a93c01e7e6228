import { useTestDatabase } from '@ticketing/testkit/mongo';
import { Types } from 'mongoose';
import request from 'supertest';
import { Ticket, type TicketAttrs } from '../src/models/ticket';
import { app } from './helpers';

useTestDatabase();

const TICKETS = 20_000;
const BATCH = 1_000;
const PAGE = 50;
/** Every this many tickets one is reserved: the list skips it. */
const RESERVED_EVERY = 25;
/** Timed requests per page, alternating first and last page so both see the same load on the machine. */
const ROUNDS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('GET /api/tickets at depth', () => {
  it('When 20,000 tickets are listed, then the last page costs about what the first does (medians within 2× of each other)', async () => {
    // Straight into the collection, in batches: ids in insertion order, as the route's cursor expects.
    const free: string[] = [];
    for (let start = 0; start < TICKETS; start += BATCH) {
      const batch: Array<TicketAttrs & { _id: Types.ObjectId }> = [];
      for (let i = start; i < start + BATCH; i++) {
        const _id = new Types.ObjectId();
        const isReserved = i % RESERVED_EVERY === 0;
        if (!isReserved) free.push(_id.toHexString());
        batch.push({
          _id,
          title: `Ticket ${i}`,
          price: 10,
          userId: 'seller',
          version: 0,
          pendingEvents: [],
          ...(isReserved ? { orderId: 'an-order' } : {}),
        });
      }
      await Ticket.collection.insertMany(batch, { ordered: false });
    }
    const newest = free.slice(-PAGE).reverse();
    const oldest = free.slice(0, PAGE).reverse();
    // The last page is the one after the 51st-oldest free ticket: the 50 oldest, and no next page.
    const lastCursor = free[PAGE];
    const firstPage = () => request(app).get(`/api/tickets?limit=${PAGE}`).expect(200);
    const lastPage = () => request(app).get(`/api/tickets?limit=${PAGE}&cursor=${lastCursor}`).expect(200);

    const first = await firstPage();
    expect(first.body.map((t: { id: string }) => t.id)).toEqual(newest);
    expect(first.get('X-Next-Cursor')).toBe(newest[PAGE - 1]);
    const last = await lastPage();
    expect(last.body.map((t: { id: string }) => t.id)).toEqual(oldest);
    expect(last.get('X-Next-Cursor')).toBeUndefined();

    const timings = { first: [] as number[], last: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [page, get] of [
        ['first', firstPage],
        ['last', lastPage],
      ] as const) {
        const started = process.hrtime.bigint();
        await get();
        timings[page].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const [firstMs, lastMs] = [median(timings.first), median(timings.last)];
    process.stdout.write(
      `GET /api/tickets on ${TICKETS} tickets: first page median ${firstMs.toFixed(1)} ms, last page median ${lastMs.toFixed(1)} ms (${ROUNDS} each)\n`,
    );
    expect(lastMs).toBeLessThanOrEqual(2 * firstMs);
    expect(firstMs).toBeLessThanOrEqual(2 * lastMs);
  }, 180_000);
});
