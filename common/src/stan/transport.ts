import nats, { type Message, type Stan, type Subscription as StanSubscription } from 'node-nats-streaming';
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
import { stanClientId } from '../events/transports/names';
import { redactServers } from '../events/transports/nats-endpoint';
import { type NatsV1Client, natsV1Signals } from '../events/transports/signals';
import { SubjectMapping } from '../events/transports/subject-mapping';

export interface StanTransportOptions {
  /** e.g. `nats://127.0.0.1:4222`; credentials may be in the URL (`nats://user:password@host`). */
  url: string;
  /** The NATS identity (see `BUS_IDENTITIES`). */
  user?: string;
  pass?: string;
  /** The `-cid` the NATS Streaming server was started with. */
  clusterId: string;
  /** Unique per process: two live connections with one id are refused by the server. */
  clientId?: string;
  /** Channels are `<prefix>.<event name>`; default `events`. */
  subjectPrefix?: string;
  /** Dead letters go to `<deadLetterPrefix>.<queue group>.<event name>`; default `deadletter`. */
  deadLetterPrefix?: string;
  /** Client-server heartbeat: declared lost after `maxPingOut` missed pings `pingIntervalMs` apart. */
  pingIntervalMs?: number;
  maxPingOut?: number;
}

const encoder = new TextEncoder();

/**
 * The same contract as the JetStream transport, over NATS Streaming (`node-nats-streaming`), for
 * deployments that still run it. Durable queue subscriptions are named after the queue group and
 * start with every available message; acks are manual.
 *
 * What STAN lacks, and what we do instead:
 * - no nak with delay: `nak()` leaves the message unacked, so the server redelivers it after `ackWait`
 *   (a version gap therefore costs up to one ackWait instead of milliseconds);
 * - no server-side dedupe: a re-published event is delivered twice and the listener's version check
 *   ignores the second copy;
 * - no term: `term()` acks the message after it has been dead-lettered.
 */
export class StanTransport implements EventTransport {
  readonly kind = 'stan' as const;
  readonly subjects: SubjectMapping;
  readonly deadLetterSubjects: SubjectMapping;
  readonly signals: Signals;
  private readonly subscriptions = new Set<Subscription>();
  private isLost = false;
  private isClosed = false;

  private constructor(
    readonly connection: Stan,
    readonly clientId: string,
    options: StanTransportOptions,
  ) {
    this.subjects = new SubjectMapping(options.subjectPrefix ?? 'events');
    this.deadLetterSubjects = new SubjectMapping(options.deadLetterPrefix ?? 'deadletter');
    this.signals = natsV1Signals((connection as unknown as { nc: NatsV1Client }).nc);
    connection.on('connection_lost', () => {
      this.isLost = true;
    });
    connection.on('error', () => {
      this.isLost = true;
    });
    connection.on('close', () => {
      this.isClosed = true;
    });
  }

  static connect(options: StanTransportOptions): Promise<StanTransport> {
    const clientId = options.clientId ?? stanClientId('ticketing');
    return new Promise((resolve, reject) => {
      const connection = nats.connect(options.clusterId, clientId, {
        url: options.url,
        ...(options.user ? { user: options.user, pass: options.pass } : {}),
        stanEncoding: 'binary',
        stanPingInterval: options.pingIntervalMs ?? 5_000,
        stanMaxPingOut: options.maxPingOut ?? 3,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: true,
      } as nats.StanOptions);
      const onError = (err: Error) => {
        connection.removeAllListeners();
        connection.close();
        reject(new Error(`NATS Streaming connect to ${redactServers(options.url)} (cluster ${options.clusterId}) failed: ${err.message}`));
      };
      connection.once('error', onError);
      connection.once('connect', () => {
        connection.removeListener('error', onError);
        resolve(new StanTransport(connection, clientId, options));
      });
    });
  }

  publish(subject: string, payload: Uint8Array, _options?: PublishOptions): Promise<void> {
    return this.publishRaw(this.subjects.toWire(subject), payload);
  }

  private publishRaw(channel: string, payload: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.connection.publish(channel, Buffer.from(payload), (err) => (err ? reject(err) : resolve()));
    });
  }

  async subscribe(subject: string, options: SubscribeOptions, handler: MessageHandler): Promise<Subscription> {
    const concurrency = options.concurrency ?? 1;
    const subscriptionOptions = this.connection
      .subscriptionOptions()
      .setDeliverAllAvailable()
      .setManualAckMode(true)
      .setAckWait(Math.max(1_000, options.ackWaitMs))
      .setMaxInFlight(Math.max(32, concurrency))
      .setDurableName(options.queueGroup);
    const stanSubscription = this.connection.subscribe(this.subjects.toWire(subject), options.queueGroup, subscriptionOptions);

    // Messages go to the handler in arrival order, up to `concurrency` at once, like the JetStream consumer
    // loop. Listen before 'ready': the server may send the backlog (or a restarted member's redeliveries) in
    // the same packet as the confirmation, and a message emitted with no listener waits a whole ackWait to
    // come back.
    const inFlight = new InFlight(concurrency);
    let isStopped = false;
    stanSubscription.on('message', (message: Message) => {
      if (isStopped) return; // unacked: see stop()
      inFlight.offer(async () => {
        if (isStopped) return;
        const delivered = this.wrap(subject, message);
        await handler(delivered).catch(() => delivered.nak());
      });
    });
    await new Promise<void>((resolve, reject) => {
      stanSubscription.once('ready', () => resolve());
      stanSubscription.once('error', reject);
    });

    const subscription: Subscription = {
      /**
       * Lets the handler finish the messages it holds; the ones queued behind them (up to maxInFlight) are
       * left unacked, as STAN has no nak. Closing the subscription makes the server hand them to the group's
       * other members; with none left, they wait for the next member and come back at the latest after ackWait.
       */
      stop: async () => {
        isStopped = true;
        this.subscriptions.delete(subscription);
        await inFlight.drain();
        await closeSubscription(stanSubscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  private wrap(subject: string, message: Message): DeliveredMessage {
    let isSettled = false;
    const settle = (fn: () => void) => {
      if (isSettled) return;
      isSettled = true;
      fn();
    };
    return {
      subject,
      data: message.getRawData(),
      deliveryCount: (message as Message & { getRedeliveryCount(): number }).getRedeliveryCount() + 1,
      ack: () => settle(() => message.ack()),
      // No delayed redelivery on STAN: leaving it unacked makes the server redeliver after ackWait.
      nak: () => settle(() => {}),
      term: () => settle(() => message.ack()),
    };
  }

  async deadLetter(record: DeadLetter): Promise<void> {
    await this.publishRaw(this.deadLetterSubjects.toWire(`${record.queueGroup}.${record.subject}`), encoder.encode(JSON.stringify(record)));
  }

  /**
   * Reads the dead letters of every queue group from the start of their channels. STAN cannot say how
   * many messages a channel holds, so this stops once no message came for `idleMs`.
   */
  async readDeadLetters(queueGroups: string[], subjects: string[], idleMs = 300): Promise<DeadLetter[]> {
    const records: DeadLetter[] = [];
    const subscriptions: StanSubscription[] = [];
    let lastArrival = Date.now();
    for (const group of queueGroups) {
      for (const subject of subjects) {
        const options = this.connection.subscriptionOptions().setDeliverAllAvailable();
        const subscription = this.connection.subscribe(this.deadLetterSubjects.toWire(`${group}.${subject}`), options);
        subscription.on('message', (message: Message) => {
          lastArrival = Date.now();
          records.push(JSON.parse(Buffer.from(message.getRawData()).toString('utf8')) as DeadLetter);
        });
        subscriptions.push(subscription);
      }
    }
    while (Date.now() - lastArrival < idleMs) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const subscription of subscriptions) subscription.unsubscribe();
    return records.sort((a, b) => a.deadLetteredAt.localeCompare(b.deadLetteredAt));
  }

  isConnected(): boolean {
    return !this.isLost && !this.isClosed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.isClosed) return;
    // Closing tells the server this client id is gone, so a restarted pod can reuse it at once.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      this.connection.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.connection.close();
    });
  }
}

/** Close (not unsubscribe) keeps the durable queue group's position on the server. */
function closeSubscription(subscription: StanSubscription): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    subscription.once('closed', () => {
      clearTimeout(timer);
      resolve();
    });
    subscription.once('error', () => {
      clearTimeout(timer);
      resolve();
    });
    subscription.close();
  });
}
