/**
 * `@ticketing/common/events`: the `Publisher` and `Listener` base classes with their consumer policies, the
 * `EventTransport` interface, the bus configuration and the NATS permissions (this folder, `events/`: the
 * generic machinery another team would reuse), and the ticketing event catalogue they are typed by (subjects,
 * schemas, payload types, order lifecycle, the services' bus identities: `ticketing/`, what another team
 * replaces with its own). Loads no NATS client: `connectEventBus` requires the configured transport's module
 * when it connects (`@ticketing/common/jetstream` or `/stan`), so a project installs only its own broker's
 * client.
 */

// The ticketing event catalogue.
export { asyncApiDocument } from '../ticketing/asyncapi';
export { BUS_IDENTITIES, natsAuthorization, type ServiceIdentityName } from '../ticketing/identities';
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
} from '../ticketing/order-status';
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
} from '../ticketing/schemas';
export { ALL_SUBJECTS, isSubject, type Subject, Subjects } from '../ticketing/subjects';
// The generic machinery.
export { EventValidationError, encodeEvent } from './codec';
export { DEAD_LETTER_PAYLOAD_BYTES } from './consumer/dead-letter';
export { type Ordering, orderedBy, perAggregate, unordered } from './consumer/ordering';
export type { ListenerPolicies } from './consumer/policies';
export { DEFAULT_RETRY, type RetryPolicy, retryPolicy } from './consumer/retry';
export { connectEventBus, type EventBusConfig, eventBusConfigFromEnv, jetStreamNames, provisionEventBus } from './event-bus';
export { HandlerDeadlineError, Listener, type MessageContext } from './listener';
export {
  BUS_ADMIN_USER,
  type BusIdentity,
  jetStreamPermissions,
  type NatsUserEntry,
  type SubjectPermissions,
  stanPermissions,
} from './permissions';
export { Publisher } from './publisher';
export type {
  DeadLetter,
  DeliveredMessage,
  EventTransport,
  MessageHandler,
  PublishOptions,
  Signals,
  SubscribeOptions,
  Subscription,
} from './transport';
export { inboxPrefixOf, natsEndpoint, redactServers } from './transports/nats-endpoint';
export { STREAM_LIMITS, type StreamLimits } from './transports/stream-limits';
export { requireObjectIds, UnprocessableEventError } from './unprocessable';
export { type ApplyResult, type VersionVerdict, versionVerdict } from './versioning';
