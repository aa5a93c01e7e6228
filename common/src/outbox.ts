/**
 * `@ticketing/common/outbox`: an aggregate and the events announcing its changes in one document write
 * (`outboxPlugin`, `pendingEvent`, `AggregateStore`), the `OutboxRelay` that publishes them, and
 * `startEventRuntime`, which wires bus, relay and listeners into a service. Needs mongoose and the NATS clients.
 */
export {
  type EventRuntime,
  type EventRuntimeOptions,
  startEventRuntime,
} from './events/event-runtime';
export {
  AggregateStore,
  type OutboxHandOff,
  OutboxRelay,
  type OutboxRelayOptions,
  type OutboxSource,
  outboxPlugin,
  type PendingEvent,
  pendingEvent,
  type WrittenAggregate,
} from './events/outbox';
