import mongoose from 'mongoose';
import type { Logger } from './logger';

export interface MongoConnectionInfo {
  /** True when the server is FerretDB rather than MongoDB. */
  isFerretDb: boolean;
  maxPoolSize: number;
}

/**
 * Connects mongoose to `url`. Our writes rely on MongoDB applying a conditional single-document update
 * atomically. FerretDB 1.x (SQLite) does not do so across concurrent connections: two updates filtered
 * on the same version can both succeed. On FerretDB we therefore use a single connection, which makes the
 * server apply this process's operations one at a time (several replicas of one service need MongoDB).
 */
export async function connectMongo(url: string, logger?: Logger): Promise<MongoConnectionInfo> {
  const options = { serverSelectionTimeoutMS: 10_000 };
  await mongoose.connect(url, options);
  const buildInfo = await mongoose.connection.db?.admin().command({ buildInfo: 1 });
  const isFerretDb = typeof buildInfo?.ferretdbVersion === 'string';
  if (!isFerretDb) return { isFerretDb, maxPoolSize: 100 };
  await mongoose.disconnect();
  await mongoose.connect(url, { ...options, maxPoolSize: 1 });
  logger?.info(
    { ferretdbVersion: buildInfo?.ferretdbVersion },
    'FerretDB detected: using one connection so conditional updates stay atomic',
  );
  return { isFerretDb, maxPoolSize: 1 };
}

export function isMongoConnected(): boolean {
  return mongoose.connection.readyState === mongoose.ConnectionStates.connected;
}
