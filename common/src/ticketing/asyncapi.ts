import { z } from 'zod';
import { BUS_IDENTITIES } from './identities';
import { eventSchemas } from './schemas';
import { ALL_SUBJECTS, type Subject } from './subjects';

/** `ticket:created` → `ticketCreated` (AsyncAPI's ids allow letters, digits, `.`, `-`, `_`). */
const idOf = (subject: Subject) => subject.replace(/:(\w)/, (_, c: string) => c.toUpperCase());

const DESCRIPTIONS: Record<Subject, string> = {
  'ticket:created': 'A ticket was put up for sale (version 0).',
  'ticket:updated': 'A ticket changed: title or price by its seller, or reserved/freed by an order (`orderId`).',
  'order:created': 'A buyer ordered a ticket: the order asks tickets to reserve the ticket at the version the buyer saw.',
  'order:updated': "An order's status changed (awaiting payment, complete, cancelled with a reason).",
  'reservation:decided': "tickets' answer to an order: the reservation accepted, or rejected with a reason.",
  'payment:created': 'A payment for an order was charged and recorded.',
};

/**
 * The AsyncAPI 3 document of the events, generated from the catalogue itself: each event's payload schema is its
 * zod schema, and who sends and receives it comes from `BUS_IDENTITIES`. Published with the package as
 * `asyncapi.json` (`@ticketing/common/asyncapi.json`); a test keeps that file equal to this.
 */
export function asyncApiDocument(version: string) {
  const messages = Object.fromEntries(
    ALL_SUBJECTS.map((subject) => [
      idOf(subject),
      {
        name: subject,
        title: subject,
        summary: DESCRIPTIONS[subject],
        contentType: 'application/json',
        headers: {
          type: 'object',
          properties: {
            'Nats-Msg-Id': {
              type: 'string',
              description: 'JetStream only: `<event>/<id>:<version>`; the server drops a second publish with the same id.',
            },
            'x-request-id': { type: 'string', description: 'JetStream only: the HTTP request that caused the event.' },
            traceparent: { type: 'string', description: 'JetStream only: W3C trace context of that request.' },
          },
        },
        payload: z.toJSONSchema(eventSchemas[subject], { target: 'draft-7', io: 'output' }),
      },
    ]),
  );
  const channels = Object.fromEntries(
    ALL_SUBJECTS.map((subject) => [
      idOf(subject),
      {
        address: `events.${subject}`,
        title: subject,
        description: `${DESCRIPTIONS[subject]} On JetStream in stream EVENTS (\`<namespace>.events.${subject}\` with EVENT_NAMESPACE); on NATS Streaming the channel \`${subject}\`.`,
        messages: { [idOf(subject)]: { $ref: `#/components/messages/${idOf(subject)}` } },
      },
    ]),
  );
  const operations: Record<string, unknown> = {};
  for (const [service, identity] of Object.entries(BUS_IDENTITIES)) {
    for (const subject of identity.publishes) {
      operations[`${service}.send.${idOf(subject)}`] = {
        action: 'send',
        title: `${service} publishes ${subject}`,
        channel: { $ref: `#/channels/${idOf(subject)}` },
      };
    }
    for (const subject of identity.listens) {
      operations[`${service}.receive.${idOf(subject)}`] = {
        action: 'receive',
        title: `${service} listens to ${subject} (queue group ${identity.queueGroup})`,
        channel: { $ref: `#/channels/${idOf(subject)}` },
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Ticketing events',
      version,
      description:
        'Every change to a ticket, an order or a payment, announced with the full new state and its version. A listener applies an event only when its version is one more than its copy; one schema per event (common/src/ticketing/schemas.ts).',
    },
    defaultContentType: 'application/json',
    servers: {
      jetstream: { host: 'localhost:4222', protocol: 'nats', description: 'NATS JetStream (default): stream EVENTS over `events.>`.' },
      stan: { host: 'localhost:4222', protocol: 'stan', description: 'NATS Streaming (cluster id `ticketing`).' },
    },
    channels,
    operations,
    components: { messages },
  };
}
