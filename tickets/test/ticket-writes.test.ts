import { useTestDatabase } from '@ticketing/testkit/mongo';
import { newUser } from '@ticketing/testkit/session';
import { Ticket } from '../src/models/ticket';
import { createTicket, updateTicket } from '../src/services/tickets';

useTestDatabase();

const seller = newUser('seller');

describe('conditional writes on tickets', () => {
  it('When a write is conditional on a version that has moved on, then it matches nothing and changes nothing', async () => {
    const ticket = await createTicket({ title: 'Concert', price: 20, userId: seller.id });
    await updateTicket(ticket.id, seller.id, { title: 'Concert II', price: 21 });

    const stale = await Ticket.updateOne({ _id: ticket.id, version: 0 }, { $set: { title: 'stale write', version: 1 } });

    expect(stale.matchedCount).toBe(0);
    const stored = await Ticket.findById(ticket.id);
    expect(stored?.title).toBe('Concert II');
    expect(stored?.version).toBe(1);
  });

  it('When ten edits race, then none is lost: every accepted edit is one version step with its own event', async () => {
    const ticket = await createTicket({ title: 'Concert', price: 20, userId: seller.id });

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => updateTicket(ticket.id, seller.id, { title: `Edit ${i}`, price: 20 + i })),
    );

    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    const stored = await Ticket.findById(ticket.id);
    // Each successful edit is one version step; an edit that lost five races in a row reports 409 and changed nothing.
    expect(stored?.version).toBe(succeeded);
    expect(succeeded).toBeGreaterThan(0);
    const versions = stored?.pendingEvents.map((e) => JSON.parse(e.payload).version);
    expect(versions).toEqual(Array.from({ length: succeeded + 1 }, (_, v) => v));
  });
});
