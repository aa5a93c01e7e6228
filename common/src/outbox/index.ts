/**
 * `@ticketing/common/outbox`: an aggregate and the events announcing its changes in one document write
 * (`outboxPlugin`, `pendingEvent`, `AggregateStore`), the `OutboxRelay` that publishes them, and
 * `startEventRuntime`, which wires bus, relay and listeners into a service. Needs mongoose and the NATS clients.
 */

export { AggregateStore, type WrittenAggregate } from './aggregate-store';
export {
  type EventRuntime,
  type EventRuntimeOptions,
  startEventRuntime,
} from './event-runtime';
export { type OutboxHandOff, type OutboxSource, outboxPlugin, type PendingEvent, pendingEvent } from './pending-events';
export { OutboxRelay, type OutboxRelayOptions } from './relay';
