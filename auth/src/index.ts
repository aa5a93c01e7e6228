import { closeServer, runService, type ServiceContext, ServiceMetrics, startHttpServer } from '@ticketing/common/http';
import { connectMongo } from '@ticketing/common/mongo';
import { buildApp } from './app';
import { type AuthConfig, loadConfig } from './config';
import { User } from './models/user';

/** Each resource registers its release as soon as it exists; SIGTERM releases them in reverse order. */
async function main(config: AuthConfig, { logger, shutdown }: ServiceContext): Promise<void> {
  const mongo = await connectMongo(config.mongoUrl, logger);
  shutdown.add('mongo', () => mongo.close());
  await User.init(); // the unique email index must exist before the first signup

  const server = await startHttpServer(buildApp(config, logger, new ServiceMetrics('auth')), config.port, config.host);
  shutdown.add('http', () => closeServer(server));
  logger.info({ port: config.port }, 'auth listening');
}

runService('auth', loadConfig, main);
