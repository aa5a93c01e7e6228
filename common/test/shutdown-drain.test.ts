import { type DeliveredMessage, type EventTransport, Subjects, type TicketEventData } from '@ticketing/common/events';
import type { JetStreamTransport } from '@ticketing/common/jetstream';
import { OutboxRelay, pendingEvent } from '@ticketing/common/outbox';
import { waitFor } from '@ticketing/stack/wait-for';
import { type IsolatedBus, isolatedBus, type TransportKind } from '@ticketing/testkit/bus';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { model, Schema, Types } from 'mongoose';
import { pendingEventsField } from '../src/outbox/pending-events';

/**
 * What a stopping service does with the messages and events it holds, on the real servers: a listener
 * finishes the message in hand and gives back the ones it had buffered; the outbox relay publishes what is
 * pending before the bus closes.
 */

const ticket = (n: number): TicketEventData => ({ id: `ticket-${n}`, version: 0, title: `Concert ${n}`, price: 10, userId: 'u1' });
const encode = (data: TicketEventData) => new TextEncoder().encode(JSON.stringify(data));
const idOf = (m: DeliveredMessage) => (JSON.parse(new TextDecoder().decode(m.data)) as TicketEventData).id;

// Far longer than the waits below: only an immediate hand-back can explain a prompt redelivery.
const options = { queueGroup: 'replica-service', ackWaitMs: 30_000, maxDeliver: 5 };

describe.each<TransportKind>(['jetstream', 'stan'])('stopping a listener on %s', (kind) => {
  let bus: IsolatedBus;
  afterEach(async () => {
    await bus?.close();
  });

  it('When a replica stops with messages buffered, then the one in hand finishes and the others go to another replica at once', async () => {
    bus = await isolatedBus(kind, 2);
    const [first, second] = bus.transports;
    for (let n = 1; n <= 10; n++) await first.publish(Subjects.TicketCreated, encode(ticket(n)));

    const handledByFirst: string[] = [];
    let finishInHand!: () => void;
    const inHand = new Promise<void>((resolve) => (finishInHand = resolve));
    const subscription = await first.subscribe(Subjects.TicketCreated, options, async (m) => {
      handledByFirst.push(idOf(m));
      await inHand; // a slow handler: the rest pile up in the client's buffer
      m.ack();
    });
    await waitFor(() => handledByFirst.length === 1, { description: 'the first message in hand' });

    const handledBySecond: DeliveredMessage[] = [];
    await second.subscribe(Subjects.TicketCreated, options, async (m) => {
      handledBySecond.push(m);
      m.ack();
    });
    const stopped = subscription.stop();
    finishInHand();
    await stopped;

    expect(handledByFirst).toEqual(['ticket-1']);
    await waitFor(() => handledBySecond.length === 9, {
      description: 'the nine buffered messages at the other replica',
      timeoutMs: 10_000,
    });
    expect(handledBySecond.map(idOf).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `ticket-${i + 2}`).sort());
    expect(handledBySecond.every((m) => m.deliveryCount === 2)).toBe(true);
    await waitFor(() => bus.isSettled(options.queueGroup, Subjects.TicketCreated), { description: 'nothing left pending' });
  });
});

/** An aggregate with an outbox, shaped like the services' tickets and orders. */
const Aggregate = model(
  'ShutdownTestAggregate',
  new Schema({ title: String, version: Number, pendingEvents: pendingEventsField }, { versionKey: false }),
);

describe('stopping the outbox relay', () => {
  useTestDatabase();
  let transports: JetStreamTransport[] = [];
  afterEach(async () => {
    await closeIsolated(transports);
    transports = [];
  });

  async function commitChanges(count: number): Promise<Types.ObjectId[]> {
    const ids = Array.from({ length: count }, () => new Types.ObjectId());
    await Aggregate.insertMany(
      ids.map((_id) => ({
        _id,
        title: 'x',
        version: 0,
        pendingEvents: [pendingEvent(Subjects.TicketCreated, { ...ticket(0), id: _id.toHexString() })],
      })),
    );
    return ids;
  }

  it('When the relay stops with more events pending than one batch, then every one is published before stop resolves', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    await commitChanges(5);
    // No sweep would run before the stop: only the final flush can publish them.
    const relay = new OutboxRelay([Aggregate], bus, { batchSize: 2, sweepIntervalMs: 3_600_000 });

    await relay.stop();

    expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(5);
    expect(await relay.pendingCount()).toBe(0);
  });

  it('When the final flush cannot publish, then stop rejects and the events stay pending for the next relay', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    await commitChanges(2);
    const unreachable: EventTransport = {
      kind: bus.kind,
      signals: bus.signals,
      publish: () => Promise.reject(new Error('NATS unreachable')),
      subscribe: bus.subscribe.bind(bus),
      deadLetter: bus.deadLetter.bind(bus),
      isConnected: () => false,
      close: async () => {},
    };

    await expect(new OutboxRelay([Aggregate], unreachable).stop()).rejects.toThrow(/could not publish \(2 pending\)/);
    expect(await new OutboxRelay([Aggregate], bus).pendingCount()).toBe(2);
  });
});
