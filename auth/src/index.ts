import { once } from 'node:events';
import { ConfigError, connectMongo, createLogger, handleShutdown } from '@ticketing/common';
import mongoose from 'mongoose';
import { buildApp } from './app';
import { type AuthConfig, loadConfig } from './config';
import { User } from './models/user';

async function main(config: AuthConfig): Promise<void> {
  const logger = createLogger('auth', config.logLevel);
  await connectMongo(config.mongoUrl, logger);
  await User.init(); // the unique email index must exist before the first signup
  const server = buildApp(config, logger).listen(config.port);
  await once(server, 'listening');
  logger.info({ port: config.port }, 'auth listening');

  handleShutdown(
    [
      { name: 'http', run: () => new Promise<void>((resolve) => server.close(() => resolve())) },
      { name: 'mongo', run: () => mongoose.disconnect() },
    ],
    logger,
  );
}

let config: AuthConfig;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
main(config).catch((err: unknown) => {
  console.error('auth failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
