import {
  type EventData,
  type EventTransport,
  Listener,
  type MessageContext,
  Publisher,
  retryPolicy,
  Subjects,
  versionVerdict,
} from '@ticketing/common/events';
import { waitFor } from '@ticketing/stack/wait-for';
import { type IsolatedBus, isolatedBus, type TransportKind } from '@ticketing/testkit/bus';

/**
 * One behaviour suite, run against both real servers: NATS JetStream and NATS Streaming. Services rely on
 * exactly these behaviours, so they work unchanged on either transport.
 */

type TicketCreated = typeof Subjects.TicketCreated;
type Handler = (data: EventData<TicketCreated>, message: MessageContext) => Promise<void>;

class TicketCreatedPublisher extends Publisher<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

/** A listener whose behaviour each test supplies. ackWait is 1 s, the shortest NATS Streaming accepts. */
class TestListener extends Listener<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  protected override readonly policies = { ackWaitMs: 1_000, retry: retryPolicy({ maxDeliveries: 3 }) };

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

/** A replica that applies versions in order, as the services' listeners do. */
class ReplicaListener extends Listener<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroup = 'replica-service';
  protected override readonly policies = { ackWaitMs: 1_000, retry: retryPolicy({ maxDeliveries: 30 }) };
  readonly applied: number[] = [];
  private version: number | undefined;

  async onMessage(data: EventData<TicketCreated>) {
    const verdict = versionVerdict(data.version, this.version);
    if (verdict !== 'apply') return verdict;
    this.version = data.version;
    this.applied.push(data.version);
    return 'applied' as const;
  }
}

const ticket = (n: number, version = 0): EventData<TicketCreated> => ({
  id: `ticket-${n}`,
  version,
  title: `Concert ${n}`,
  price: 10 + n,
  userId: 'u1',
});

describe.each<TransportKind>(['jetstream', 'stan'])('transport conformance on %s', (kind) => {
  let bus: IsolatedBus;
  afterEach(async () => {
    await bus?.close();
  });
  const settled = (group: string) =>
    waitFor(() => bus.isSettled(group, Subjects.TicketCreated), { description: `${group} settled`, timeoutMs: 15_000 });

  it('When an event is published, then the listener receives the typed, validated payload', async () => {
    bus = await isolatedBus(kind, 1);
    const received: EventData<TicketCreated>[] = [];
    await new TestListener(bus.transports[0], 'orders-service', async (data, msg) => {
      received.push(data);
      msg.ack();
    }).listen();

    await new TicketCreatedPublisher(bus.transports[0]).publish({ ...ticket(1), orderId: 'order-9' });

    await waitFor(() => received.length === 1, { description: 'the event' });
    expect(received).toEqual([{ ...ticket(1), orderId: 'order-9' }]);
  });

  it('When two replicas share a queue group, then each event is handled exactly once between them', async () => {
    bus = await isolatedBus(kind, 3);
    const [a, b, publisherBus] = bus.transports;
    const seen: string[] = [];
    for (const replica of [a, b]) {
      await new TestListener(replica, 'orders-service', async (data, msg) => {
        seen.push(data.id);
        msg.ack();
      }).listen();
    }

    const publisher = new TicketCreatedPublisher(publisherBus);
    for (let i = 0; i < 30; i++) await publisher.publish(ticket(i));

    await waitFor(() => seen.length >= 30, { description: '30 deliveries' });
    await settled('orders-service');
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it('When two different services listen, then each receives every event', async () => {
    bus = await isolatedBus(kind, 2);
    const byGroup: Record<string, string[]> = { 'orders-service': [], 'payments-service': [] };
    for (const group of Object.keys(byGroup)) {
      await new TestListener(bus.transports[0], group, async (data, msg) => {
        byGroup[group].push(data.id);
        msg.ack();
      }).listen();
    }

    const publisher = new TicketCreatedPublisher(bus.transports[1]);
    for (let i = 0; i < 5; i++) await publisher.publish(ticket(i));

    await waitFor(() => byGroup['orders-service'].length === 5 && byGroup['payments-service'].length === 5, { description: 'fan-out' });
    expect(byGroup['orders-service'].sort()).toEqual(byGroup['payments-service'].sort());
  });

  it('When a handler does not ack, then the message is redelivered after ackWait with its delivery count', async () => {
    bus = await isolatedBus(kind, 1);
    const deliveries: number[] = [];
    await new TestListener(bus.transports[0], 'orders-service', async (_data, msg) => {
      deliveries.push(msg.deliveryCount);
      if (msg.deliveryCount >= 2) msg.ack();
    }).listen();

    await new TicketCreatedPublisher(bus.transports[0]).publish(ticket(1));

    await waitFor(() => deliveries.length === 2, { description: 'a redelivery' });
    await settled('orders-service');
    expect(deliveries).toEqual([1, 2]);
  });

  it('When a handler throws or rejects, then the process survives and the message is retried until it succeeds', async () => {
    bus = await isolatedBus(kind, 1);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const attempts: number[] = [];
    try {
      await new TestListener(bus.transports[0], 'orders-service', async (data, msg) => {
        attempts.push(msg.deliveryCount);
        if (msg.deliveryCount === 1) throw new Error(`database down while handling ${data.id}`);
        msg.ack();
      }).listen();

      await new TicketCreatedPublisher(bus.transports[0]).publish(ticket(1));

      await waitFor(() => attempts.length === 2, { description: 'the retry' });
      await settled('orders-service');
      expect(attempts).toEqual([1, 2]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('When events are published while the listener is down, then it receives them all when it comes back (durable)', async () => {
    bus = await isolatedBus(kind, 2);
    const [first, publisherBus] = bus.transports;
    const received: string[] = [];
    const listen = (transport: EventTransport) =>
      new TestListener(transport, 'orders-service', async (data, msg) => {
        received.push(data.id);
        msg.ack();
      }).listen();
    await listen(first);
    const publisher = new TicketCreatedPublisher(publisherBus);
    await publisher.publish(ticket(0));
    await waitFor(() => received.length === 1, { description: 'the first event' });

    await first.close(); // the service goes away
    for (let i = 1; i <= 5; i++) await publisher.publish(ticket(i));
    await listen(await bus.connect()); // and comes back as a new process

    await waitFor(() => received.length === 6, { description: 'the events published while down' });
    expect(received.sort()).toEqual(['ticket-0', 'ticket-1', 'ticket-2', 'ticket-3', 'ticket-4', 'ticket-5']);
  });

  it('When a later version arrives first, then it waits for its predecessor and every version is applied once, in order', async () => {
    bus = await isolatedBus(kind, 1);
    const replica = new ReplicaListener(bus.transports[0]);
    await replica.listen();

    const publisher = new TicketCreatedPublisher(bus.transports[0]);
    for (const version of [2, 1, 0, 1]) await publisher.publish(ticket(1, version));

    await waitFor(() => replica.applied.length === 3, { description: 'versions 0..2 applied', timeoutMs: 15_000 });
    await waitFor(() => bus.isSettled('replica-service', Subjects.TicketCreated), { description: 'settled', timeoutMs: 15_000 });
    expect(replica.applied).toEqual([0, 1, 2]);
  });

  it('When a payload is invalid, then it is dead-lettered with its reason, never redelivered, and does not block the next', async () => {
    bus = await isolatedBus(kind, 1);
    const handled: string[] = [];
    await new TestListener(bus.transports[0], 'orders-service', async (data, msg) => {
      handled.push(data.id);
      msg.ack();
    }).listen();

    await bus.transports[0].publish(Subjects.TicketCreated, new TextEncoder().encode('{"id":"t-1","version":0,"title":"","price":"free"}'));
    await new TicketCreatedPublisher(bus.transports[0]).publish(ticket(2));

    await waitFor(() => handled.length === 1, { description: 'the valid event' });
    await settled('orders-service');
    const [letter, ...others] = await bus.deadLetters(['orders-service']);
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ subject: 'ticket:created', queueGroup: 'orders-service', deliveryCount: 1 });
    expect(letter.reason).toMatch(/price/);
    expect(letter.payload).toContain('"price":"free"');
    expect(handled).toEqual(['ticket-2']);
  });

  it('When a handler keeps failing, then the message is dead-lettered on its last allowed delivery', async () => {
    bus = await isolatedBus(kind, 1);
    let attempts = 0;
    await new TestListener(bus.transports[0], 'orders-service', async () => {
      attempts++;
      throw new Error('always broken');
    }).listen();

    await new TicketCreatedPublisher(bus.transports[0]).publish(ticket(7));

    await waitFor(async () => (await bus.deadLetters(['orders-service'])).length === 1, {
      description: 'the dead letter',
      timeoutMs: 20_000,
    });
    await settled('orders-service');
    const [letter] = await bus.deadLetters(['orders-service']);
    expect(attempts).toBe(3);
    expect(letter).toMatchObject({ deliveryCount: 3, reason: expect.stringMatching(/always broken/) });
  });

  it('When events of several aggregates arrive, then different aggregates are handled at once, each one in order, and stop waits for every one in hand', async () => {
    bus = await isolatedBus(kind, 1);
    const started: string[] = [];
    const inHand = new Set<string>();
    let most = 0;
    let sameAggregateOverlap = false;
    const subscription = await new TestListener(bus.transports[0], 'orders-service', async (data, msg) => {
      if ([...inHand].some((key) => key.startsWith(`${data.id}@`))) sameAggregateOverlap = true;
      const key = `${data.id}@${data.version}`;
      started.push(key);
      inHand.add(key);
      most = Math.max(most, inHand.size);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inHand.delete(key);
      msg.ack();
    }).listen();

    // Four aggregates, versions 0..4 of each, interleaved on the wire.
    const publisher = new TicketCreatedPublisher(bus.transports[0]);
    for (let version = 0; version < 5; version++) for (let n = 1; n <= 4; n++) await publisher.publish(ticket(n, version));
    await waitFor(() => started.length >= 6, { description: 'the first deliveries' });
    await subscription.stop();

    expect(inHand.size).toBe(0); // stop resolved only once every message in hand was settled
    expect(most).toBeGreaterThan(1);
    expect(sameAggregateOverlap).toBe(false);
    for (let n = 1; n <= 4; n++) {
      const versions = started.filter((key) => key.startsWith(`ticket-${n}@`)).map((key) => Number(key.split('@')[1]));
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
  });

  it('When a client closes, then a new process can connect with the same client id at once', async () => {
    bus = await isolatedBus(kind, 0);
    const first = await bus.connect('tickets-pod-0');
    await first.close();
    const second = await bus.connect('tickets-pod-0');
    expect(second.isConnected()).toBe(true);
  });
});
