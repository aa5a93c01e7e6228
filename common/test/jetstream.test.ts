import {
  type EventData,
  type EventTransport,
  type JetStreamTransport,
  Listener,
  type MessageContext,
  Publisher,
  Subjects,
  versionVerdict,
} from '@ticketing/common';
import { closeIsolated, connectIsolated } from '@ticketing/tools/testing/nats';
import { waitFor } from '@ticketing/tools/testing/wait-for';

type TicketCreated = typeof Subjects.TicketCreated;
type Handler = (data: EventData<TicketCreated>, message: MessageContext) => Promise<void>;

class TicketCreatedPublisher extends Publisher<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

/** A listener whose behaviour each test supplies; short ackWait so redelivery is quick. */
class TestListener extends Listener<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  protected override ackWaitMs = 500;
  protected override maxDeliver = 5;

  constructor(
    transport: EventTransport,
    readonly queueGroup: string,
    private readonly handler: Handler,
  ) {
    super(transport);
  }

  async onMessage(data: EventData<TicketCreated>, message: MessageContext): Promise<undefined> {
    await this.handler(data, message); // settles the message itself
    return undefined;
  }
}

const ticket = (n: number): EventData<TicketCreated> => ({
  id: `ticket-${n}`,
  version: 0,
  title: `Concert ${n}`,
  price: 10 + n,
  userId: 'user-1',
});

let transports: JetStreamTransport[] = [];
afterEach(async () => {
  await closeIsolated(transports);
  transports = [];
});

/** Consumer state as the server sees it: nothing pending or unacknowledged means nothing will come back. */
async function consumerIsIdle(transport: JetStreamTransport, durable: string): Promise<boolean> {
  const info = await transport.manager.consumers.info(transport.streamName, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

describe('Publisher and Listener on a real JetStream server', () => {
  it('When an event is published, then the listener receives the typed, validated payload', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const received: EventData<TicketCreated>[] = [];
    await new TestListener(bus, 'orders-service', async (data, msg) => {
      received.push(data);
      msg.ack();
    }).listen();

    await new TicketCreatedPublisher(bus).publish({ ...ticket(1), orderId: 'order-9' });

    await waitFor(() => received.length === 1, { description: 'the event' });
    expect(received[0]).toEqual({ ...ticket(1), orderId: 'order-9' });
    expect(typeof received[0].price).toBe('number');
  });

  it('When the payload breaks the schema, then publish rejects and nothing is sent', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const bad = { ...ticket(1), price: -5 };

    await expect(new TicketCreatedPublisher(bus).publish(bad)).rejects.toThrow(/price/);
    const info = await bus.manager.streams.info(bus.streamName);
    expect(info.state.messages).toBe(0);
  });

  it('When the same state is published twice, then the server keeps one copy (message id = id:version)', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const publisher = new TicketCreatedPublisher(bus);
    await publisher.publish(ticket(1));
    await publisher.publish(ticket(1));
    await publisher.publish({ ...ticket(1), version: 1 });

    const info = await bus.manager.streams.info(bus.streamName);
    expect(info.state.messages).toBe(2);
  });

  it('When two replicas share a queue group, then each event is handled exactly once between them', async () => {
    transports = await connectIsolated(3);
    const [replicaA, replicaB, publisherBus] = transports;
    const seen: Array<{ replica: string; id: string }> = [];
    for (const [name, bus] of [
      ['a', replicaA],
      ['b', replicaB],
    ] as const) {
      await new TestListener(bus, 'orders-service', async (data, msg) => {
        seen.push({ replica: name, id: data.id });
        msg.ack();
      }).listen();
    }

    const publisher = new TicketCreatedPublisher(publisherBus);
    for (let i = 0; i < 40; i++) await publisher.publish(ticket(i));

    await waitFor(() => seen.length >= 40, { description: '40 deliveries' });
    await waitFor(() => consumerIsIdle(replicaA, 'orders-service__ticket_created'), { description: 'consumer idle' });
    const ids = seen.map((s) => s.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('When two different services listen, then each receives every event', async () => {
    transports = await connectIsolated(2);
    const [bus, publisherBus] = transports;
    const byGroup: Record<string, string[]> = { 'orders-service': [], 'payments-service': [] };
    for (const group of Object.keys(byGroup)) {
      await new TestListener(bus, group, async (data, msg) => {
        byGroup[group].push(data.id);
        msg.ack();
      }).listen();
    }

    const publisher = new TicketCreatedPublisher(publisherBus);
    for (let i = 0; i < 5; i++) await publisher.publish(ticket(i));

    await waitFor(() => byGroup['orders-service'].length === 5 && byGroup['payments-service'].length === 5, { description: 'fan-out' });
    expect(byGroup['orders-service'].sort()).toEqual(byGroup['payments-service'].sort());
  });

  it('When a handler does not ack, then the message is redelivered after ackWait', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const deliveries: number[] = [];
    await new TestListener(bus, 'orders-service', async (_data, msg) => {
      deliveries.push(msg.deliveryCount);
      if (msg.deliveryCount >= 2) msg.ack();
    }).listen();

    await new TicketCreatedPublisher(bus).publish(ticket(1));

    await waitFor(() => deliveries.length === 2, { description: 'a redelivery' });
    expect(deliveries).toEqual([1, 2]);
    await waitFor(() => consumerIsIdle(bus, 'orders-service__ticket_created'), { description: 'the ack to land' });
  });

  it('When a handler throws or rejects, then the process survives and the message is retried until it succeeds', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const attempts: number[] = [];
    try {
      await new TestListener(bus, 'orders-service', async (data, msg) => {
        attempts.push(msg.deliveryCount);
        if (msg.deliveryCount === 1) throw new Error(`database down while handling ${data.id}`);
        if (msg.deliveryCount === 2) return Promise.reject(new Error('still down'));
        msg.ack();
      }).listen();

      await new TicketCreatedPublisher(bus).publish(ticket(1));

      await waitFor(() => attempts.length === 3, { description: 'three attempts' });
      await waitFor(() => consumerIsIdle(bus, 'orders-service__ticket_created'), { description: 'the final ack' });
      expect(attempts).toEqual([1, 2, 3]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('When a later version arrives first, then it is negatively acked with a short delay and applied right after its predecessor', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const applied: number[] = [];
    let replicaVersion: number | undefined;

    class ReplicaListener extends Listener<TicketCreated> {
      readonly subject = Subjects.TicketCreated;
      readonly queueGroup = 'replica-service';
      protected override ackWaitMs = 30_000; // a gap must not wait for this

      async onMessage(data: EventData<TicketCreated>) {
        const verdict = versionVerdict(data.version, replicaVersion);
        if (verdict !== 'apply') return verdict;
        replicaVersion = data.version;
        applied.push(data.version);
        return 'applied' as const;
      }
    }
    await new ReplicaListener(bus).listen();

    const publisher = new TicketCreatedPublisher(bus);
    for (const version of [2, 1, 0, 1]) await publisher.publish({ ...ticket(1), version });

    await waitFor(() => applied.length === 3, { description: 'versions 0, 1, 2 applied', timeoutMs: 10_000 });
    expect(applied).toEqual([0, 1, 2]);
    await waitFor(() => consumerIsIdle(bus, 'replica-service__ticket_created'), { description: 'all settled' });
  });

  it('When a payload is invalid, then it is dead-lettered with its reason once and never redelivered', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const handled: string[] = [];
    await new TestListener(bus, 'orders-service', async (data, msg) => {
      handled.push(data.id);
      msg.ack();
    }).listen();

    // Bypass the Publisher's validation, as a buggy or foreign publisher would.
    await bus.publish(Subjects.TicketCreated, new TextEncoder().encode('{"id":"t-1","version":0,"title":"","price":"free"}'));
    await bus.publish(Subjects.TicketCreated, new TextEncoder().encode('not json at all'));
    await new TicketCreatedPublisher(bus).publish(ticket(2));

    await waitFor(async () => (await bus.listDeadLetters()).length === 2, { description: 'two dead letters' });
    await waitFor(() => consumerIsIdle(bus, 'orders-service__ticket_created'), { description: 'consumer idle' });
    const deadLetters = await bus.listDeadLetters();
    expect(deadLetters.map((d) => ({ subject: d.subject, queueGroup: d.queueGroup, deliveryCount: d.deliveryCount }))).toEqual([
      { subject: 'ticket:created', queueGroup: 'orders-service', deliveryCount: 1 },
      { subject: 'ticket:created', queueGroup: 'orders-service', deliveryCount: 1 },
    ]);
    expect(deadLetters[0].reason).toMatch(/title.*price|price/);
    expect(deadLetters[0].payload).toContain('"price":"free"');
    expect(deadLetters[1].reason).toMatch(/not valid JSON/);
    // The valid event behind them was not blocked.
    expect(handled).toEqual(['ticket-2']);
    const info = await bus.manager.consumers.info(bus.streamName, 'orders-service__ticket_created');
    expect(info.num_redelivered).toBe(0);
  });

  it('When a handler keeps failing, then it is dead-lettered on the last allowed delivery instead of retried forever', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    let attempts = 0;
    await new TestListener(bus, 'orders-service', async () => {
      attempts++;
      throw new Error('always broken');
    }).listen();

    await new TicketCreatedPublisher(bus).publish(ticket(7));

    const [record] = await waitFor(
      async () => {
        const letters = await bus.listDeadLetters();
        return letters.length > 0 ? letters : undefined;
      },
      { description: 'the dead letter', timeoutMs: 20_000 },
    );
    await waitFor(() => consumerIsIdle(bus, 'orders-service__ticket_created'), { description: 'consumer idle' });
    expect(attempts).toBe(5);
    expect(record.deliveryCount).toBe(5);
    expect(record.reason).toMatch(/always broken/);
  });
});
