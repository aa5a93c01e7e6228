import { BadRequestError, HttpError } from '@ticketing/common/errors';
import Stripe from 'stripe';
import type { StripeConfig } from '../config';

/**
 * Currencies Stripe counts in whole units (no minor unit); every other is charged in hundredths.
 * https://docs.stripe.com/currencies#zero-decimal
 */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** `price` (e.g. 19.99) in the currency's smallest unit (1999 for usd). */
export function amountInMinorUnits(price: number, currency: string): number {
  return Math.round(ZERO_DECIMAL.has(currency) ? price : price * 100);
}

/** The Stripe client: Stripe itself, or the API at `apiBase` (stripe-mock locally and in tests). */
export function createStripe(config: StripeConfig): Stripe {
  const base = config.apiBase;
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'ticketing-payments' },
    ...(base ? { host: base.hostname, port: Number(base.port || (protocol === 'http' ? 80 : 443)), protocol } : {}),
  });
}

export interface Charge {
  stripeId: string;
  amount: number;
  currency: string;
}

/**
 * Charges and refunds through Stripe with PaymentIntents confirmed server-side. Exactly one charge per order:
 * the PaymentIntent is created with an idempotency key derived from the order and with parameters that
 * depend only on the order (amount, currency, the order id), so every attempt for one order — a double
 * click, a retried request, a retry after a crash between charging and recording — gets the same
 * PaymentIntent from Stripe, and a PaymentIntent succeeds at most once.
 */
export class PaymentProvider {
  constructor(
    private readonly stripe: Stripe,
    readonly currency: string,
  ) {}

  /** Charges `price` for `orderId` with the card behind `token` (`tok_…` from Stripe.js/Checkout, or a `pm_…`). */
  async charge(orderId: string, price: number, token: string): Promise<Charge> {
    const amount = amountInMinorUnits(price, this.currency);
    const intent = await this.call(() =>
      this.stripe.paymentIntents.create(
        { amount, currency: this.currency, allowed_payment_method_types: ['card'], metadata: { orderId } },
        { idempotencyKey: `payment-intent:${orderId}` },
      ),
    );
    if (intent.status === 'succeeded') return { stripeId: intent.id, amount, currency: this.currency }; // an earlier attempt paid it
    const paymentMethod = token.startsWith('pm_')
      ? token
      : (await this.call(() => this.stripe.paymentMethods.create({ type: 'card', card: { token } }))).id;
    try {
      // A decline, or a card that needs the customer (3-D Secure), is an error: a successful answer is a charge.
      await this.stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod, error_on_requires_action: true });
    } catch (err) {
      // Another attempt for this order confirmed it first: that charge is this payment.
      if (err instanceof Stripe.errors.StripeError && err.code === 'payment_intent_unexpected_state') {
        const current = await this.call(() => this.stripe.paymentIntents.retrieve(intent.id));
        if (current.status === 'succeeded') return { stripeId: current.id, amount, currency: this.currency };
      }
      throw asHttpError(err);
    }
    return { stripeId: intent.id, amount, currency: this.currency };
  }

  /** Refunds the whole charge; the idempotency key makes a repeated refund of one order the same refund. */
  async refund(orderId: string, stripeId: string): Promise<string> {
    const refund = await this.call(() =>
      this.stripe.refunds.create({ payment_intent: stripeId, metadata: { orderId } }, { idempotencyKey: `refund:${orderId}` }),
    );
    return refund.id;
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw asHttpError(err);
    }
  }
}

/**
 * What the buyer is told: a declined or invalid card is their 400 with Stripe's message for customers
 * (naming `token`); Stripe being unreachable or refusing our key is a 502 without the details, which go to
 * the log with the error.
 */
function asHttpError(err: unknown): Error {
  if (!(err instanceof Stripe.errors.StripeError)) return err as Error;
  if (err instanceof Stripe.errors.StripeCardError) return new BadRequestError(err.message || 'The card was declined', 'token');
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param?.includes('token')) {
    return new BadRequestError('The card token is not valid', 'token');
  }
  return Object.assign(new HttpError(502, 'The payment provider could not be reached; try again'), { cause: err });
}
