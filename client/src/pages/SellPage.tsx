import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, NO_ERRORS, type ShownErrors, shownErrors, unreachable } from '../api/client';
import { Field, GeneralErrors, usePageTitle } from '../components';

/** Put a ticket up for sale. The price goes as typed (the API takes a decimal string). */
export function SellPage() {
  const [errors, setErrors] = useState<ShownErrors>(NO_ERRORS);
  const [isBusy, setBusy] = useState(false);
  const navigate = useNavigate();
  usePageTitle('Sell a ticket');

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const price = String(form.get('price') ?? '').trim();
    setBusy(true);
    try {
      const { data, error } = await api.POST('/api/tickets', {
        // The API accepts the price as a JSON number or a decimal string, and says which is wrong.
        body: { title: String(form.get('title') ?? ''), price: price as unknown as number },
      });
      if (error) return setErrors(shownErrors(error));
      navigate(`/tickets/${data.id}`);
    } catch {
      setErrors(unreachable());
    } finally {
      setBusy(false);
    }
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
