import { once } from 'node:events';
import {
  closeServer,
  connectEventBus,
  connectMongo,
  createLogger,
  handleShutdown,
  instrumentTransport,
  isMongoConnected,
  OutboxRelay,
  runService,
  ServiceMetrics,
} from '@ticketing/common';
import mongoose from 'mongoose';
import { buildApp } from './app';
import { loadConfig, type TicketsConfig } from './config';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { OrderUpdatedListener } from './events/listeners/order-updated-listener';
import { Ticket } from './models/ticket';

async function main(config: TicketsConfig): Promise<void> {
  const logger = createLogger('tickets', config.logLevel);
  await connectMongo(config.mongoUrl, logger);
  await Ticket.init();
  const metrics = new ServiceMetrics('tickets');
  const bus = instrumentTransport(await connectEventBus(config.eventBus), metrics);

  // The relay first: events committed before a crash go out now.
  const mirror = config.eventBus.mirror && (await connectEventBus(config.eventBus.mirror));
  const relay = new OutboxRelay([Ticket], bus, { intervalMs: config.relayIntervalMs, logger, mirror });
  relay.start();
  metrics.trackOutbox(() => relay.pendingCount());
  const onChange = () => relay.kick();
  const subscriptions = [
    await new OrderCreatedListener(bus, onChange, logger).listen(),
    await new OrderUpdatedListener(bus, onChange, logger).listen(),
  ];

  const app = buildApp({
    jwtKey: config.jwtKey,
    logger,
    metrics,
    onChange,
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = app.listen(config.port);
  await once(server, 'listening');
  logger.info({ port: config.port, transport: bus.kind }, 'tickets listening');

  handleShutdown(
    [
      { name: 'http', run: () => closeServer(server) },
      { name: 'listeners', run: async () => void (await Promise.all(subscriptions.map((s) => s.stop()))) },
      { name: 'outbox relay', run: () => relay.stop() },
      { name: 'event bus', run: async () => void (await Promise.all([bus.close(), mirror?.close()])) },
      { name: 'mongo', run: () => mongoose.disconnect() },
    ],
    logger,
  );
}

runService('tickets', loadConfig, main);
