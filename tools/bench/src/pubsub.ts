/**
 * Figure 6: the project's Publisher and Listener against raw @nats-io/jetstream on the same server. Each
 * measurement gets its own stream, deleted afterwards, so none sees another's messages.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, StorageType } from '@nats-io/jetstream';
import { type CommonApi, type TicketEvent, wireNames } from './common-api';
import { nowMs } from './stats';

/** Publishes awaiting their acks at once, in both the raw and the Publisher measurement. */
export const PUBLISH_WINDOW = 64;
const SUBJECT = 'ticket:created';
const encoder = new TextEncoder();
/** A consumer that has not received everything by then is reported as failed. */
const GIVE_UP_MS = 120_000;

export interface PubSubContext {
  natsUrl: string;
  jsm: JetStreamManager;
  js: JetStreamClient;
}

function events(count: number): TicketEvent[] {
  const userId = randomBytes(12).toString('hex');
  return Array.from({ length: count }, (_, i) => ({
    id: randomBytes(12).toString('hex'),
    version: 0,
    title: `pubsub ${i}`,
    price: 10 + (i % 90),
    userId,
  }));
}

/** Runs `send` for every item with at most `window` in flight; resolves the elapsed ms. */
async function windowed<T>(items: readonly T[], window: number, send: (item: T) => Promise<unknown>): Promise<number> {
  const started = nowMs();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await send(item);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return nowMs() - started;
}

/** A stream like the project's own (file storage, 2-minute dedupe window) for the raw measurements. */
async function rawStream(ctx: PubSubContext): Promise<{ name: string; subject: string }> {
  const tag = randomBytes(4).toString('hex');
  const name = `BENCH_RAW_${tag}`;
  const subject = `benchraw${tag}.events.${SUBJECT}`;
  await ctx.jsm.streams.add({ name, subjects: [`benchraw${tag}.events.>`], storage: StorageType.File, duplicate_window: 120_000_000_000 });
  return { name, subject };
}

async function deleteStreams(ctx: PubSubContext, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => ctx.jsm.streams.delete(name).catch(() => false)));
}

/** Raw `js.publish` (JSON-encoded, with the same message id as the Publisher) in a window of acks. */
export async function rawPublish(ctx: PubSubContext, count: number): Promise<number> {
  const stream = await rawStream(ctx);
  try {
    const ms = await windowed(events(count), PUBLISH_WINDOW, (e) =>
      ctx.js.publish(stream.subject, encoder.encode(JSON.stringify(e)), { msgID: `${e.id}:${e.version}` }),
    );
    return count / (ms / 1000);
  } finally {
    await deleteStreams(ctx, [stream.name]);
  }
}

async function connectTransport(ctx: PubSubContext, api: CommonApi, namespace: string) {
  const transport = await api.JetStreamTransport.connect({
    servers: ctx.natsUrl,
    connectionName: `bench-${namespace}`,
    ...api.jetStreamNames(namespace),
  });
  const names = api.jetStreamNames(namespace);
  const streams = [names.streamName ?? 'EVENTS', names.deadLetterStreamName ?? 'DEAD_LETTERS'];
  return { transport, streams };
}

/** The project's Publisher (validation, encoding, message id, awaited ack) in the same window. */
export async function projectPublish(ctx: PubSubContext, api: CommonApi, count: number): Promise<number> {
  const namespace = `benchpub${randomBytes(4).toString('hex')}`;
  const { transport, streams } = await connectTransport(ctx, api, namespace);
  class BenchPublisher extends api.Publisher {
    readonly subject = SUBJECT;
  }
  const publisher = new BenchPublisher(transport);
  try {
    const ms = await windowed(events(count), PUBLISH_WINDOW, (e) => publisher.publish(e));
    return count / (ms / 1000);
  } finally {
    await transport.close();
    await deleteStreams(ctx, streams);
  }
}

/** Stores `count` events on `subject` (not timed). */
async function fill(ctx: PubSubContext, subject: string, count: number): Promise<void> {
  await windowed(events(count), 256, (e) => ctx.js.publish(subject, encoder.encode(JSON.stringify(e))));
}

/** A durable pull consumer read with `consume()`, acking each message. */
export async function rawConsume(ctx: PubSubContext, count: number): Promise<number> {
  const stream = await rawStream(ctx);
  try {
    await fill(ctx, stream.subject, count);
    const durable = 'bench';
    await ctx.jsm.consumers.add(stream.name, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: stream.subject,
    });
    const started = nowMs();
    const consumer = await ctx.js.consumers.get(stream.name, durable);
    const messages = await consumer.consume();
    const timer = setTimeout(() => messages.stop(), GIVE_UP_MS);
    let received = 0;
    for await (const m of messages) {
      m.ack();
      if (++received >= count) break;
    }
    const ms = nowMs() - started;
    clearTimeout(timer);
    messages.stop();
    if (received < count) throw new Error(`raw consumer got ${received} of ${count} events in ${GIVE_UP_MS / 1000} s`);
    return count / (ms / 1000);
  } finally {
    await deleteStreams(ctx, [stream.name]);
  }
}

/** The project's Listener with an `onMessage` that does nothing (every event is acked as applied). */
export async function projectConsume(ctx: PubSubContext, api: CommonApi, count: number): Promise<number> {
  const namespace = `benchsub${randomBytes(4).toString('hex')}`;
  const { transport, streams } = await connectTransport(ctx, api, namespace);
  try {
    await fill(ctx, wireNames(api, namespace).toWire(SUBJECT), count);
    let received = 0;
    let resolveAll: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    class BenchListener extends api.Listener {
      readonly subject = SUBJECT;
      readonly queueGroup = 'bench';
      async onMessage(): Promise<'applied'> {
        if (++received >= count) resolveAll();
        return 'applied';
      }
    }
    const started = nowMs();
    const subscription = await new BenchListener(transport).listen();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, GIVE_UP_MS);
    });
    await Promise.race([all, gaveUp]);
    clearTimeout(timer);
    const ms = nowMs() - started;
    await subscription.stop();
    if (received < count) throw new Error(`Listener got ${received} of ${count} events in ${GIVE_UP_MS / 1000} s`);
    return count / (ms / 1000);
  } finally {
    await transport.close();
    await deleteStreams(ctx, streams);
  }
}
