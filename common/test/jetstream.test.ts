import { createHash } from 'node:crypto';
import {
  DEAD_LETTER_PAYLOAD_BYTES,
  type EventData,
  Listener,
  Publisher,
  STREAM_LIMITS,
  Subjects,
  UnprocessableEventError,
  versionVerdict,
} from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { waitFor } from '@ticketing/stack/wait-for';
import { closeIsolated, connectIsolated, isolatedJetStreamNames, natsUrl } from '@ticketing/testkit/nats';

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

  it('When events are published during one turn of the event loop, then they go to the server in one socket write, all stored', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    // The client's socket writer (nats.js internals): each call is one write to the server.
    const { transport } = (bus.connection as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol;
    const send = jest.spyOn(transport, 'send');
    const publisher = new TicketCreatedPublisher(bus);
    // Twenty callbacks of one turn, as the completions of twenty database writes are: microtasks run between
    // them, so without batching each publish would be a write of its own. (Immediates queued together run in
    // one phase of one turn; timers of 0 ms may fall into two turns on a busy machine.)
    const published = Array.from(
      { length: 20 },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          setImmediate(() => publisher.publish({ ...ticket(0), id: `ticket-${i}` }).then(resolve, reject));
        }),
    );
    await Promise.all(published);

    expect(send).toHaveBeenCalledTimes(1);
    expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(20);
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
      protected override readonly policies = { ackWaitMs: 30_000 };
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

describe('bounded streams', () => {
  it('When the streams are created, then they are bounded by age and size, discard the oldest, and refuse an event over 64 KiB', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const events = (await bus.manager.streams.info(bus.streamName)).config;
    const deadLetters = (await bus.manager.streams.info(bus.deadLetterStreamName)).config;
    const ns = (ms: number) => ms * 1_000_000;

    expect(events).toMatchObject({
      retention: 'limits',
      discard: 'old',
      max_age: ns(STREAM_LIMITS.eventsMaxAgeMs),
      max_bytes: STREAM_LIMITS.eventsMaxBytes,
    });
    expect(events.max_msg_size).toBe(64 * 1024);
    expect(deadLetters).toMatchObject({
      discard: 'old',
      max_age: ns(STREAM_LIMITS.deadLettersMaxAgeMs),
      max_bytes: STREAM_LIMITS.deadLettersMaxBytes,
    });

    await expect(bus.publish(Subjects.TicketCreated, new Uint8Array(65 * 1024))).rejects.toThrow(/size|exceeds/i);
    expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(0);
  });

  it('When a stream exists with other bounds, then connecting brings them to the configured ones', async () => {
    const names = isolatedJetStreamNames();
    transports = await connectIsolated(1, names);
    const [first] = transports;
    await first.manager.streams.update(first.streamName, { max_age: 0, max_bytes: -1 });

    const again = await JetStreamTransport.connect({ servers: natsUrl(), ...names, limits: { eventsMaxAgeMs: 600_000 } });
    transports.push(again);
    expect((await again.manager.streams.info(again.streamName)).config).toMatchObject({
      max_age: 600_000 * 1_000_000,
      max_bytes: STREAM_LIMITS.eventsMaxBytes,
    });
  });
});

describe('dead letters that cannot grow without bound', () => {
  class Strict extends Listener<typeof Subjects.TicketCreated> {
    readonly subject = Subjects.TicketCreated;
    readonly queueGroup = 'strict-service';
    async onMessage(data: EventData<typeof Subjects.TicketCreated>): Promise<'applied'> {
      throw new UnprocessableEventError(`ticket ${data.id} names a seller that cannot exist`);
    }
  }

  it('When a payload is larger than a dead letter keeps, then the record holds its start, its size and its SHA-256', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    await new Strict(bus).listen();
    const junk = JSON.stringify({ id: 'x', junk: 'j'.repeat(40_000) });
    await bus.publish(Subjects.TicketCreated, new TextEncoder().encode(junk));

    const [letter] = await waitFor(async () => {
      const letters = await bus.listDeadLetters();
      return letters.length === 1 ? letters : undefined;
    });
    expect(letter).toMatchObject({
      reason: expect.stringMatching(/^invalid payload/),
      payloadBytes: junk.length,
      payloadSha256: createHash('sha256').update(junk).digest('hex'),
      isTruncated: true,
      deliveryCount: 1,
    });
    expect(letter.payload).toBe(junk.slice(0, DEAD_LETTER_PAYLOAD_BYTES));
  });

  it('When a handler finds the event unprocessable, then it is dead-lettered at its first delivery with the reason', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    await new Strict(bus).listen();
    await new TicketCreatedPublisher(bus).publish(ticket(0));

    const [letter] = await waitFor(async () => {
      const letters = await bus.listDeadLetters();
      return letters.length === 1 ? letters : undefined;
    });
    expect(letter).toMatchObject({ deliveryCount: 1, reason: 'unprocessable: ticket ticket-1 names a seller that cannot exist' });
    expect(letter.isTruncated).toBeUndefined();
  });
});
