import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

/**
 * The API, typed from the OpenAPI document (`schema.d.ts` is generated from it by `npm run openapi`): a wrong
 * path, body or field is a compile error here. Same origin: the gateway (or ingress) serves the client and the API.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

export type Ticket = components['schemas']['Ticket'];
export type Order = components['schemas']['Order'];
export type User = components['schemas']['User'];
export type ApiErrors = components['schemas']['Errors'];

/** The server's error messages: those naming a field by field, the others in `general`. */
export interface ShownErrors {
  general: string[];
  byField: Record<string, string>;
}

export const NO_ERRORS: ShownErrors = { general: [], byField: {} };

export function shownErrors(error: unknown): ShownErrors {
  const items = (error as Partial<ApiErrors> | undefined)?.errors;
  if (!Array.isArray(items)) return { general: ['Something went wrong; try again.'], byField: {} };
  const shown: ShownErrors = { general: [], byField: {} };
  for (const { message, field } of items) {
    if (field && !shown.byField[field]) shown.byField[field] = message;
    else shown.general.push(message);
  }
  return shown;
}

/** A network failure (the server unreachable) as shown errors. */
export const unreachable = (): ShownErrors => ({ general: ['The server cannot be reached; try again.'], byField: {} });

/** Every message as a general one: for a page without the fields the errors name (a query parameter). */
export const allGeneral = (errors: ShownErrors): ShownErrors => ({
  general: [...errors.general, ...Object.values(errors.byField)],
  byField: {},
});
