import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeadLetter, EventTransport, MessageHandler, PublishOptions, SubscribeOptions } from '../events/transport';

/**
 * The Prometheus metrics of one service: HTTP latency by route and status, the event flow by subject
 * (published, received, acked, redelivered, dead-lettered), and the outbox backlog.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly eventsPublished: Counter<'subject'>;
  readonly eventsReceived: Counter<'subject'>;
  readonly eventsAcked: Counter<'subject'>;
  readonly eventsRedelivered: Counter<'subject'>;
  readonly eventsDeadLettered: Counter<'subject'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['subject'], registers });
    this.eventsPublished = counter('events_published_total', 'Events stored by the server (outbox relay and publishers)');
    this.eventsReceived = counter('events_received_total', 'Event deliveries handed to a listener (first deliveries and redeliveries)');
    this.eventsAcked = counter('events_acked_total', 'Event deliveries acknowledged');
    this.eventsRedelivered = counter('events_redelivered_total', 'Event deliveries that were redeliveries');
    this.eventsDeadLettered = counter('events_dead_lettered_total', 'Events moved to the dead letters');
  }

  /** `outbox_pending_events`: the relay's in-memory backlog at each scrape (a scrape never reads the database). */
  trackOutbox(countPending: () => number): void {
    new Gauge({
      name: 'outbox_pending_events',
      help: 'Committed events not yet published',
      registers: [this.registry],
      collect() {
        this.set(countPending());
      },
    });
  }
}

/** Wraps a transport so every publish, delivery, ack and dead letter is counted by subject. */
export function instrumentTransport(transport: EventTransport, metrics: ServiceMetrics): EventTransport {
  return {
    kind: transport.kind,
    signals: transport.signals,
    isConnected: () => transport.isConnected(),
    close: () => transport.close(),
    async publish(subject: string, payload: Uint8Array, options?: PublishOptions) {
      await transport.publish(subject, payload, options);
      metrics.eventsPublished.inc({ subject });
    },
    async deadLetter(record: DeadLetter) {
      await transport.deadLetter(record);
      metrics.eventsDeadLettered.inc({ subject: record.subject });
    },
    subscribe(subject: string, options: SubscribeOptions, handler: MessageHandler) {
      return transport.subscribe(subject, options, (message) => {
        metrics.eventsReceived.inc({ subject });
        if (message.deliveryCount > 1) metrics.eventsRedelivered.inc({ subject });
        // Everything the transport delivered, with the ack counted: a field added to deliveries passes through.
        return handler({
          ...message,
          ack: () => {
            message.ack();
            metrics.eventsAcked.inc({ subject });
          },
        });
      });
    },
  };
}
