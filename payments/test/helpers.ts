import { createLogger } from '@ticketing/common/http';
import { testSessionKeys } from '@ticketing/testkit/session';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createStripe, PaymentProvider } from '../src/services/stripe';

/** The real stripe-mock the test run started (STRIPE_API_BASE and STRIPE_SECRET_KEY from the global setup). */
const { stripe } = loadConfig({ ...process.env, MONGO_URL: 'mongodb://unused', JWT_PUBLIC_KEYS: testSessionKeys.publicKeys, PORT: '0' });
export const provider = new PaymentProvider(createStripe(stripe), stripe.currency);
export const logger = createLogger('payments-test', 'silent');

export const app = buildApp({
  sessions: { publicKeys: testSessionKeys.publicKeys },
  logger,
  provider,
  health: { mongo: () => true, nats: () => true },
});

export { intentsCreatedFor } from '@ticketing/testkit/stripe';
