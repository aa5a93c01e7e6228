import { connectEventBus } from '@ticketing/common/events';
import {
  announceRevocations,
  closeServer,
  followRevocations,
  runService,
  type ServiceContext,
  ServiceMetrics,
  startHttpServer,
} from '@ticketing/common/http';
import { connectMongo, isMongoConnected } from '@ticketing/common/mongo';
import { buildApp } from './app';
import { type AuthConfig, loadConfig } from './config';
import { User } from './models/user';
import { SessionRevocations } from './services/revocations';

/** Each resource registers its release as soon as it exists; SIGTERM releases them in reverse order. */
async function main(config: AuthConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  const mongo = await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongo.close());
  await User.init(); // the unique email index must exist before the first signup

  // auth publishes no events; the bus carries its revoked sessions (announced, and the list served to others).
  const bus = await connectEventBus(config.eventBus, logger);
  shutdown.add('event bus', () => bus.close());
  const revocations = new SessionRevocations(logger);
  const announcer = announceRevocations({
    signals: bus.signals,
    namespace: config.eventBus.namespace,
    list: (after, limit) => revocations.list(after, limit),
    logger,
  });
  shutdown.add('revocation list', async () => announcer.stop());
  revocations.announceWith((revocation) => announcer.announce(revocation));
  // Other auth replicas revoke too: this one hears them, and resyncs after it was away.
  const following = await followRevocations({
    signals: bus.signals,
    revoked: revocations.revoked,
    namespace: config.eventBus.namespace,
    logger,
  });
  shutdown.add('revoked sessions', async () => following.stop());

  const app = buildApp(config, logger, new ServiceMetrics('auth'), revocations, { mongo: isMongoConnected, nats: () => bus.isConnected() });
  const server = await startHttpServer(app, config.port, config.host);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port }, 'auth listening');
}

runService('auth', loadConfig, main);
