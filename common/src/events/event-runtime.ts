import type { Logger } from '../logger';
import { instrumentTransport, type ServiceMetrics } from '../metrics';
import type { Shutdown } from '../shutdown';
import { connectEventBus, type EventBusConfig } from './event-bus';
import type { Listener } from './listener';
import { type OutboxModel, OutboxRelay } from './outbox';
import type { Subject } from './subjects';
import type { EventTransport, Subscription } from './transport';

export interface EventRuntimeOptions {
  eventBus: EventBusConfig;
  /** The aggregates whose `pendingEvents` the relay publishes. */
  models: OutboxModel[];
  relayIntervalMs: number;
  metrics: ServiceMetrics;
  logger: Logger;
  shutdown: Shutdown;
}

export interface EventRuntime {
  /** The instrumented bus listeners subscribe to. */
  bus: EventTransport;
  relay: OutboxRelay;
  /** Call after a committed change: the relay publishes now instead of at its next sweep. */
  onChange: () => void;
  /** Subscribes the listeners; on shutdown they stop before the relay's last flush. */
  listen(listeners: Array<Listener<Subject>>): Promise<void>;
}

/**
 * The event side of a service that owns aggregates: the bus (counted in the metrics), the migration
 * mirror when configured, and the outbox relay, each registered for shutdown as soon as it exists, so a
 * stop releases them in reverse: listeners, relay (last flush), mirror, bus.
 */
export async function startEventRuntime(options: EventRuntimeOptions): Promise<EventRuntime> {
  const { eventBus, models, relayIntervalMs, metrics, logger, shutdown } = options;
  const bus = instrumentTransport(await connectEventBus(eventBus, logger), metrics);
  shutdown.add('event bus', () => bus.close());
  const mirror = eventBus.mirror && (await connectEventBus(eventBus.mirror, logger));
  if (mirror) shutdown.add('event bus mirror', () => mirror.close());

  // The relay first: events committed before a crash go out now.
  const relay = new OutboxRelay(models, bus, { intervalMs: relayIntervalMs, logger, mirror });
  relay.start();
  shutdown.add('outbox relay', () => relay.stop());
  metrics.trackOutbox(() => relay.pendingCount());

  return {
    bus,
    relay,
    onChange: () => relay.kick(),
    async listen(listeners) {
      const subscriptions: Subscription[] = [];
      shutdown.add('listeners', async () => void (await Promise.all(subscriptions.map((s) => s.stop()))));
      for (const listener of listeners) subscriptions.push(await listener.listen());
    },
  };
}
