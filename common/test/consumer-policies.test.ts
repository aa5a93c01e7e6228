import {
  DEFAULT_RETRY,
  type EventData,
  Listener,
  orderedBy,
  Publisher,
  retryPolicy,
  Subjects,
  UnprocessableEventError,
  unordered,
} from '@ticketing/common/events';
import {
  DEAD_LETTER_DELIVERIES_HEADER,
  DEAD_LETTER_REASON_HEADER,
  durableName,
  type JetStreamTransport,
} from '@ticketing/common/jetstream';
import { waitFor } from '@ticketing/stack/wait-for';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { afterError, afterResult } from '../src/events/consumer/retry';

/** Each consumer policy on its own; their composition is the Listener, tested on both transports elsewhere. */

describe('the retry policy', () => {
  const policy = retryPolicy({ maxDeliveries: 4, failureDelayMs: (n) => n * 100, gapDelayMs: (n) => n * 10 });

  it('When the handler applied the event or found it stale, then the delivery is acked', () => {
    expect(afterResult(policy, 'applied', 1)).toEqual({ action: 'ack' });
    expect(afterResult(policy, 'stale', 4)).toEqual({ action: 'ack' });
  });

  it('When the handler settled the message itself (no result), then the policy does nothing', () => {
    expect(afterResult(policy, undefined, 1)).toBeUndefined();
  });

  it('When an event arrives before its predecessor, then it is offered again after the gap delay, and dead-lettered on the last delivery', () => {
    expect(afterResult(policy, 'gap', 1)).toEqual({ action: 'retry', delayMs: 10 });
    expect(afterResult(policy, 'gap', 3)).toEqual({ action: 'retry', delayMs: 30 });
    expect(afterResult(policy, 'gap', 4)).toEqual({ action: 'dead-letter', reason: 'version gap never filled after 4 deliveries' });
  });

  it('When the handler fails with a transient error, then the message comes back after the back-off, and is dead-lettered on the last delivery', () => {
    const err = new Error('database away');
    expect(afterError(policy, err, 1)).toEqual({ action: 'retry', delayMs: 100 });
    expect(afterError(policy, err, 3)).toEqual({ action: 'retry', delayMs: 300 });
    expect(afterError(policy, err, 4)).toEqual({ action: 'dead-letter', reason: 'handler failed on delivery 4: database away' });
  });

  it('When the handler fails with a permanent error, then the message is dead-lettered at its first delivery with the error', () => {
    expect(afterError(policy, new UnprocessableEventError('no such ticket'), 1)).toEqual({
      action: 'dead-letter',
      reason: 'unprocessable: no such ticket',
    });
  });

  it('When a listener declares which errors are permanent, then those go straight to the dead letters and the rest are retried', () => {
    class PaymentDeclined extends Error {}
    const declared = retryPolicy({ isPermanent: (err) => err instanceof PaymentDeclined });
    expect(afterError(declared, new PaymentDeclined('card declined'), 1)).toEqual({
      action: 'dead-letter',
      reason: 'unprocessable: card declined',
    });
    expect(afterError(declared, new Error('timeout'), 1)).toEqual({ action: 'retry', delayMs: DEFAULT_RETRY.failureDelayMs(1) });
  });

  it('When a policy replaces one part, then the others keep their defaults', () => {
    const declared = retryPolicy({ maxDeliveries: 3 });
    expect(declared).toEqual({ ...DEFAULT_RETRY, maxDeliveries: 3 });
  });
});

describe('the ordering policy', () => {
  /** A task that records when it starts and ends, and finishes when `release` is called. */
  function gatedTask(log: string[], name: string) {
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const task = async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
    };
    return { task, release };
  }

  it('When two events share a key, then the second starts only after the first ended; another key runs meanwhile', async () => {
    const ordering = orderedBy<{ key: string }>((data) => data.key);
    const log: string[] = [];
    const a1 = gatedTask(log, 'a1');
    const a2 = gatedTask(log, 'a2');
    const b1 = gatedTask(log, 'b1');
    const runs = [ordering.run({ key: 'a' }, a1.task), ordering.run({ key: 'a' }, a2.task), ordering.run({ key: 'b' }, b1.task)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start a1', 'start b1']);
    b1.release();
    a2.release(); // released early: it must still wait for a1
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start a1', 'start b1', 'end b1']);
    a1.release();
    await Promise.all(runs);
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
  });

  it('When a task of a key fails, then the next one of that key still runs', async () => {
    const ordering = orderedBy<{ key: string }>((data) => data.key);
    await expect(ordering.run({ key: 'a' }, async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    await expect(ordering.run({ key: 'a' }, async () => 'next')).resolves.toBe('next');
  });

  it('When events are unordered, then they run at once', async () => {
    const ordering = unordered<{ key: string }>();
    const log: string[] = [];
    const first = gatedTask(log, 'first');
    const second = gatedTask(log, 'second');
    const runs = [ordering.run({ key: 'a' }, first.task), ordering.run({ key: 'a' }, second.task)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start first', 'start second']);
    first.release();
    second.release();
    await Promise.all(runs);
  });
});

describe('dead-lettering on JetStream', () => {
  let transports: JetStreamTransport[] = [];
  afterEach(async () => {
    await closeIsolated(transports);
    transports = [];
  });

  class SellerUnknown extends Error {}

  /** A listener that declares its own permanent error. */
  class StrictListener extends Listener<typeof Subjects.TicketCreated> {
    readonly subject = Subjects.TicketCreated;
    readonly queueGroup = 'strict-service';
    protected override readonly policies = { retry: retryPolicy({ isPermanent: (err) => err instanceof SellerUnknown }) };
    calls = 0;

    async onMessage(data: EventData<typeof Subjects.TicketCreated>): Promise<'applied'> {
      this.calls++;
      throw new SellerUnknown(`ticket ${data.id} names seller ${data.userId},\nwho does not exist`);
    }
  }

  class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
    readonly subject = Subjects.TicketCreated;
  }

  it('When a handler throws an error its policy calls permanent, then the message is dead-lettered with the error in the headers and never delivered again', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const listener = new StrictListener(bus);
    await listener.listen();
    await new TicketCreatedPublisher(bus).publish({ id: 'ticket-1', version: 0, title: 'Concert', price: 10, userId: 'u1' });

    const [letter] = await waitFor(async () => {
      const letters = await bus.listDeadLetters();
      return letters.length === 1 ? letters : undefined;
    });
    const reason = 'unprocessable: ticket ticket-1 names seller u1,\nwho does not exist';
    expect(letter).toMatchObject({ deliveryCount: 1, reason });
    const stored = await bus.manager.streams.getMessage(bus.deadLetterStreamName, { seq: letter.sequence });
    expect(stored?.header.get(DEAD_LETTER_REASON_HEADER)).toBe(reason.replace('\n', ' '));
    expect(stored?.header.get(DEAD_LETTER_DELIVERIES_HEADER)).toBe('1');
    // Terminated: the consumer holds nothing more to deliver or to wait for, and delivered it once.
    const consumer = await waitFor(async () => {
      const info = await bus.manager.consumers.info(bus.streamName, durableName('strict-service', Subjects.TicketCreated));
      return info.num_ack_pending === 0 ? info : undefined;
    });
    expect(consumer.num_redelivered).toBe(0);
    expect(consumer.delivered.stream_seq).toBe(1);
    expect(listener.calls).toBe(1);
  });
});

describe('the handler deadline on JetStream', () => {
  let transports: JetStreamTransport[] = [];
  afterEach(async () => {
    await closeIsolated(transports);
    transports = [];
  });

  /** Applies versions in order; its first call never returns (a database reply that never comes). */
  class StuckOnceListener extends Listener<typeof Subjects.TicketUpdated> {
    readonly queueGroup = 'stuck-service';
    protected override readonly policies = { ackWaitMs: 1_000 };
    applied: number[] = [];
    calls = 0;

    constructor(
      bus: JetStreamTransport,
      readonly subject: typeof Subjects.TicketUpdated,
    ) {
      super(bus);
    }

    async onMessage(data: EventData<typeof Subjects.TicketUpdated>): Promise<'applied' | 'stale' | 'gap'> {
      this.calls++;
      if (this.calls === 1) return new Promise(() => {});
      const next = this.applied.length + 1;
      if (data.version < next) return 'stale';
      if (data.version > next) return 'gap';
      this.applied.push(data.version);
      return 'applied';
    }
  }

  class TicketUpdatedPublisher extends Publisher<typeof Subjects.TicketUpdated> {
    readonly subject = Subjects.TicketUpdated;
  }

  it('When a handler never returns, then its delivery is given up at the ack wait and the event and its successors are applied', async () => {
    transports = await connectIsolated(1);
    const [bus] = transports;
    const listener = new StuckOnceListener(bus, Subjects.TicketUpdated);
    await listener.listen();
    const publisher = new TicketUpdatedPublisher(bus);
    for (const version of [1, 2, 3]) {
      await publisher.publish({ id: 'ticket-1', version, title: 'Concert', price: 10, userId: 'u1' });
    }

    // Without the deadline, every delivery of this aggregate would wait behind the first call for good.
    await waitFor(async () => listener.applied.length === 3, { description: 'versions 1–3 applied', timeoutMs: 15_000 });
    expect(listener.applied).toEqual([1, 2, 3]);
    expect(await bus.listDeadLetters()).toEqual([]);
  });
});
