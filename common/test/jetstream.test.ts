import { type EventData, type JetStreamTransport, Publisher, Subjects } from '@ticketing/common';
import { closeIsolated, connectIsolated } from '@ticketing/tools/testing/nats';

/** What only JetStream offers; the behaviour shared with NATS Streaming is in transport-conformance. */

class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

const ticket = (version: number): EventData<typeof Subjects.TicketCreated> => ({
  id: 'ticket-1',
  version,
  title: 'Concert',
  price: 10,
  userId: 'u1',
});

let transports: JetStreamTransport[] = [];
afterEach(async () => {
  await closeIsolated(transports);
  transports = [];
});

describe('JetStream specifics', () => {
  it('When the payload breaks the schema, then publish rejects and nothing reaches the stream', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;

    await expect(new TicketCreatedPublisher(bus).publish({ ...ticket(0), price: -5 })).rejects.toThrow(/price/);
    expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(0);
  });

  it('When the same state is published twice, then the server keeps one copy (message id = id:version)', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const publisher = new TicketCreatedPublisher(bus);
    await publisher.publish(ticket(0));
    await publisher.publish(ticket(0));
    await publisher.publish(ticket(1));

    expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(2);
  });

  it('When the streams are provisioned, then they use file storage and a dedupe window', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const info = await bus.manager.streams.info(bus.streamName);
    expect(info.config.storage).toBe('file');
    expect(info.config.subjects).toEqual([`${bus.subjects.prefix}.>`]);
    expect(info.config.duplicate_window).toBe(120_000_000_000);
  });
});
