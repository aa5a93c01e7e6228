import { type EventData, type JetStreamTransport, Listener, Publisher, Subjects, versionVerdict } from '@ticketing/common/events';
import { closeIsolated, connectIsolated } from '@ticketing/tools/testing/nats';
import { waitFor } from '@ticketing/tools/testing/wait-for';

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

  it('When a later version arrives first, then the gap is bridged by a short nak delay, not by the 30 s ackWait', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const applied: number[] = [];
    let current: number | undefined;
    class Replica extends Listener<typeof Subjects.TicketCreated> {
      readonly subject = Subjects.TicketCreated;
      readonly queueGroup = 'replica-service';
      protected override ackWaitMs = 30_000;
      async onMessage(data: EventData<typeof Subjects.TicketCreated>) {
        const verdict = versionVerdict(data.version, current);
        if (verdict !== 'apply') return verdict;
        current = data.version;
        applied.push(data.version);
        return 'applied' as const;
      }
    }
    await new Replica(bus).listen();

    const publisher = new TicketCreatedPublisher(bus);
    await publisher.publish(ticket(1));
    await publisher.publish(ticket(0));

    // Far below the ackWait: only the delayed nak can bring version 1 back this soon.
    await waitFor(() => applied.length === 2, { description: 'both versions', timeoutMs: 5_000 });
    expect(applied).toEqual([0, 1]);
  });

  it('When the durable consumer disappears under a listener, then the listener recreates it and keeps receiving', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const received: number[] = [];
    class Recorder extends Listener<typeof Subjects.TicketCreated> {
      readonly subject = Subjects.TicketCreated;
      readonly queueGroup = 'recreate-service';
      async onMessage(data: EventData<typeof Subjects.TicketCreated>) {
        received.push(data.version);
        return 'applied' as const;
      }
    }
    await new Recorder(bus).listen();
    const publisher = new TicketCreatedPublisher(bus);
    await publisher.publish(ticket(0));
    await waitFor(() => received.includes(0), { description: 'the first event' });

    await bus.manager.consumers.delete(bus.streamName, 'recreate-service__ticket_created');
    await publisher.publish(ticket(1));

    await waitFor(() => received.includes(1), { description: 'the event after the consumer was deleted', timeoutMs: 20_000 });
    expect(await bus.manager.consumers.info(bus.streamName, 'recreate-service__ticket_created')).toBeDefined();
  });
});
