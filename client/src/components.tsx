import { type InputHTMLAttributes, useEffect } from 'react';
import type { ShownErrors } from './api/client';

/** The server's messages that name no field, announced to screen readers. */
export function GeneralErrors({ errors }: { errors: ShownErrors }) {
  if (errors.general.length === 0) return null;
  return (
    <div role="alert" className="errors">
      {errors.general.map((message) => (
        <p key={message}>{message}</p>
      ))}
    </div>
  );
}

/** A labelled input with the server's message for its field right under it. */
export function Field({
  label,
  name,
  errors,
  ...input
}: { label: string; name: string; errors: ShownErrors } & InputHTMLAttributes<HTMLInputElement>) {
  const error = errors.byField[name];
  const errorId = `${name}-error`;
  return (
    <p className="field">
      <label htmlFor={name}>{label}</label>
      <input id={name} name={name} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} {...input} />
      {error && (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </p>
  );
}

export const formatPrice = (price: number) => `$${price.toFixed(2)}`;

/** The document's title follows the page (what a screen reader announces, and what a tab shows). */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Ticketing`;
  }, [title]);
}
