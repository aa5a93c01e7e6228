import { connectEventBus, type EventBusConfig } from '../events/event-bus';
import type { Listener } from '../events/listener';
import type { EventTransport, Subscription } from '../events/transport';
import { instrumentTransport, type ServiceMetrics } from '../http/metrics';
import { followRevocations, RevokedSessions } from '../http/session-revocation';
import type { Shutdown } from '../http/shutdown';
import type { Logger } from '../support/logger';
import type { Subject } from '../ticketing/subjects';
import type { OutboxSource } from './pending-events';
import { OutboxRelay } from './relay';

export interface EventRuntimeOptions {
  eventBus: EventBusConfig;
  /** The stores that write this service's aggregates: the relay publishes what they write. */
  stores: OutboxSource[];
  /** How often the relay's safety sweep looks for events left behind (see `OutboxRelayOptions`). */
  sweepIntervalMs: number;
  metrics: ServiceMetrics;
  logger: Logger;
  shutdown: Shutdown;
}

export interface EventRuntime {
  /** The instrumented bus listeners subscribe to. */
  bus: EventTransport;
  relay: OutboxRelay;
  /** Sessions signed out before their expiry, kept current from auth (give it to `currentUser`). */
  revokedSessions: RevokedSessions;
  /** Subscribes the listeners; on shutdown they stop before the relay's last flush. */
  listen(listeners: Array<Listener<Subject>>): Promise<void>;
}

/**
 * The event side of a service that owns aggregates: the bus (counted in the metrics), the migration
 * mirror when configured, and the outbox relay, each registered for shutdown as soon as it exists, so a
 * stop releases them in reverse: listeners, relay (last flush), mirror, bus.
 */
export async function startEventRuntime(options: EventRuntimeOptions): Promise<EventRuntime> {
  const { eventBus, stores, sweepIntervalMs, metrics, logger, shutdown } = options;
  const bus = instrumentTransport(await connectEventBus(eventBus, logger), metrics);
  shutdown.add('event bus', () => bus.close());
  const mirror = eventBus.mirror && (await connectEventBus(eventBus.mirror, logger));
  if (mirror) shutdown.add('event bus mirror', () => mirror.close());

  // The relay first: events committed before a crash go out now.
  const relay = new OutboxRelay(
    stores.map((s) => s.model),
    bus,
    { sweepIntervalMs, logger, mirror },
  );
  const detach = stores.map((s) => s.attach(relay));
  relay.start();
  shutdown.add('outbox relay', async () => {
    for (const d of detach) d();
    await relay.stop();
  });
  metrics.trackOutbox(() => relay.backlog);

  const revokedSessions = new RevokedSessions();
  const revocations = await followRevocations({ signals: bus.signals, revoked: revokedSessions, namespace: eventBus.namespace, logger });
  shutdown.add('revoked sessions', async () => revocations.stop());

  return {
    bus,
    relay,
    revokedSessions,
    async listen(listeners) {
      const subscriptions: Subscription[] = [];
      shutdown.add('listeners', async () => void (await Promise.all(subscriptions.map((s) => s.stop()))));
      for (const listener of listeners) subscriptions.push(await listener.listen());
    },
  };
}
