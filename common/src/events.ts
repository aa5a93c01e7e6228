/**
 * `@ticketing/common/events`: the event catalogue (subjects, schemas, payload types, order statuses), the
 * `Publisher` and `Listener` base classes, the `EventTransport` interface, the bus configuration and the NATS
 * identities. Loads no NATS client: `connectEventBus` requires the configured transport's module when it
 * connects (`@ticketing/common/jetstream` or `/stan`), so a project installs only its own broker's client.
 */

export { asyncApiDocument } from './events/asyncapi';
export { EventValidationError, encodeEvent } from './events/codec';
export { DEAD_LETTER_PAYLOAD_BYTES } from './events/consumer/dead-letter';
export { type Ordering, orderedBy, perAggregate, unordered } from './events/consumer/ordering';
export type { ListenerPolicies } from './events/consumer/policies';
export { DEFAULT_RETRY, type RetryPolicy, retryPolicy } from './events/consumer/retry';
export { connectEventBus, type EventBusConfig, eventBusConfigFromEnv, jetStreamNames, provisionEventBus } from './events/event-bus';
export { HandlerDeadlineError, Listener, type MessageContext } from './events/listener';
export {
  CANCEL_REASONS,
  CancelReason,
  canTransition,
  EXPIRING_STATUSES,
  isHolding,
  ORDER_STATUSES,
  OrderStatus,
  REJECTION_REASONS,
  RejectionReason,
} from './events/order-status';
export {
  BUS_ADMIN_USER,
  BUS_IDENTITIES,
  type BusIdentity,
  jetStreamPermissions,
  type NatsUserEntry,
  natsAuthorization,
  type ServiceIdentityName,
  type SubjectPermissions,
  stanPermissions,
} from './events/permissions';
export { Publisher } from './events/publisher';
export {
  type EventData,
  eventSchemas,
  type OrderCreatedEvent,
  type OrderEventData,
  type OrderUpdatedEvent,
  orderEventSchema,
  type PaymentCreatedEvent,
  type PaymentEventData,
  paymentEventSchema,
  type ReservationDecidedEvent,
  type ReservationEventData,
  reservationEventSchema,
  type TicketCreatedEvent,
  type TicketEventData,
  type TicketUpdatedEvent,
  ticketEventSchema,
} from './events/schemas';
export { ALL_SUBJECTS, isSubject, type Subject, Subjects } from './events/subjects';
export type {
  DeadLetter,
  DeliveredMessage,
  EventTransport,
  MessageHandler,
  PublishOptions,
  Signals,
  SubscribeOptions,
  Subscription,
} from './events/transport';
export { inboxPrefixOf, natsEndpoint, redactServers } from './events/transports/nats-endpoint';
export { STREAM_LIMITS, type StreamLimits } from './events/transports/stream-limits';
export { requireObjectIds, UnprocessableEventError } from './events/unprocessable';
export { type ApplyResult, type VersionVerdict, versionVerdict } from './events/versioning';
