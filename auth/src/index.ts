import { once } from 'node:events';
import { closeServer, connectMongo, createLogger, handleShutdown, runService, ServiceMetrics } from '@ticketing/common';
import mongoose from 'mongoose';
import { buildApp } from './app';
import { type AuthConfig, loadConfig } from './config';
import { User } from './models/user';

async function main(config: AuthConfig): Promise<void> {
  const logger = createLogger('auth', config.logLevel);
  await connectMongo(config.mongoUrl, logger);
  await User.init(); // the unique email index must exist before the first signup
  const server = buildApp(config, logger, new ServiceMetrics('auth')).listen(config.port);
  await once(server, 'listening');
  logger.info({ port: config.port }, 'auth listening');

  handleShutdown(
    [
      { name: 'http', run: () => closeServer(server) },
      { name: 'mongo', run: () => mongoose.disconnect() },
    ],
    logger,
  );
}

runService('auth', loadConfig, main);
