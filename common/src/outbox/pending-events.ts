import type { Model, Schema, Types } from 'mongoose';
import { type OutgoingEvent, prepareEvent } from '../events/publisher';
import type { TraceContext } from '../support/trace';
import type { EventData } from '../ticketing/schemas';
import type { Subject } from '../ticketing/subjects';

/**
 * The outbox: an aggregate's document carries the events announcing its changes, written in the same
 * single-document write as the change itself, so there is never a change without its event or an event
 * without its change. The `AggregateStore` that made the write hands the written events to the relay,
 * which publishes them and then removes exactly those from the document.
 */
export type PendingEvent = OutgoingEvent;

/** Mongoose field definition for the pending events of an aggregate. */
export const pendingEventsField = {
  type: [
    {
      _id: false,
      subject: { type: String, required: true },
      messageId: { type: String, required: true },
      payload: String,
      requestId: String,
      traceparent: String,
    },
  ],
  default: [],
};

/**
 * A pending event exactly as the document stores it: the fields in the schema's order, absent ones left
 * out. `$pullAll` removes a subdocument only if it is equal field for field, in order.
 */
export function storedShape({ subject, messageId, payload, requestId, traceparent }: PendingEvent): PendingEvent {
  return {
    subject,
    messageId,
    payload,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
  };
}

/** What the relay's safety sweep looks for: documents with at least one pending event. */
export const HAS_PENDING_EVENTS = { 'pendingEvents.messageId': { $gt: '' } };

/**
 * Adds the outbox to an aggregate's schema: the `pendingEvents` field, and an index that lets the safety
 * sweep read only the documents that have pending events. Write such a document through its
 * `AggregateStore`: a write made any other way is not handed to the relay, and its events wait for the sweep.
 */
export function outboxPlugin(schema: Schema): void {
  schema.add({ pendingEvents: pendingEventsField });
  schema.index({ 'pendingEvents.messageId': 1 });
}

/**
 * Builds the pending event for `data`, validating it now so an invalid event is never committed. `trace`:
 * the request (`traceOf(req)`) or event (`MessageContext.trace`) that caused it; stored with the event and
 * sent in the message headers.
 */
export function pendingEvent<S extends Subject>(subject: S, data: EventData<S>, trace?: TraceContext): PendingEvent {
  return prepareEvent(subject, data, trace);
}

export interface OutboxDocument {
  _id: Types.ObjectId;
  version: number;
  pendingEvents: PendingEvent[];
}

// biome-ignore lint/suspicious/noExplicitAny: the relay works with any aggregate model that has the outbox fields
export type OutboxModel = Model<any>;

/** Where an `AggregateStore` hands what it wrote: the relay, once the event runtime has started. */
export interface OutboxHandOff {
  /** Events just committed in the document `id` of `model`: publish them now. */
  handOff(model: OutboxModel, id: Types.ObjectId, events: readonly PendingEvent[]): void;
  /** A write failed without saying whether it was committed: look for its events soon. */
  sweepSoon(): void;
}

/** What the event runtime connects to the relay: a store's model (swept) and its hand-off. */
export interface OutboxSource {
  readonly model: OutboxModel;
  attach(outbox: OutboxHandOff): () => void;
}
