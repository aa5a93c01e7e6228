import type { Stripe, StripeCardElement } from '@stripe/stripe-js';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, NO_ERRORS, type ShownErrors, shownErrors, unreachable } from '../api/client';
import { GeneralErrors } from '../components';

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
  const [errors, setErrors] = useState<ShownErrors>(NO_ERRORS);
  const [isBusy, setBusy] = useState(false);
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
  }, []);

  const tokenFrom = async (form: FormData): Promise<string | ShownErrors> => {
    if (!PUBLISHABLE_KEY) return String(form.get('token') ?? '');
    if (!stripe.current) return { general: ['The card form is still loading.'], byField: {} };
    const { token, error } = await stripe.current.stripe.createToken(stripe.current.card);
    return token?.id ?? { general: [], byField: { token: error?.message ?? 'The card was not accepted' } };
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    try {
      const token = await tokenFrom(new FormData(event.currentTarget));
      if (typeof token !== 'string') return setErrors(token);
      const { error } = await api.POST('/api/payments', { body: { token, orderId } });
      if (error) return setErrors(shownErrors(error));
      setErrors(NO_ERRORS);
      onPaid();
    } catch {
      setErrors(unreachable());
    } finally {
      setBusy(false);
    }
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
