import { stderrLog } from '../stack/log';
import { startStack } from '../stack/stack';

/**
 * Jest global setup: one stack of real servers for the whole run (JetStream, NATS Streaming, Mongo). The URLs go into process.env, which
 * the test workers inherit; global-teardown stops the servers (also when tests failed).
 */
export default async function globalSetup(): Promise<void> {
  const stack = await startStack(stderrLog, { jetstream: true, stan: true });
  Object.assign(process.env, stack.env, { STACK_MONGO_KIND: stack.mongo.kind });
  stderrLog(`started ${stack.describe()}`);
  stderrLog(`database engine: ${stack.mongo.description}`);
  (globalThis as { __STACK__?: typeof stack }).__STACK__ = stack;
}
