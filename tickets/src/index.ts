import {
  closeServer,
  connectEventBus,
  connectMongo,
  instrumentTransport,
  isMongoConnected,
  OutboxRelay,
  runService,
  type ServiceContext,
  ServiceMetrics,
  type Subscription,
  startHttpServer,
} from '@ticketing/common';
import mongoose from 'mongoose';
import { buildApp } from './app';
import { loadConfig, type TicketsConfig } from './config';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { OrderUpdatedListener } from './events/listeners/order-updated-listener';
import { Ticket } from './models/ticket';

/**
 * Each resource registers its release as soon as it exists, so SIGTERM releases them in reverse order:
 * HTTP (in-flight requests finish), the listeners (the message in hand finishes, buffered ones are nak'd),
 * the outbox relay (a last flush publishes what those requests and messages committed), NATS, Mongo.
 */
async function main(config: TicketsConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongoose.disconnect());
  await Ticket.init();
  const metrics = new ServiceMetrics('tickets');
  const bus = instrumentTransport(await connectEventBus(config.eventBus), metrics);
  shutdown.add('event bus', () => bus.close());
  const mirror = config.eventBus.mirror && (await connectEventBus(config.eventBus.mirror));
  if (mirror) shutdown.add('event bus mirror', () => mirror.close());

  // The relay first: events committed before a crash go out now.
  const relay = new OutboxRelay([Ticket], bus, { intervalMs: config.relayIntervalMs, logger, mirror });
  relay.start();
  shutdown.add('outbox relay', () => relay.stop());
  metrics.trackOutbox(() => relay.pendingCount());
  const onChange = () => relay.kick();

  const subscriptions: Subscription[] = [];
  shutdown.add('listeners', async () => void (await Promise.all(subscriptions.map((s) => s.stop()))));
  subscriptions.push(await new OrderCreatedListener(bus, onChange, logger).listen());
  subscriptions.push(await new OrderUpdatedListener(bus, onChange, logger).listen());

  const app = buildApp({
    jwtKey: config.jwtKey,
    logger,
    metrics,
    onChange,
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = await startHttpServer(app, config.port);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port, transport: bus.kind }, 'tickets listening');
}

runService('tickets', loadConfig, main);
