import { createHash } from 'node:crypto';
import { KeyedQueue } from '../keyed-queue';
import type { Logger } from '../logger';
import { continueTrace, type TraceContext } from '../trace';
import { decodeEvent, EventValidationError, payloadText } from './codec';
import type { EventData } from './schemas';
import type { Subject } from './subjects';
import type { DeadLetter, DeliveredMessage, EventTransport, Subscription } from './transport';
import { UnprocessableEventError } from './unprocessable';
import { type ApplyResult, gapRetryDelayMs } from './versioning';

/** What a handler may do with the message it is given. */
export interface MessageContext {
  readonly subject: string;
  readonly deliveryCount: number;
  ack(): void;
  /** Redeliver later, e.g. when the event's predecessor has not arrived yet. */
  nak(delayMs?: number): void;
  /**
   * The trace of the request that caused the event, continued for this handler (JetStream; undefined on NATS
   * Streaming): give it to the events the handler writes, so the chain goes on.
   */
  readonly trace?: TraceContext;
}

/** Delay before a failed handler sees the message again: 200 ms, 400 ms, … capped at 5 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(200 * 2 ** Math.max(0, deliveryCount - 1), 5_000);
}

/**
 * Listens to one kind of event as one queue group (= the listening service's name). Every replica of a
 * service shares the group's durable consumer, so each event is handled once per service.
 *
 * - The payload is validated; an invalid one is dead-lettered at once and never redelivered.
 * - `onMessage` either returns an `ApplyResult` (`applied`/`stale` → ack; `gap` → nak with a short delay
 *   so the missing predecessor can arrive first) or settles the message itself with `ack()`/`nak()`.
 * - If it throws `UnprocessableEventError` (the event names something that cannot exist), the message is
 *   dead-lettered at once. If it throws anything else, the error is logged and the message redelivered
 *   after a back-off. On the last allowed
 *   delivery (a failure, or a gap that never filled) the message is dead-lettered instead.
 * - Events of different aggregates are handled concurrently (up to `concurrency`); the events of one
 *   aggregate (same `id`) one after another, in the order they arrived.
 * - Nothing a handler does can crash the process.
 */
export abstract class Listener<S extends Subject> {
  abstract readonly subject: S;
  abstract readonly queueGroup: string;
  /** Redelivery happens after this long without ack. */
  protected ackWaitMs = 10_000;
  /**
   * Bound on deliveries, including the naks that wait for a missing predecessor. With the default 100, a
   * version gap waits about 95 s for its predecessor (offered again every second after the first one) and a
   * failing handler is retried for about 8 minutes (every 5 s), before the message is dead-lettered. A gap
   * waits that long because its predecessor may come through another consumer (`order:created` and
   * `order:updated` are two), which can lag by a NATS server's failover: clients give up on a silent server
   * after 9–12 s, then the consumer elects a leader. A gap dead-lettered too soon is an event lost.
   */
  protected maxDeliver = 100;
  /** Messages handled at once. One aggregate's events still run one at a time (see `handle`). */
  protected concurrency = 32;
  private readonly perAggregate = new KeyedQueue();

  constructor(
    protected readonly transport: EventTransport,
    protected readonly logger?: Logger,
  ) {}

  abstract onMessage(data: EventData<S>, message: MessageContext): Promise<ApplyResult | undefined>;

  listen(): Promise<Subscription> {
    return this.transport.subscribe(
      this.subject,
      { queueGroup: this.queueGroup, ackWaitMs: this.ackWaitMs, maxDeliver: this.maxDeliver, concurrency: this.concurrency },
      (message) => this.handle(message),
    );
  }

  /**
   * Decodes at once (the transport hands messages over in arrival order), then queues the event behind the
   * earlier events of the same aggregate, so their order is kept while other aggregates proceed.
   */
  private handle(message: DeliveredMessage): Promise<void> {
    let data: EventData<S>;
    try {
      data = decodeEvent(this.subject, message.data);
    } catch (err) {
      const reason = err instanceof EventValidationError ? err.reason : String(err);
      return this.deadLetter(message, `invalid payload: ${reason}`);
    }
    return this.perAggregate.run(this.orderingKey(data), () => this.apply(data, message));
  }

  /**
   * Events with the same key are handled one at a time, in arrival order. The default is the aggregate's
   * id; a listener whose events all change another document may key by that document instead (a coarser
   * key keeps every aggregate's order and saves the writes that would otherwise race for the document).
   */
  protected orderingKey(data: EventData<S>): string {
    return data.id;
  }

  private async apply(data: EventData<S>, message: DeliveredMessage): Promise<void> {
    const isDebug = this.logger?.isLevelEnabled('debug') === true;
    const started = isDebug ? performance.now() : 0;
    try {
      const result = await this.onMessage(data, {
        subject: message.subject,
        deliveryCount: message.deliveryCount,
        ack: () => message.ack(),
        nak: (delayMs) => message.nak(delayMs),
        trace: message.trace && { requestId: message.trace.requestId, traceparent: continueTrace(message.trace.traceparent) },
      });
      if (isDebug) {
        this.logger?.debug(
          { ...this.about(message), id: data.id, version: data.version, result, ms: performance.now() - started },
          'event handled',
        );
      }
      if (result === 'applied' || result === 'stale') message.ack();
      else if (result === 'gap') {
        if (message.deliveryCount >= this.maxDeliver) {
          await this.deadLetter(message, `version gap never filled after ${message.deliveryCount} deliveries`);
        } else {
          message.nak(gapRetryDelayMs(message.deliveryCount));
        }
      }
    } catch (err) {
      if (err instanceof UnprocessableEventError) {
        await this.deadLetter(message, `unprocessable: ${err.message}`);
        return;
      }
      this.logger?.warn({ err, ...this.about(message), id: data.id, version: data.version }, 'event handler failed');
      if (message.deliveryCount >= this.maxDeliver) {
        await this.deadLetter(message, `handler failed on delivery ${message.deliveryCount}: ${errorText(err)}`);
      } else {
        message.nak(retryDelayMs(message.deliveryCount));
      }
    }
  }

  /** What every log line about a message says: which event, which delivery, and the request it belongs to. */
  private about(message: DeliveredMessage) {
    return {
      subject: this.subject,
      queueGroup: this.queueGroup,
      deliveryCount: message.deliveryCount,
      ...(message.trace ? { requestId: message.trace.requestId, traceparent: message.trace.traceparent } : {}),
    };
  }

  private async deadLetter(message: DeliveredMessage, reason: string): Promise<void> {
    this.logger?.error({ ...this.about(message), reason }, 'event dead-lettered');
    try {
      await this.transport.deadLetter({
        subject: message.subject,
        queueGroup: this.queueGroup,
        ...deadLetterPayload(message.data),
        reason,
        deliveryCount: message.deliveryCount,
        deadLetteredAt: new Date().toISOString(),
      });
      message.term(reason);
    } catch (err) {
      // Could not record it: keep the message so it is not lost; it comes back after a back-off.
      this.logger?.error({ err, subject: this.subject }, 'could not dead-letter event');
      message.nak(retryDelayMs(message.deliveryCount));
    }
  }
}

/**
 * Of a dead-lettered payload, a record keeps at most this much (and always its size and hash), so the record
 * fits in one NATS message whatever arrived, and junk cannot make the dead letters large.
 */
export const DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024;

function deadLetterPayload(data: Uint8Array): Pick<DeadLetter, 'payload' | 'payloadBytes' | 'payloadSha256' | 'isTruncated'> {
  const payloadSha256 = createHash('sha256').update(data).digest('hex');
  if (data.byteLength <= DEAD_LETTER_PAYLOAD_BYTES) return { payload: payloadText(data), payloadBytes: data.byteLength, payloadSha256 };
  return {
    payload: payloadText(data.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)),
    payloadBytes: data.byteLength,
    payloadSha256,
    isTruncated: true,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
