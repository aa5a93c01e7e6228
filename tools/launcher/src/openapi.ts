import { apiRoutes as authRoutes } from '@ticketing/auth/api';
import { type ApiRoute, BODY_ERRORS, SERVER_ERRORS, SESSION_COOKIE } from '@ticketing/common/http';
import { apiRoutes as ordersRoutes } from '@ticketing/orders/api';
import { apiRoutes as paymentsRoutes } from '@ticketing/payments/api';
import { apiRoutes as ticketsRoutes } from '@ticketing/tickets/api';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';

/** Every service's routes, as each describes them in its `src/api.ts`. */
export const SERVICE_API_ROUTES: ReadonlyArray<{ service: string; routes: ApiRoute[] }> = [
  { service: 'auth', routes: authRoutes },
  { service: 'tickets', routes: ticketsRoutes },
  { service: 'orders', routes: ordersRoutes },
  { service: 'payments', routes: paymentsRoutes },
];

export type OpenApiDocument = ReturnType<typeof createDocument>;

/** `/api/tickets/:id` → `/api/tickets/{id}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A route's own responses, plus those every route answers from common's app: body errors and server errors. */
function responsesOf(route: ApiRoute): ApiRoute['responses'] {
  const isHealth = /\/(healthz|readyz)$/.test(route.path);
  return { ...(route.request?.body ? BODY_ERRORS : {}), ...(isHealth ? {} : SERVER_ERRORS), ...route.responses };
}

function operation(service: string, route: ApiRoute): ZodOpenApiOperationObject {
  const { params, query, body } = route.request ?? {};
  return {
    tags: [service],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: route.auth ? [{ session: [] }] : [],
    ...(params || query ? { requestParams: { ...(params ? { path: params } : {}), ...(query ? { query } : {}) } } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: Object.fromEntries(
      Object.entries(responsesOf(route)).map(([status, response]) => [
        status,
        {
          description: response.description,
          ...(response.headers
            ? {
                headers: z.object(
                  Object.fromEntries(
                    Object.entries(response.headers).map(([name, description]) => [name, z.string().optional().meta({ description })]),
                  ),
                ),
              }
            : {}),
          ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
        },
      ]),
    ),
  };
}

/**
 * The OpenAPI 3.1 document of the whole API, generated from the routes' own zod schemas (one source of truth:
 * the schemas that validate the requests and describe the answers). Served at `/api/docs/openapi.json`.
 */
export function openApiDocument(services = SERVICE_API_ROUTES): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const { service, routes } of services) {
    for (const route of routes) {
      const path = openApiPath(route.path);
      paths[path] = { ...paths[path], [route.method]: operation(service, route) };
    }
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ticketing API',
      version: '1.0.0',
      description:
        'A ticket marketplace: sign up, sell tickets, order and pay for them. Four services behind one origin; a session cookie (set by sign-up and sign-in) identifies the user. Every error answer has the shape `Errors`.',
    },
    tags: services.map(({ service }) => ({ name: service })),
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
    paths,
  });
}
