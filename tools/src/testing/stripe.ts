import { readFileSync } from 'node:fs';

/**
 * The PaymentIntents stripe-mock (started by the test run) was asked to create for `orderId`. In verbose
 * mode its log has, per request, a `Request: <method> <path>` line and then its parameters as
 * `Request data = map[…]`, with our `metadata[orderId]`. stripe-mock keeps no state, so its log is how a
 * test sees what it was asked.
 *
 * Concurrent requests write their lines interleaved (a creation's parameters can follow another request's
 * `Request:` line), so a creation is recognised by its own parameters: of the requests payments sends with
 * the order's id (a PaymentIntent created, a refund), only the creation carries an `amount`.
 */
export function intentsCreatedFor(orderId: string, logFile = process.env.STACK_STRIPE_MOCK_LOG): number {
  if (!logFile) throw new Error('STACK_STRIPE_MOCK_LOG is not set: run the tests through jest');
  const ofOrder = `orderId:${orderId}]`;
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Request data = ') && line.includes(ofOrder) && / amount:\d+ /.test(line)).length;
}
