import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api/client';
import { Field, GeneralErrors, usePageTitle } from '../components';
import { useRequest } from '../requests';

/** Put a ticket up for sale. The price goes as typed (the API takes a decimal string). */
export function SellPage() {
  const { errors, isBusy, run } = useRequest();
  const navigate = useNavigate();
  usePageTitle('Sell a ticket');

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const price = String(form.get('price') ?? '').trim();
    return run(
      // The API accepts the price as a JSON number or a decimal string, and says which is wrong.
      () => api.POST('/api/tickets', { body: { title: String(form.get('title') ?? ''), price: price as unknown as number } }),
      (ticket) => navigate(`/tickets/${ticket.id}`),
    );
  };
  return (
    <section>
      <h1>Sell a ticket</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <GeneralErrors errors={errors} />
        <Field label="Title" name="title" errors={errors} required />
        <Field label="Price" name="price" inputMode="decimal" errors={errors} required />
        <button type="submit" disabled={isBusy}>
          Sell
        </button>
      </form>
    </section>
  );
}
