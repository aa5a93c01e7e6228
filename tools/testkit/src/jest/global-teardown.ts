import type { Stack } from '@ticketing/stack/stack';
import type { StripeRecorder } from '../stripe';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __STRIPE_RECORDER__?: StripeRecorder }).__STRIPE_RECORDER__?.stop();
  const stack = (globalThis as { __STACK__?: Stack }).__STACK__;
  await stack?.stop();
}
