import { closeServer, runService, type ServiceContext, ServiceMetrics, startHttpServer } from '@ticketing/common/http';
import { connectMongo, isMongoConnected } from '@ticketing/common/mongo';
import { startEventRuntime } from '@ticketing/common/outbox';
import { buildApp } from './app';
import { loadConfig, type OrdersConfig } from './config';
import { PaymentCreatedListener } from './events/listeners/payment-created-listener';
import { ReservationDecidedListener } from './events/listeners/reservation-decided-listener';
import { TicketCreatedListener, TicketUpdatedListener } from './events/listeners/ticket-listeners';
import { Order, orders } from './models/order';
import { Ticket } from './models/ticket';
import { ActiveOrders } from './services/active-orders';
import { ExpirySweeper } from './services/expiry-sweeper';

/**
 * Each resource registers its release as soon as it exists, so SIGTERM releases them in reverse order:
 * HTTP (in-flight requests finish), the expiry sweeper, the listeners (the message in hand finishes,
 * buffered ones are nak'd), the outbox relay (a last flush), NATS, Mongo.
 */
async function main(config: OrdersConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  const mongo = await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongo.close());
  await Promise.all([Order.init(), Ticket.init()]); // the unique reservation index must exist before the first order
  const metrics = new ServiceMetrics('orders');
  const events = await startEventRuntime({
    eventBus: config.eventBus,
    stores: [orders],
    sweepIntervalMs: config.outboxSweepIntervalMs,
    metrics,
    logger,
    shutdown,
  });
  const { bus } = events;
  await events.listen([
    new TicketCreatedListener(bus, logger),
    new TicketUpdatedListener(bus, logger),
    new ReservationDecidedListener(bus, logger),
    new PaymentCreatedListener(bus, logger),
  ]);

  const sweeper = new ExpirySweeper({ intervalMs: config.expirySweepIntervalMs, logger });
  sweeper.start();
  shutdown.add('expiry sweeper', () => sweeper.stop());

  const app = buildApp({
    sessions: { publicKeys: config.jwtPublicKeys, revoked: events.revokedSessions },
    logger,
    metrics,
    orderExpirationSeconds: config.orderExpirationSeconds,
    orderLimits: { maxActivePerBuyer: config.maxActiveOrdersPerBuyer, activeOrders: new ActiveOrders() },
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = await startHttpServer(app, config.port, config.host);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port, transport: bus.kind }, 'orders listening');
}

runService('orders', loadConfig, main);
