import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type {
  DeadLetter,
  DeliveredMessage,
  EventTransport,
  MessageHandler,
  PublishOptions,
  Signals,
  SubscribeOptions,
  Subscription,
} from '../events/transport';
import { InFlight } from '../events/transports/in-flight';
import { durableName } from '../events/transports/names';
import { inboxPrefixOf, natsEndpoint } from '../events/transports/nats-endpoint';
import { natsSignals } from '../events/transports/signals';
import { STREAM_LIMITS, type StreamLimits } from '../events/transports/stream-limits';
import { SubjectMapping } from '../events/transports/subject-mapping';
import { endOfTurn } from '../support/end-of-turn';
import type { TraceContext } from '../support/trace';

type StreamBounds = { duplicate_window: number; max_age: number; max_bytes: number; max_msg_size: number; num_replicas: number };

/** JetStream durations are nanoseconds. */
const nanos = (ms: number): number => ms * 1_000_000;

export interface JetStreamTransportOptions {
  /** One URL or a comma-separated list, e.g. `nats://127.0.0.1:4222`. */
  servers: string;
  /** Connection name shown in the server's `/connz`. */
  connectionName?: string;
  /** The NATS identity (see `BUS_IDENTITIES`); credentials in the URL (`nats://user:password@host`) work too. */
  user?: string;
  pass?: string;
  /** Reply subjects start with this; default `_INBOX_<user>` with a user (the server lets each read only its own), else `_INBOX`. */
  inboxPrefix?: string;
  /**
   * Create the streams, or bring their bounds up to date, when connecting (default true). Services connect with
   * `false`: streams belong to the admin identity, which provisions them at deploy or start-up time.
   */
  provision?: boolean;
  /** Stream holding all events; default `EVENTS`. */
  streamName?: string;
  /** Wire subjects are `<prefix>.<event name>`; default `events`. */
  subjectPrefix?: string;
  /** Stream holding dead letters; default `DEAD_LETTERS` over `<deadLetterPrefix>.>`. */
  deadLetterStreamName?: string;
  deadLetterPrefix?: string;
  /** How long the server remembers message ids for deduplication; default 2 minutes. */
  duplicateWindowMs?: number;
  /** Bounds of the two streams; defaults in `STREAM_LIMITS`. */
  limits?: Partial<StreamLimits>;
  /** Told about failures the transport recovers from by itself (a consumer consumed again), for the log. */
  onError?: (err: unknown, context: string) => void;
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 404 || /not found/i.test(err.message));
}

const encoder = new TextEncoder();

/**
 * Messages pulled ahead of the handler. Large enough that the handler rarely waits for the next pull (16 left
 * the listener at about half of raw consume throughput), small enough that a stopping replica hands few back.
 */
const PULL_BATCH = 128;

/**
 * How long one pull request waits on the server (the client's heartbeats are every half of it). In a cluster,
 * a pull request lives on the consumer's leader: when that server dies, the client notices only after two
 * missed heartbeats and then pulls from the new leader. The client's default of 30 s stalled the consumer
 * for about that long after each leader loss; 5 s costs an idle consumer one request every 5 s.
 */
const PULL_EXPIRES_MS = 5_000;

/**
 * Acks sent together. Each ack is a message to the server, and the client writes what it has to send once
 * per microtask checkpoint: acked one by one as handlers finish, each ack was a socket write of its own (40 %
 * of a listener's CPU when profiled). Acks of the handlers that finish in one turn of the event loop now go
 * out in one write, at the end of that turn.
 */
class AckBatch {
  private pending: JsMsg[] = [];

  add(message: JsMsg): void {
    this.pending.push(message);
    if (this.pending.length === 1) void endOfTurn().then(() => this.flush());
  }

  flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (const message of batch) {
      try {
        message.ack();
      } catch {
        // The connection closed: the server redelivers the message after ackWait, as for any lost ack.
      }
    }
  }
}

export class JetStreamTransport implements EventTransport {
  readonly kind = 'jetstream' as const;
  readonly subjects: SubjectMapping;
  readonly deadLetterSubjects: SubjectMapping;
  readonly streamName: string;
  readonly deadLetterStreamName: string;
  readonly signals: Signals;
  private readonly subscriptions = new Set<Subscription>();
  private isReconnecting = false;
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly onError?: (err: unknown, context: string) => void;

  private constructor(
    readonly connection: NatsConnection,
    readonly manager: JetStreamManager,
    private readonly client: JetStreamClient,
    options: JetStreamTransportOptions,
  ) {
    this.subjects = new SubjectMapping(options.subjectPrefix ?? 'events');
    this.deadLetterSubjects = new SubjectMapping(options.deadLetterPrefix ?? 'deadletter');
    this.streamName = options.streamName ?? 'EVENTS';
    this.deadLetterStreamName = options.deadLetterStreamName ?? 'DEAD_LETTERS';
    this.onError = options.onError;
    this.signals = natsSignals(connection, (listener) => this.reconnectListeners.push(listener));
    void this.watchStatus().catch(() => undefined);
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.isReconnecting = true;
      if (status.type === 'reconnect') {
        this.isReconnecting = false;
        for (const listener of this.reconnectListeners) listener();
      }
    }
  }

  /** Connects and makes sure the event and dead-letter streams exist (file storage). */
  static async connect(options: JetStreamTransportOptions): Promise<JetStreamTransport> {
    const endpoint = natsEndpoint(options.servers);
    const user = options.user ?? endpoint.user;
    const pass = options.pass ?? endpoint.pass;
    const connection = await connect({
      servers: endpoint.servers,
      name: options.connectionName,
      ...(user ? { user, pass } : {}),
      // Each identity may read replies only in its own inbox (see `jetStreamPermissions`).
      ...(options.inboxPrefix || user ? { inboxPrefix: options.inboxPrefix ?? inboxPrefixOf(user ?? '') } : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // A server that stops answering without closing the connection (frozen, or cut off by the network) is
      // given up once three pings 3 s apart went unanswered, 9–12 s, and the client moves to another server of
      // the cluster. With the client's default (2 minutes apart) a service stalled for 6 minutes or more.
      pingInterval: 3_000,
      maxPingOut: 2,
      // How long one connection attempt may take. A frozen server still accepts the TCP connection (the kernel
      // does) but never says hello: with the client's default (20 s) a reconnect that tried it first waited
      // that long before trying a live one.
      timeout: 3_000,
      // Otherwise every request (each JetStream publish is one) captures a stack trace up front, in case it
      // fails: 2–3 % of a busy service's CPU. A failed publish is retried by the relay and logged with its cause.
      noAsyncTraces: true,
    });
    try {
      const provision = options.provision ?? true;
      // Checking the API reads the account's info, which a service identity may not.
      const manager = await jetstreamManager(connection, { checkAPI: provision });
      const transport = new JetStreamTransport(connection, manager, jetstream(connection), options);
      if (!provision) return transport;
      const duplicate_window = nanos(options.duplicateWindowMs ?? 120_000);
      const limits = { ...STREAM_LIMITS, ...options.limits };
      await transport.ensureStream(transport.streamName, transport.subjects.wildcard, {
        duplicate_window,
        max_age: nanos(limits.eventsMaxAgeMs),
        max_bytes: limits.eventsMaxBytes,
        max_msg_size: limits.eventMaxBytes,
        num_replicas: limits.replicas ?? 1,
      });
      await transport.ensureStream(transport.deadLetterStreamName, transport.deadLetterSubjects.wildcard, {
        duplicate_window,
        max_age: nanos(limits.deadLettersMaxAgeMs),
        max_bytes: limits.deadLettersMaxBytes,
        num_replicas: limits.replicas ?? 1,
        // A dead letter keeps at most 16 KiB of its payload (`DEAD_LETTER_PAYLOAD_BYTES`) plus its metadata.
        max_msg_size: 64 * 1024,
      });
      return transport;
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  /** Creates the stream with `bounds`, or brings an existing one's bounds to them (the subjects must match). */
  private async ensureStream(name: string, subject: string, bounds: StreamBounds): Promise<void> {
    try {
      const info = await this.manager.streams.info(name);
      if (!info.config.subjects?.includes(subject)) {
        throw new Error(`JetStream stream ${name} exists but does not capture ${subject}`);
      }
      const differs = (Object.keys(bounds) as Array<keyof StreamBounds>).some((key) => info.config[key] !== bounds[key]);
      if (differs) await this.manager.streams.update(name, { ...bounds, discard: DiscardPolicy.Old });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.manager.streams.add({
          name,
          subjects: [subject],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          ...bounds,
        });
      } catch (addErr) {
        // Another process created it between our info and add: fine if it is there now.
        await this.manager.streams.info(name).catch(() => {
          throw addErr;
        });
      }
    }
  }

  async publish(subject: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    // Publishes asked for during one turn start together at its end: one socket write for all of them (each
    // relay publish follows a database reply, a callback of its own).
    await endOfTurn();
    await this.client.publish(this.subjects.toWire(subject), payload, {
      ...(options.messageId ? { msgID: options.messageId } : {}),
      ...(options.trace ? { headers: traceHeaders(options.trace) } : {}),
    });
  }

  async subscribe(subject: string, options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    const durable = durableName(options.queueGroup, subject);
    const config = {
      ack_wait: nanos(options.ackWaitMs),
      max_deliver: options.maxDeliver,
    };
    const ensureConsumer = async () => {
      try {
        await this.manager.consumers.info(this.streamName, durable);
        await this.manager.consumers.update(this.streamName, durable, config);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.manager.consumers
          .add(this.streamName, {
            ...config,
            durable_name: durable,
            filter_subject: this.subjects.toWire(subject),
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
          })
          .catch(async (addErr: unknown) => {
            // A replica of the same service created it concurrently.
            await this.manager.consumers.info(this.streamName, durable).catch(() => {
              throw addErr;
            });
          });
      }
    };
    await ensureConsumer();

    const concurrency = options.concurrency ?? 1;
    const consume = async () => {
      const consumed = await (await this.client.consumers.get(this.streamName, durable)).consume({
        max_messages: Math.max(PULL_BATCH, concurrency),
        expires: PULL_EXPIRES_MS,
      });
      // If the consumer disappears (deleted, or lost with the server's store), the client would keep pulling
      // from nothing; end the iterator instead so the loop below recreates it. The same when two heartbeats
      // went missing (the server leading the consumer died or froze): the client would pull again only every
      // 5 s, and while the consumer is electing a new leader such a pull finds none and waits for the next
      // round; the loop below tries every second and so resumes about a second after the election.
      void (async () => {
        for await (const status of consumed.status()) {
          if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found' || status.type === 'heartbeats_missed') {
            consumed.stop();
            return;
          }
        }
      })().catch(() => undefined);
      return consumed;
    };
    let messages = await consume();
    let isStopping = false;
    const acks = new AckBatch();
    const inFlight = new InFlight(concurrency);
    const handleAll = async () => {
      for await (const m of messages) {
        if (isStopping) {
          // Pulled ahead of the handler but never handed to it: back to the server for another replica now,
          // rather than after ackWait.
          m.nak();
          continue;
        }
        let settled = false;
        const settleOnce = (fn: () => void) => {
          if (settled) return;
          settled = true;
          fn();
        };
        const delivered: DeliveredMessage = {
          subject: this.subjects.fromWire(m.subject),
          data: m.data,
          deliveryCount: m.info.deliveryCount,
          trace: traceOf(m.headers),
          ack: () => settleOnce(() => acks.add(m)),
          nak: (delayMs) => settleOnce(() => m.nak(delayMs)),
          term: (reason) => settleOnce(() => m.term(reason)),
        };
        // The handler owns error handling (see Listener); this guard only keeps the loop alive.
        inFlight.offer(() => handler(delivered).catch(() => delivered.nak()));
        await inFlight.vacancy();
      }
    };
    // The message iterator can end or throw while the server is away (restart, JetStream recovering the
    // consumer). Unless we are stopping, consume again after a pause: a subscription must never die
    // silently, and its failure must never become an unhandled rejection that takes the process down.
    const loop = (async () => {
      // Whether `messages` is a consume not iterated yet (an iterator can be iterated once).
      let isFresh = true;
      for (;;) {
        if (isFresh) {
          isFresh = false;
          try {
            await handleAll();
          } catch (err) {
            this.onError?.(err, `consumer ${durable} failed; consuming again`);
          }
          await inFlight.drain();
        }
        if (isStopping) return;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (isStopping) return;
        try {
          await ensureConsumer();
          messages = await consume();
          isFresh = true;
          if (isStopping) messages.stop();
        } catch (err) {
          this.onError?.(err, `consumer ${durable} unavailable; retrying`);
        }
      }
    })();

    const subscription: Subscription = {
      /**
       * Unsubscribes, lets the handler finish the messages it holds, and naks the ones already pulled into the
       * client's buffer (up to `PULL_BATCH`): `messages.stop()` alone would still yield each of them to the loop, which
       * would handle them all before returning. The unsubscribe goes out before those naks, so the server
       * sends them to another replica (or keeps them for the next one), not to this closed pull request.
       * A message the server had already sent when the unsubscribe reached it is dropped by the client and
       * comes back after ackWait.
       */
      stop: async () => {
        this.subscriptions.delete(subscription);
        isStopping = true;
        messages.stop();
        await loop;
        acks.flush();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Stores the record; its reason and delivery count also go in the message's headers
   * (`DEAD_LETTER_REASON_HEADER`, `DEAD_LETTER_DELIVERIES_HEADER`), so a tool that reads only headers (a NATS
   * CLI `stream view`, a monitor) sees why without parsing the payload.
   */
  async deadLetter(record: DeadLetter): Promise<void> {
    const wire = this.deadLetterSubjects.toWire(`${record.queueGroup}.${record.subject}`);
    const h = headers();
    h.set(DEAD_LETTER_REASON_HEADER, headerValue(record.reason));
    h.set(DEAD_LETTER_DELIVERIES_HEADER, String(record.deliveryCount));
    await this.client.publish(wire, encoder.encode(JSON.stringify(record)), { headers: h });
  }

  /** Reads every dead letter currently stored (for tests and the operator tools). */
  async listDeadLetters(): Promise<Array<DeadLetter & { sequence: number }>> {
    const info = await this.manager.streams.info(this.deadLetterStreamName);
    const records: Array<DeadLetter & { sequence: number }> = [];
    for (let seq = info.state.first_seq; seq > 0 && seq <= info.state.last_seq; seq++) {
      const stored = await this.manager.streams.getMessage(this.deadLetterStreamName, { seq }).catch(() => null);
      if (stored) records.push({ ...(stored.json() as DeadLetter), sequence: seq });
    }
    return records;
  }

  /** Removes one dead letter (after it was replayed, or to discard it). */
  async deleteDeadLetter(sequence: number): Promise<boolean> {
    return this.manager.streams.deleteMessage(this.deadLetterStreamName, sequence);
  }

  isConnected(): boolean {
    return !this.connection.isClosed() && !this.isReconnecting;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

const REQUEST_ID_HEADER = 'x-request-id';
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
export const DEAD_LETTER_DELIVERIES_HEADER = 'x-dead-letter-deliveries';

/** A header value is one line: the reason's line breaks become spaces, and it keeps its first 1,024 characters. */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1_024);
}
const TRACEPARENT_HEADER = 'traceparent';

function traceHeaders(trace: TraceContext): MsgHdrs {
  const h = headers();
  h.set(REQUEST_ID_HEADER, trace.requestId);
  h.set(TRACEPARENT_HEADER, trace.traceparent);
  return h;
}

function traceOf(h: MsgHdrs | undefined): TraceContext | undefined {
  const requestId = h?.get(REQUEST_ID_HEADER);
  const traceparent = h?.get(TRACEPARENT_HEADER);
  return requestId && traceparent ? { requestId, traceparent } : undefined;
}
