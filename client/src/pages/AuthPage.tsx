import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api/client';
import { Field, GeneralErrors, usePageTitle } from '../components';
import { useRequest } from '../requests';
import { useSession } from '../session';

/** Sign up or sign in: the same two fields; the server's messages next to them. */
export function AuthPage({ mode }: { mode: 'signup' | 'signin' }) {
  const { errors, isBusy, run } = useRequest();
  const { refresh } = useSession();
  const navigate = useNavigate();
  const title = mode === 'signup' ? 'Sign up' : 'Sign in';
  usePageTitle(title);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
    return run(
      () => (mode === 'signup' ? api.POST('/api/users/signup', { body }) : api.POST('/api/users/signin', { body })),
      async () => {
        await refresh();
        navigate('/');
      },
    );
  };
  return (
    <section>
      <h1>{title}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <GeneralErrors errors={errors} />
        <Field label="Email" name="email" type="email" autoComplete="email" errors={errors} required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          errors={errors}
          required
        />
        <button type="submit" disabled={isBusy}>
          {title}
        </button>
      </form>
    </section>
  );
}
