import type { TicketEventData } from '@ticketing/common/events';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { Types } from 'mongoose';
import { TicketCreatedListener, TicketUpdatedListener } from '../src/events/listeners/ticket-listeners';
import { Ticket } from '../src/models/ticket';

useTestDatabase();

// The listeners' logic runs against the real database; the transport is not used by onMessage.
const noTransport = {} as never;
const created = new TicketCreatedListener(noTransport);
const updated = new TicketUpdatedListener(noTransport);

const seller = new Types.ObjectId().toHexString();
let id: string;
beforeEach(() => {
  id = new Types.ObjectId().toHexString();
});
const event = (version: number, title = `v${version}`, price = 10 + version): TicketEventData => ({
  id,
  version,
  title,
  price,
  userId: seller,
});
const replica = async () => (await Ticket.findById(id))?.toJSON();

describe("ticket events applied to orders' replica", () => {
  it('When events arrive in order, then each is applied and the replica follows the source version', async () => {
    expect(await created.onMessage(event(0))).toBe('applied');
    expect(await updated.onMessage(event(1))).toBe('applied');
    expect(await updated.onMessage(event(2, 'final', 99))).toBe('applied');
    expect(await replica()).toEqual({ id, title: 'final', price: 99, version: 2 });
  });

  it('When an event is redelivered, then it is stale and changes nothing', async () => {
    await created.onMessage(event(0));
    await updated.onMessage(event(1));
    expect(await updated.onMessage(event(1, 'again'))).toBe('stale');
    expect(await created.onMessage(event(0, 'again'))).toBe('stale');
    expect(await replica()).toEqual({ id, title: 'v1', price: 11, version: 1 });
  });

  it('When a later version comes first, then it waits (gap) and applies after its predecessor', async () => {
    expect(await updated.onMessage(event(2))).toBe('gap');
    expect(await updated.onMessage(event(1))).toBe('gap'); // the ticket itself is not known yet
    expect(await replica()).toBeUndefined();

    expect(await created.onMessage(event(0))).toBe('applied');
    expect(await updated.onMessage(event(2))).toBe('gap');
    expect(await updated.onMessage(event(1))).toBe('applied');
    expect(await updated.onMessage(event(2))).toBe('applied');
    expect(await replica()).toEqual({ id, title: 'v2', price: 12, version: 2 });
  });
});
