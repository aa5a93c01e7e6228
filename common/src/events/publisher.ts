import type { TraceContext } from '../support/trace';
import type { EventData } from '../ticketing/schemas';
import type { Subject } from '../ticketing/subjects';
import { encodeText, serializeEvent } from './codec';
import type { EventTransport } from './transport';

/**
 * An event ready to go out: validated against its subject's schema and serialised, with its deduplication
 * id `<subject>/<id>:<version>` and the trace of the request (or event) that caused it. What the outbox
 * stores in an aggregate's document, and what `sendEvent` publishes: every event leaves through these two.
 */
export interface OutgoingEvent {
  subject: Subject;
  /**
   * `<subject>/<id>:<version>`: JetStream drops a re-publish with the same id. The subject is part of it
   * because one id can have events of several subjects (an order's `order:created` v0 and the
   * `reservation:decided` answering it).
   */
  messageId: string;
  /** The validated JSON payload. */
  payload: string;
  /** The request it belongs to (see `trace.ts`); travels in the message headers on JetStream. */
  requestId?: string;
  traceparent?: string;
}

/**
 * Validates and serialises `data` now, so an invalid event is refused before it is stored or sent. `trace`:
 * the request (or event) that caused it, sent along in the message headers.
 */
export function prepareEvent<S extends Subject>(subject: S, data: EventData<S>, trace?: TraceContext): OutgoingEvent {
  return {
    subject,
    messageId: `${subject}/${data.id}:${data.version}`,
    payload: serializeEvent(subject, data),
    ...(trace ? { requestId: trace.requestId, traceparent: trace.traceparent } : {}),
  };
}

/** Publishes a prepared event; resolves once the server has stored it. */
export function sendEvent(transport: EventTransport, event: OutgoingEvent): Promise<void> {
  return transport.publish(event.subject, encodeText(event.payload), {
    messageId: event.messageId,
    ...(event.requestId && event.traceparent ? { trace: { requestId: event.requestId, traceparent: event.traceparent } } : {}),
  });
}

/**
 * Publishes one kind of event straight away (services publish through the outbox instead, which uses the
 * same `prepareEvent` and `sendEvent`). The payload is validated against the subject's schema before it
 * leaves the process, and `publish` resolves only once the server has stored it. The message id is
 * `<subject>/<id>:<version>`, so publishing the same state twice is deduplicated by JetStream.
 *
 *     class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
 *       readonly subject = Subjects.TicketCreated;
 *     }
 */
export abstract class Publisher<S extends Subject> {
  abstract readonly subject: S;

  constructor(protected readonly transport: EventTransport) {}

  /** `trace`: the request (or event) that caused this one; listeners get it in `MessageContext.trace`. */
  async publish(data: EventData<S>, trace?: TraceContext): Promise<void> {
    await sendEvent(this.transport, prepareEvent(this.subject, data, trace));
  }
}
