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
import { loadConfig, type OrdersConfig } from './config';
import { TicketCreatedListener } from './events/listeners/ticket-created-listener';
import { TicketUpdatedListener } from './events/listeners/ticket-updated-listener';
import { Order } from './models/order';
import { Ticket } from './models/ticket';
import { ExpirySweeper } from './services/expiry-sweeper';

async function main(config: OrdersConfig): Promise<void> {
  const logger = createLogger('orders', config.logLevel);
  await connectMongo(config.mongoUrl, logger);
  await Promise.all([Order.init(), Ticket.init()]); // the unique reservation index must exist before the first order
  const metrics = new ServiceMetrics('orders');
  const bus = instrumentTransport(await connectEventBus(config.eventBus), metrics);

  // The relay first: events committed before a crash go out now.
  const mirror = config.eventBus.mirror && (await connectEventBus(config.eventBus.mirror));
  const relay = new OutboxRelay([Order], bus, { intervalMs: config.relayIntervalMs, logger, mirror });
  relay.start();
  metrics.trackOutbox(() => relay.pendingCount());
  const onChange = () => relay.kick();
  const subscriptions = [await new TicketCreatedListener(bus, logger).listen(), await new TicketUpdatedListener(bus, logger).listen()];
  const sweeper = new ExpirySweeper(config.expirySweepIntervalMs, onChange, logger);
  sweeper.start();

  const app = buildApp({
    jwtKey: config.jwtKey,
    logger,
    metrics,
    orderExpirationSeconds: config.orderExpirationSeconds,
    onChange,
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = app.listen(config.port);
  await once(server, 'listening');
  logger.info({ port: config.port, transport: bus.kind }, 'orders listening');

  handleShutdown(
    [
      { name: 'http', run: () => closeServer(server) },
      { name: 'expiry sweeper', run: () => sweeper.stop() },
      { name: 'listeners', run: async () => void (await Promise.all(subscriptions.map((s) => s.stop()))) },
      { name: 'outbox relay', run: () => relay.stop() },
      { name: 'event bus', run: async () => void (await Promise.all([bus.close(), mirror?.close()])) },
      { name: 'mongo', run: () => mongoose.disconnect() },
    ],
    logger,
  );
}

runService('orders', loadConfig, main);
