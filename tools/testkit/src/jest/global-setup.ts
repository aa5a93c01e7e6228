import path from 'node:path';
import { stderrLog } from '@ticketing/stack/log';
import { startStack } from '@ticketing/stack/stack';
import { StripeRecorder } from '../stripe';

/**
 * Jest global setup: one stack of real servers for the whole run (JetStream, NATS Streaming, Mongo). The URLs go into process.env, which
 * the test workers inherit; global-teardown stops the servers (also when tests failed).
 */
export default async function globalSetup(): Promise<void> {
  const stack = await startStack(stderrLog, { jetstream: true, stan: true });
  Object.assign(process.env, stack.env, { STACK_MONGO_KIND: stack.mongo.kind });
  // Payments reaches stripe-mock through a recorder, so tests can count what Stripe was asked (intentsCreatedFor).
  if (stack.stripe) {
    const requests = path.join(stack.dir, 'stripe-requests.jsonl');
    const recorder = new StripeRecorder({ logFile: requests });
    Object.assign(process.env, { STRIPE_API_BASE: await recorder.start(stack.stripe.url), STACK_STRIPE_REQUESTS: requests });
    (globalThis as { __STRIPE_RECORDER__?: StripeRecorder }).__STRIPE_RECORDER__ = recorder;
  }
  stderrLog(`started ${stack.describe()}`);
  stderrLog(`database engine: ${stack.mongo.description}`);
  (globalThis as { __STACK__?: typeof stack }).__STACK__ = stack;
}
