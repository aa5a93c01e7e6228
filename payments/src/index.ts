import { closeServer, runService, type ServiceContext, ServiceMetrics, startHttpServer } from '@ticketing/common/http';
import { connectMongo, isMongoConnected } from '@ticketing/common/mongo';
import { startEventRuntime } from '@ticketing/common/outbox';
import { buildApp } from './app';
import { loadConfig, type PaymentsConfig } from './config';
import { OrderCreatedListener, OrderUpdatedListener } from './events/listeners/order-listeners';
import { Order } from './models/order';
import { Payment, payments } from './models/payment';
import { createStripe, PaymentProvider } from './services/stripe';

/**
 * Each resource registers its release as soon as it exists, so SIGTERM releases them in reverse order:
 * HTTP (in-flight requests finish), the listeners, the outbox relay (a last flush), NATS, Mongo.
 * Readiness covers MongoDB and NATS, not Stripe: asking Stripe on every probe is not cheap, and a Stripe
 * outage is answered per request (502) without taking the service out of rotation.
 */
async function main(config: PaymentsConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  const mongo = await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongo.close());
  await Promise.all([Order.init(), Payment.init()]);
  const metrics = new ServiceMetrics('payments');
  const provider = new PaymentProvider(createStripe(config.stripe), config.stripe.currency);
  const events = await startEventRuntime({
    eventBus: config.eventBus,
    stores: [payments],
    sweepIntervalMs: config.outboxSweepIntervalMs,
    metrics,
    logger,
    shutdown,
  });
  const { bus } = events;
  await events.listen([new OrderCreatedListener(bus, provider, logger), new OrderUpdatedListener(bus, provider, logger)]);

  const app = buildApp({
    sessions: { publicKeys: config.jwtPublicKeys, revoked: events.revokedSessions },
    logger,
    metrics,
    provider,
    health: { mongo: isMongoConnected, nats: () => bus.isConnected() },
  });
  const server = await startHttpServer(app, config.port, config.host);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port, transport: bus.kind, stripe: config.stripe.apiBase?.origin ?? 'api.stripe.com' }, 'payments listening');
}

runService('payments', loadConfig, main);
