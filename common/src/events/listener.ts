import type { Logger } from '../support/logger';
import { continueTrace, type TraceContext } from '../support/trace';
import type { EventData } from '../ticketing/schemas';
import type { Subject } from '../ticketing/subjects';
import { decodeEvent, EventValidationError } from './codec';
import { deadLetterRecord, sendToDeadLetters } from './consumer/dead-letter';
import { type ListenerPolicies, resolvePolicies } from './consumer/policies';
import { afterError, afterResult, type Settlement } from './consumer/retry';
import type { DeliveredMessage, EventTransport, Subscription } from './transport';
import type { ApplyResult } from './versioning';

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

/**
 * Listens to one kind of event as one queue group (the listening service's name). Every replica of a
 * service shares the group's durable consumer, so each event is handled once per service.
 *
 * The listener composes its consumer policies, each declared as an option (`policies`, see
 * `ListenerPolicies`) and kept in a unit of its own:
 * - decoding: the payload is validated; an invalid one is dead-lettered at once, never redelivered;
 * - ordering (`ordering`, default per aggregate): which events wait for which;
 * - concurrency (`concurrency`): how many deliveries are handled at once;
 * - retry (`retry`): `onMessage` returns an `ApplyResult` (`applied`/`stale` → ack; `gap` → offered again
 *   after a short delay, so the missing predecessor can arrive first) or settles the message itself with
 *   `ack()`/`nak()`; an error the policy calls permanent dead-letters the message at once, any other is
 *   logged and the message redelivered after a back-off; on the last delivery (a failure, or a gap that
 *   never filled) the message is dead-lettered instead;
 * - deadline: a handler still running when the ack wait (`ackWaitMs`) ends is given up, as if it failed, so
 *   a call that never answers cannot hold its aggregate's later events (queued behind it) for good;
 * - dead-lettering: the record (payload, reason, delivery count) goes to the dead letters, and the message
 *   is never delivered again.
 * The same composition runs on every transport. Nothing a handler does can crash the process.
 */
export abstract class Listener<S extends Subject> {
  abstract readonly subject: S;
  abstract readonly queueGroup: string;
  /**
   * The policies this listener declares; each one it leaves out takes its default. For example
   * `protected override readonly policies = { ordering: orderedBy((order) => order.ticket.id) }`.
   */
  protected readonly policies: Partial<ListenerPolicies<EventData<S>>> = {};
  private resolved?: ListenerPolicies<EventData<S>>;

  constructor(
    protected readonly transport: EventTransport,
    protected readonly logger?: Logger,
  ) {}

  abstract onMessage(data: EventData<S>, message: MessageContext): Promise<ApplyResult | undefined>;

  /** The policies in force: the declared ones over the defaults. */
  get effectivePolicies(): ListenerPolicies<EventData<S>> {
    this.resolved ??= resolvePolicies(this.policies);
    return this.resolved;
  }

  listen(): Promise<Subscription> {
    const { ackWaitMs, retry, concurrency } = this.effectivePolicies;
    return this.transport.subscribe(
      this.subject,
      { queueGroup: this.queueGroup, ackWaitMs, maxDeliver: retry.maxDeliveries, concurrency },
      (message) => this.handle(message),
    );
  }

  /**
   * Decodes at once (the transport hands messages over in arrival order), then lets the ordering run the
   * event when the events it follows are done.
   */
  private handle(message: DeliveredMessage): Promise<void> {
    let data: EventData<S>;
    try {
      data = decodeEvent(this.subject, message.data);
    } catch (err) {
      const reason = err instanceof EventValidationError ? err.reason : String(err);
      return this.settle(message, { action: 'dead-letter', reason: `invalid payload: ${reason}` });
    }
    return this.effectivePolicies.ordering.run(data, () => this.apply(data, message));
  }

  private async apply(data: EventData<S>, message: DeliveredMessage): Promise<void> {
    const { retry } = this.effectivePolicies;
    const isDebug = this.logger?.isLevelEnabled('debug') === true;
    const started = isDebug ? performance.now() : 0;
    let settlement: Settlement | undefined;
    try {
      const handling = this.onMessage(data, {
        subject: message.subject,
        deliveryCount: message.deliveryCount,
        ack: () => message.ack(),
        nak: (delayMs) => message.nak(delayMs),
        trace: message.trace && { requestId: message.trace.requestId, traceparent: continueTrace(message.trace.traceparent) },
      });
      const result = await withinDeadline(handling, this.effectivePolicies.ackWaitMs);
      if (isDebug) {
        this.logger?.debug(
          { ...this.about(message), id: data.id, version: data.version, result, ms: performance.now() - started },
          'event handled',
        );
      }
      settlement = afterResult(retry, result, message.deliveryCount);
    } catch (err) {
      // A permanent error is not a failure to report twice: the dead-lettering below logs it with its reason.
      if (!retry.isPermanent(err))
        this.logger?.warn({ err, ...this.about(message), id: data.id, version: data.version }, 'event handler failed');
      settlement = afterError(retry, err, message.deliveryCount);
    }
    if (settlement) await this.settle(message, settlement);
  }

  private async settle(message: DeliveredMessage, settlement: Settlement): Promise<void> {
    if (settlement.action === 'ack') message.ack();
    else if (settlement.action === 'retry') message.nak(settlement.delayMs);
    else {
      this.logger?.error({ ...this.about(message), reason: settlement.reason }, 'event dead-lettered');
      const record = deadLetterRecord(message, this.queueGroup, settlement.reason);
      await sendToDeadLetters(
        this.transport,
        message,
        record,
        this.effectivePolicies.retry.failureDelayMs(message.deliveryCount),
        this.logger,
      );
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
}

/** A handler that had not finished when its delivery's ack wait ended (the server is delivering it again). */
export class HandlerDeadlineError extends Error {
  constructor(ms: number) {
    super(`handler still running after ${ms} ms (the ack wait); this delivery is given up`);
    this.name = 'HandlerDeadlineError';
  }
}

/**
 * The handler's outcome, or a `HandlerDeadlineError` after `ms`. The handler itself cannot be stopped: it may
 * still finish while the redelivery runs, as when the server hands a slow delivery to another replica of the
 * service, which handlers are written for (their writes are conditional on what they read).
 */
function withinDeadline<T>(handling: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerDeadlineError(ms)), ms);
  });
  return Promise.race([handling, deadline]).finally(() => clearTimeout(timer));
}
