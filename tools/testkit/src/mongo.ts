import { randomBytes } from 'node:crypto';
import { connectMongo, type MongoConnection } from '@ticketing/common/mongo';
import mongoose from 'mongoose';

/** A database URL on the run's server (MONGO_URL from the stack), unique to the caller. */
export function uniqueDatabaseUrl(prefix = 'test'): string {
  const base = process.env.MONGO_URL;
  if (!base) throw new Error('MONGO_URL is not set: run the tests through jest (its global setup starts the stack)');
  const url = new URL(base);
  url.pathname = `/${prefix}_${randomBytes(4).toString('hex')}`;
  return url.toString();
}

/**
 * Gives the calling test file its own database on the real server: connects mongoose (as the services do)
 * before all tests,
 * builds every model's indexes, empties the collections before each test, and drops the database after.
 */
export function useTestDatabase(): void {
  let connection: MongoConnection | undefined;
  beforeAll(async () => {
    connection = await connectMongo(uniqueDatabaseUrl());
    await Promise.all(Object.values(mongoose.connection.models).map((model) => model.init()));
  });

  beforeEach(async () => {
    await Promise.all(Object.values(mongoose.connection.collections).map((c) => c.deleteMany({})));
  });

  afterAll(async () => {
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await connection?.close();
  });
}
