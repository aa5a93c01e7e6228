import type { Stripe, StripeCardElement } from '@stripe/stripe-js';
import { type FormEvent, useEffect, useRef } from 'react';
import { type ApiErrors, api } from '../api/client';
import { GeneralErrors } from '../components';
import { useRequest } from '../requests';

/** Set at build time to pay with real cards through Stripe.js; unset (the local stack), test tokens are offered. */
const PUBLISHABLE_KEY: string | undefined = import.meta.env.VITE_STRIPE_PUBLISHABLE_KEY || undefined;

/** Test card tokens stripe-mock (and Stripe's test mode) accept: nothing leaves our origin to get them. */
const TEST_TOKENS = [
  { token: 'tok_visa', label: 'Visa test card (tok_visa)' },
  { token: 'tok_mastercard', label: 'Mastercard test card (tok_mastercard)' },
];

/**
 * Pays an order. With a publishable key, the card form is Stripe's own (Stripe.js Elements, loaded only then)
 * and its token goes to our API; without one, a test token is chosen, and the browser talks to our origin only.
 */
export function PayForm({ orderId, onPaid }: { orderId: string; onPaid: () => void }) {
  const { errors, setErrors, isBusy, run } = useRequest();
  const cardHost = useRef<HTMLDivElement>(null);
  const stripe = useRef<{ stripe: Stripe; card: StripeCardElement } | undefined>(undefined);

  useEffect(() => {
    if (!PUBLISHABLE_KEY || !cardHost.current) return;
    let isCancelled = false;
    let card: StripeCardElement | undefined;
    import('@stripe/stripe-js/pure')
      .then(async ({ loadStripe }) => {
        const loaded = await loadStripe(PUBLISHABLE_KEY);
        if (isCancelled || !loaded || !cardHost.current) return;
        card = loaded.elements().create('card');
        card.mount(cardHost.current);
        stripe.current = { stripe: loaded, card };
      })
      .catch(() => {
        if (!isCancelled) setErrors({ general: ['The card form could not be loaded; try again later.'], byField: {} });
      });
    return () => {
      isCancelled = true;
      card?.destroy();
    };
  }, [setErrors]);

  /** The card's token, or why there is none (in the API's error shape, so it is shown like the API's). */
  const tokenFrom = async (form: FormData): Promise<{ token: string } | { error: ApiErrors }> => {
    if (!PUBLISHABLE_KEY) return { token: String(form.get('token') ?? '') };
    if (!stripe.current) return { error: { errors: [{ message: 'The card form is still loading.' }] } };
    const { token, error } = await stripe.current.stripe.createToken(stripe.current.card);
    return token
      ? { token: token.id }
      : { error: { errors: [{ message: error?.message ?? 'The card was not accepted', field: 'token' }] } };
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    return run(async () => {
      const card = await tokenFrom(form);
      return 'error' in card ? card : api.POST('/api/payments', { body: { token: card.token, orderId } });
    }, onPaid);
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Pay">
      <GeneralErrors errors={{ general: [...errors.general, ...(errors.byField.orderId ? [errors.byField.orderId] : [])], byField: {} }} />
      {PUBLISHABLE_KEY ? (
        <fieldset className="field">
          <legend>Card</legend>
          <div ref={cardHost} className="card" />
        </fieldset>
      ) : (
        <p className="field">
          <label htmlFor="token">Card</label>
          <select id="token" name="token" defaultValue="tok_visa">
            {TEST_TOKENS.map(({ token, label }) => (
              <option key={token} value={token}>
                {label}
              </option>
            ))}
          </select>
        </p>
      )}
      {errors.byField.token && (
        <p className="field-error" role="alert">
          {errors.byField.token}
        </p>
      )}
      <button type="submit" disabled={isBusy}>
        Pay
      </button>
    </form>
  );
}
