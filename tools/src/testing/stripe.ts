import { readFileSync } from 'node:fs';

/**
 * The PaymentIntents stripe-mock (started by the test run) was asked to create for `orderId`. In verbose
 * mode its log has a `Request: <method> <path>` line per request, then its parameters as
 * `Request data = map[…]`, with our `metadata[orderId]`. stripe-mock keeps no state, so its log is how a
 * test sees what it was asked.
 */
export function intentsCreatedFor(orderId: string, logFile = process.env.STACK_STRIPE_MOCK_LOG): number {
  if (!logFile) throw new Error('STACK_STRIPE_MOCK_LOG is not set: run the tests through jest');
  let request = '';
  let count = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (line.startsWith('Request: ')) request = line;
    else if (line.startsWith('Request data = ') && request === 'Request: POST /v1/payment_intents' && line.includes(`orderId:${orderId}`)) {
      count++;
    }
  }
  return count;
}
