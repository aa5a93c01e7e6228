import { type EventTransport, Subjects, type TicketEventData } from '@ticketing/common/events';
import type { JetStreamTransport } from '@ticketing/common/jetstream';
import { OutboxRelay, type OutboxRelayOptions, type PendingEvent, pendingEvent } from '@ticketing/common/outbox';
import { waitFor } from '@ticketing/stack/wait-for';
import { isolatedBus } from '@ticketing/testkit/bus';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { model, Schema, Types } from 'mongoose';
import { pendingEventsField } from '../src/outbox/pending-events';

/** An aggregate with an outbox, shaped like the services' tickets and orders. */
const Aggregate = model(
  'RelayTestAggregate',
  new Schema({ title: String, version: Number, pendingEvents: pendingEventsField }, { versionKey: false }),
);

useTestDatabase();

let transports: JetStreamTransport[] = [];
afterEach(async () => {
  await closeIsolated(transports);
  transports = [];
});

const data = (id: Types.ObjectId, version: number): TicketEventData => ({
  id: id.toHexString(),
  version,
  title: `v${version}`,
  price: 10,
  userId: 'u1',
});

/** Commits a change and its event in one write, exactly as the services do; no relay runs yet. */
async function commitChange(versions: number[]) {
  const _id = new Types.ObjectId();
  const events: PendingEvent[] = versions.map((v) => pendingEvent(v === 0 ? Subjects.TicketCreated : Subjects.TicketUpdated, data(_id, v)));
  await Aggregate.create({ _id, title: 'x', version: versions.at(-1), pendingEvents: events });
  return _id;
}

/** The real transport, except that every publish fails while `isDown()` (the server away, a leader election). */
function failingWhile(bus: JetStreamTransport, isDown: () => boolean): EventTransport {
  return {
    ...bus,
    kind: bus.kind,
    publish: (subject, payload, options) =>
      isDown() ? Promise.reject(new Error('no responders')) : bus.publish(subject, payload, options),
    subscribe: bus.subscribe.bind(bus),
    deadLetter: bus.deadLetter.bind(bus),
    isConnected: () => !isDown(),
    close: async () => {},
  };
}

async function storedMessages(bus: JetStreamTransport): Promise<string[]> {
  const info = await bus.manager.streams.info(bus.streamName);
  const out: string[] = [];
  for (let seq = info.state.first_seq; seq > 0 && seq <= info.state.last_seq; seq++) {
    const m = await bus.manager.streams.getMessage(bus.streamName, { seq });
    if (!m) continue;
    const event = m.json<TicketEventData>();
    out.push(`${m.subject.split('.').pop()} ${event.id}:${event.version}`);
  }
  return out;
}

describe('OutboxRelay on real MongoDB-compatible storage and real JetStream', () => {
  it('When the process died after the write but before publishing, then a relay started later publishes each event once, in order', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const id = await commitChange([0, 1]);

    const relay = new OutboxRelay([Aggregate], bus);
    expect(await relay.flush()).toBe(2);
    expect(await relay.flush()).toBe(0);

    expect(await storedMessages(bus)).toEqual([`ticket:created ${id}:0`, `ticket:updated ${id}:1`]);
    expect((await Aggregate.findById(id))?.pendingEvents).toHaveLength(0);
  });

  it('When the process died after publishing but before marking sent, then the re-publish is dropped by the server (exactly once)', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const id = await commitChange([0]);
    const [event] = ((await Aggregate.findById(id).lean())?.pendingEvents ?? []) as PendingEvent[];
    // The first relay's publish reached the server; then the process died before it removed the event.
    await bus.publish(event.subject, new TextEncoder().encode(event.payload), { messageId: event.messageId });

    await new OutboxRelay([Aggregate], bus).flush();

    expect(await storedMessages(bus)).toEqual([`ticket:created ${id}:0`]);
    expect((await Aggregate.findById(id))?.pendingEvents).toHaveLength(0);
  });

  it('When publishing fails, then the events stay pending and go out on a later pass', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const id = await commitChange([0]);
    let isDown = true;
    const flaky = failingWhile(bus, () => isDown);
    const relay = new OutboxRelay([Aggregate], flaky);

    expect(await relay.flush()).toBe(0);
    expect((await Aggregate.findById(id))?.pendingEvents).toHaveLength(1);

    isDown = false;
    expect(await relay.flush()).toBe(1);
    expect(await storedMessages(bus)).toEqual([`ticket:created ${id}:0`]);
  });

  it('When the sweep at start fails (the database away) and no periodic sweep runs, then it is retried until the events go out', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const id = await commitChange([0]);
    let isDown = true;
    // The real model, except that its reads fail while `isDown` (the database restarting).
    const flakyModel = new Proxy(Aggregate, {
      get: (target, property, receiver) =>
        property === 'find' && isDown
          ? () => {
              throw new Error('connection refused');
            }
          : Reflect.get(target, property, receiver),
    });
    const lines: string[] = [];
    const record = (level: string) => (fields: unknown, msg?: string) => void lines.push(`${level}: ${msg ?? fields}`);
    const logger = { warn: record('warn'), info: record('info') } as unknown as OutboxRelayOptions['logger'];
    const relay = new OutboxRelay([flakyModel], bus, { sweepIntervalMs: 0, retryIntervalMs: 50, logger });

    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 300)); // several sweeps fail meanwhile
    isDown = false;

    await waitFor(async () => (await Aggregate.findById(id).lean())?.pendingEvents.length === 0, {
      timeoutMs: 5_000,
      description: 'the event published and removed',
    });
    await relay.stop();
    expect(await storedMessages(bus)).toEqual([`ticket:created ${id}:0`]);
    expect(lines).toEqual(['warn: outbox sweep failed; retrying until it works', 'info: outbox sweep working again']);
  });

  it('When every delivery fails for a while (a leader election), then the log gets one warning and one line when delivering again', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const ids = await Promise.all([commitChange([0]), commitChange([0]), commitChange([0])]);
    let isDown = true;
    const flaky = failingWhile(bus, () => isDown);
    const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
    const record = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, msg, fields });
    const logger = { warn: record('warn'), info: record('info') } as unknown as OutboxRelayOptions['logger'];
    const relay = new OutboxRelay([Aggregate], flaky, { logger, retryIntervalMs: 50 });

    expect(await relay.flush()).toBe(0);
    expect(await relay.flush()).toBe(0);
    isDown = false;
    // Nothing failed for two retry intervals when the deliveries go through: the outage is over.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await relay.flush()).toBe(3);

    expect(lines.map(({ level, msg }) => `${level}: ${msg}`)).toEqual([
      'warn: outbox delivery failed; retrying until the bus takes events again',
      'info: outbox delivering again',
    ]);
    expect(lines[1]?.fields).toEqual({ outageMs: expect.any(Number), failedAttempts: 6 });
    expect((await storedMessages(bus)).length).toBe(ids.length);
  });

  it('When an event is committed while the relay is marking earlier ones sent, then the new one is kept and published next', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const id = await commitChange([0]);
    // Slow publisher: a change lands between the relay's read and its mark-sent.
    const slow: EventTransport = {
      kind: bus.kind,
      signals: bus.signals,
      publish: async (subject, payload, options) => {
        await bus.publish(subject, payload, options);
        await Aggregate.updateOne(
          { _id: id, version: 0 },
          { $set: { version: 1 }, $push: { pendingEvents: pendingEvent(Subjects.TicketUpdated, data(id, 1)) } },
        );
      },
      subscribe: bus.subscribe.bind(bus),
      deadLetter: bus.deadLetter.bind(bus),
      isConnected: () => true,
      close: async () => {},
    };

    await new OutboxRelay([Aggregate], slow).flush();
    expect((await Aggregate.findById(id))?.pendingEvents.map((e) => e.messageId)).toEqual([`ticket:updated/${id}:1`]);

    await new OutboxRelay([Aggregate], bus).flush();
    expect(await storedMessages(bus)).toEqual([`ticket:created ${id}:0`, `ticket:updated ${id}:1`]);
    expect((await Aggregate.findById(id))?.pendingEvents).toHaveLength(0);
  });
});

describe('OutboxRelay with a mirror (migrating between transports)', () => {
  it('When a mirror is configured, then every event reaches both JetStream and NATS Streaming', async () => {
    transports = await connectIsolated(1);
    const [jetstream] = transports;
    const stan = await isolatedBus('stan', 1);
    try {
      const received: string[] = [];
      await stan.transports[0].subscribe(
        Subjects.TicketCreated,
        { queueGroup: 'legacy-service', ackWaitMs: 1_000, maxDeliver: 5 },
        async (m) => {
          received.push(new TextDecoder().decode(m.data));
          m.ack();
        },
      );
      const id = await commitChange([0]);

      await new OutboxRelay([Aggregate], jetstream, { mirror: stan.transports[0] }).flush();

      expect(await storedMessages(jetstream)).toEqual([`ticket:created ${id}:0`]);
      await waitFor(() => received.length === 1, { description: 'the event on STAN' });
      expect(JSON.parse(received[0])).toMatchObject({ id: id.toHexString(), version: 0 });
    } finally {
      await stan.close();
    }
  });
});
