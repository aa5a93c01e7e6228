import { closeServer, runService, type ServiceContext, ServiceMetrics, startHttpServer } from '@ticketing/common/http';
import { connectMongo, isMongoConnected } from '@ticketing/common/mongo';
import { startEventRuntime } from '@ticketing/common/outbox';
import { buildApp } from './app';
import { loadConfig, type TicketsConfig } from './config';
import { OrderCreatedListener, OrderUpdatedListener } from './events/listeners/order-listeners';
import { Ticket, tickets } from './models/ticket';

/**
 * Each resource registers its release as soon as it exists, so SIGTERM releases them in reverse order:
 * HTTP (in-flight requests finish), the listeners (the message in hand finishes, buffered ones are nak'd),
 * the outbox relay (a last flush publishes what those requests and messages committed), NATS, Mongo.
 */
async function main(config: TicketsConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  const mongo = await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongo.close());
  await Ticket.init();
  const metrics = new ServiceMetrics('tickets');
  const events = await startEventRuntime({
    eventBus: config.eventBus,
    stores: [tickets],
    sweepIntervalMs: config.outboxSweepIntervalMs,
    metrics,
    logger,
    shutdown,
  });
  const { bus } = events;
  await events.listen([new OrderCreatedListener(bus, logger), new OrderUpdatedListener(bus, logger)]);

  const app = buildApp({
    sessions: { publicKeys: config.jwtPublicKeys, revoked: events.revokedSessions },
    logger,
    metrics,
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = await startHttpServer(app, config.port, config.host);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port, transport: bus.kind }, 'tickets listening');
}

runService('tickets', loadConfig, main);
