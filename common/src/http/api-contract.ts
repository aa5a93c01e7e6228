import { z } from 'zod';

/**
 * A service's HTTP API described by the zod schemas its routes validate with: each service exports its routes
 * (`apiRoutes` in `src/api.ts`), and the OpenAPI document is generated from them (tools/launcher/src/openapi.ts), so
 * the document cannot drift from what the routes accept and answer.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

export interface ApiResponse {
  description: string;
  /** The JSON body; none for a response without a body (204). */
  schema?: z.ZodType;
  /** Response headers worth knowing, name → what it holds. */
  headers?: Record<string, string>;
}

export interface ApiRoute {
  method: HttpMethod;
  /** As express writes it: `/api/tickets/:id`. */
  path: string;
  summary: string;
  description?: string;
  /** Needs the session cookie: 401 without a valid one. */
  auth: boolean;
  request?: { body?: z.ZodType; query?: z.ZodObject; params?: z.ZodObject };
  /** By status code. */
  responses: Record<number, ApiResponse>;
}

/** The shape of every error answer (4xx, 5xx): one or more messages, each naming its field when it has one. */
export const errorsSchema = z
  .object({
    errors: z.array(z.object({ message: z.string(), field: z.string().optional() })).min(1),
  })
  .meta({ id: 'Errors', description: 'Every error answer: one or more messages, each naming the request field it is about, if any.' });

/** An error response of `description` (the body is `errorsSchema`). */
export const errorResponse = (description: string): ApiResponse => ({ description, schema: errorsSchema });

/** The 401 of every route that needs a session. */
export const UNAUTHORIZED = errorResponse('No valid session: sign in first (the session cookie is missing, expired or revoked).');

/**
 * What any route with a JSON body can answer besides its own responses (the body parser and the error handler,
 * `buildServiceApp`): too large, or not JSON in UTF-8.
 */
export const BODY_ERRORS: Record<number, ApiResponse> = {
  413: errorResponse('The body is larger than 100 kB.'),
  415: errorResponse('The body is not JSON in UTF-8 (the content type or charset is not accepted).'),
};

/** What any route can answer when something below it fails: the database away (503, with `Retry-After`), or a bug. */
export const SERVER_ERRORS: Record<number, ApiResponse> = {
  500: errorResponse('Something went wrong on our side; nothing about it is disclosed.'),
  503: errorResponse('A dependency (the database) is unavailable; try again after `Retry-After` seconds.'),
};

/** A 24-hex-digit MongoDB id in a path. */
export const idParams = (what: string) =>
  z.object({ id: z.string().meta({ description: `The ${what}'s id (24 hexadecimal digits).`, example: '6b0265849290d2ee2dcb8509' }) });

/** `GET <prefix>/healthz` and `<prefix>/readyz`, which every service has (`healthRouter`). */
export function healthRoutes(prefix: string): ApiRoute[] {
  return [
    {
      method: 'get',
      path: `${prefix}/healthz`,
      summary: 'Liveness: the process answers',
      auth: false,
      responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('ok') }) } },
    },
    {
      method: 'get',
      path: `${prefix}/readyz`,
      summary: 'Readiness: every dependency (database, NATS) is reachable',
      auth: false,
      responses: {
        200: { description: 'Ready.', schema: readiness('ready') },
        503: { description: 'A dependency is unreachable; `checks` says which.', schema: readiness('not ready') },
      },
    },
  ];
}

const readiness = (status: string) => z.object({ status: z.literal(status), checks: z.record(z.string(), z.boolean()) });
