import { waitFor } from '@ticketing/stack/wait-for';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Client, type Reply, signedUpClient } from './client';
import { startTestSystem, type TestSystem } from './system';

/**
 * The published API contract against the running system: the OpenAPI document the gateway serves at
 * /api/docs/openapi.json (generated from the routes' zod schemas) is fetched, and every answer of a journey
 * through all the routes, successes and errors, must have a status the document lists for that route and a
 * body that validates against the schema it gives. At the end every route has been checked, with a success
 * and (where the document lists any) an error.
 */
type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } };

let system: TestSystem;
let document: OpenApi;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
/** `get /api/tickets/{id}` → the statuses seen and checked. */
const checked = new Map<string, Set<number>>();

beforeAll(async () => {
  system = await startTestSystem();
  const res = await fetch(`${system.gatewayUrl}/api/docs/openapi.json`);
  expect(res.status).toBe(200);
  document = (await res.json()) as OpenApi;
  // The document's components, under an id the response schemas' `$ref`s are rewritten to.
  ajv.addSchema({ $id: 'openapi', components: document.components ?? {} });
}, 120_000);

afterAll(async () => {
  await system?.shutdown();
});

const withRefs = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));

/** Checks one answer against the document: its status is listed for the route, its body fits the schema. */
function check<T>(method: string, path: string, reply: Reply<T>): Reply<T> {
  const operation = document.paths[path]?.[method];
  if (!operation) throw new Error(`${method} ${path} is not in the document`);
  const response = operation.responses[String(reply.status)];
  if (!response)
    throw new Error(`${method} ${path} answered ${reply.status} (${JSON.stringify(reply.body)}), which the document does not list`);
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) {
    expect({ route: `${method} ${path}`, status: reply.status, body: reply.body }).toEqual({
      route: `${method} ${path}`,
      status: reply.status,
      body: undefined,
    });
  } else {
    const key = `${method} ${path} ${reply.status}`;
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(withRefs(schema) as object);
      validators.set(key, validate);
    }
    const isValid = validate(reply.body);
    expect({ route: key, body: reply.body, errors: isValid ? null : validate.errors }).toEqual({
      route: key,
      body: reply.body,
      errors: null,
    });
  }
  checked.set(`${method} ${path}`, (checked.get(`${method} ${path}`) ?? new Set()).add(reply.status));
  return reply;
}

describe('API contract (OpenAPI document against the live services)', () => {
  it('When the document is read, then it is OpenAPI 3.1 and lists every route of every service with request and response schemas', () => {
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'post /api/users/signup',
        'post /api/users/signin',
        'post /api/users/signout',
        'get /api/users/currentuser',
        'post /api/tickets',
        'get /api/tickets',
        'get /api/tickets/{id}',
        'put /api/tickets/{id}',
        'post /api/orders',
        'get /api/orders',
        'get /api/orders/{id}',
        'delete /api/orders/{id}',
        'post /api/payments',
        ...['users', 'tickets', 'orders', 'payments'].flatMap((p) => [`get /api/${p}/healthz`, `get /api/${p}/readyz`]),
      ].sort(),
    );
    // Every route with a body says what it accepts, and every answer but a 204 has a schema.
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (status !== '204')
            expect({ route: `${method} ${path} ${status}`, schema: !!response.content }).toEqual({
              route: `${method} ${path} ${status}`,
              schema: true,
            });
        }
        if (method === 'post' || method === 'put') {
          const body = (operation as { requestBody?: unknown }).requestBody;
          if (!path.endsWith('/signout'))
            expect({ route: `${method} ${path}`, body: !!body }).toEqual({ route: `${method} ${path}`, body: true });
        }
      }
    }
  });

  it('When a journey goes through every route, successes and errors, then every answer is one the document lists, and validates', async () => {
    const url = system.gatewayUrl;
    const anonymous = new Client(url);
    const unknownId = '6b0265849290d2ee2dcb8509';

    // auth
    check('post', '/api/users/signup', await anonymous.post('/api/users/signup', { email: 'not-an-email', password: 'correct horse' }));
    const seller = new Client(url);
    const email = `seller-${Date.now()}@example.com`;
    check('post', '/api/users/signup', await seller.post('/api/users/signup', { email, password: 'correct horse' }));
    check('post', '/api/users/signup', await new Client(url).post('/api/users/signup', { email, password: 'correct horse' }));
    check('post', '/api/users/signin', await new Client(url).post('/api/users/signin', { email, password: 'wrong horse' }));
    check('post', '/api/users/signin', await seller.post('/api/users/signin', { email, password: 'correct horse' }));
    check('get', '/api/users/currentuser', await seller.get('/api/users/currentuser'));
    check('get', '/api/users/currentuser', await anonymous.get('/api/users/currentuser'));
    const leaving = await signedUpClient(url, 'leaving');
    check('post', '/api/users/signout', await leaving.post('/api/users/signout'));

    // tickets
    check('post', '/api/tickets', await anonymous.post('/api/tickets', { title: 'Concert', price: 40 }));
    check('post', '/api/tickets', await seller.post('/api/tickets', { title: 'Concert', price: -1 }));
    const ticket = check('post', '/api/tickets', await seller.post<{ id: string }>('/api/tickets', { title: 'Concert', price: 40 }));
    check('post', '/api/tickets', await seller.post('/api/tickets', { title: 'Second', price: '19.99' }));
    check('get', '/api/tickets', await anonymous.get('/api/tickets?limit=1'));
    // The headers the document lists for a page that has a next one.
    const firstPage = await fetch(`${url}/api/tickets?limit=1`);
    expect({ cursor: firstPage.headers.get('x-next-cursor'), link: firstPage.headers.get('link') }).toEqual({
      cursor: expect.stringMatching(/^[0-9a-f]{24}$/),
      link: expect.stringContaining('rel="next"'),
    });
    check('get', '/api/tickets', await anonymous.get('/api/tickets?limit=0'));
    check('get', '/api/tickets/{id}', await anonymous.get(`/api/tickets/${ticket.body.id}`));
    check('get', '/api/tickets/{id}', await anonymous.get(`/api/tickets/${unknownId}`));
    const buyer = await signedUpClient(url, 'buyer');
    check('put', '/api/tickets/{id}', await buyer.put(`/api/tickets/${ticket.body.id}`, { title: 'Mine', price: 1 }));
    check('put', '/api/tickets/{id}', await seller.put(`/api/tickets/${ticket.body.id}`, { title: '', price: 45 }));
    check('put', '/api/tickets/{id}', await seller.put(`/api/tickets/${unknownId}`, { title: 'Concert', price: 45 }));
    check('put', '/api/tickets/{id}', await seller.put(`/api/tickets/${ticket.body.id}`, { title: 'Concert', price: 45 }));
    // What every route with a body answers from common's app: too large, and not UTF-8 JSON.
    check('post', '/api/tickets', await seller.post('/api/tickets', { title: 'x'.repeat(200_000), price: 1 }));
    check(
      'post',
      '/api/tickets',
      await seller.post('/api/tickets', { title: 'x', price: 1 }, { 'content-type': 'application/json; charset=latin1' }),
    );
    expect([...(checked.get('post /api/tickets') ?? [])]).toEqual(expect.arrayContaining([413, 415]));

    // orders (the ticket reaches orders through its events)
    check('post', '/api/orders', await anonymous.post('/api/orders', { ticketId: ticket.body.id }));
    check('post', '/api/orders', await buyer.post('/api/orders', { ticketId: 'nope' }));
    check('post', '/api/orders', await buyer.post('/api/orders', { ticketId: unknownId }));
    const order = await waitFor(
      async () => {
        const reply = await buyer.post<{ id: string; status: string }>('/api/orders', { ticketId: ticket.body.id });
        return reply.status === 201 ? reply : undefined;
      },
      { description: 'the ticket in orders', timeoutMs: 15_000 },
    );
    check('post', '/api/orders', order);
    check('post', '/api/orders', await seller.post('/api/orders', { ticketId: ticket.body.id }));
    check('get', '/api/orders', await buyer.get('/api/orders'));
    check('get', '/api/orders', await anonymous.get('/api/orders'));
    check('get', '/api/orders/{id}', await seller.get(`/api/orders/${order.body.id}`));
    check('get', '/api/orders/{id}', await buyer.get(`/api/orders/${unknownId}`));
    await waitFor(async () => (await buyer.get<{ status: string }>(`/api/orders/${order.body.id}`)).body.status === 'awaiting:payment', {
      description: 'the reservation accepted',
      timeoutMs: 15_000,
    });
    check('get', '/api/orders/{id}', await buyer.get(`/api/orders/${order.body.id}`));

    // payments
    check('post', '/api/payments', await anonymous.post('/api/payments', { token: 'tok_visa', orderId: order.body.id }));
    check('post', '/api/payments', await buyer.post('/api/payments', { token: 'not a token', orderId: order.body.id }));
    check('post', '/api/payments', await buyer.post('/api/payments', { token: 'tok_visa', orderId: unknownId }));
    check('post', '/api/payments', await seller.post('/api/payments', { token: 'tok_visa', orderId: order.body.id }));
    check('post', '/api/payments', await buyer.post('/api/payments', { token: 'tok_visa', orderId: order.body.id }));
    check('post', '/api/payments', await buyer.post('/api/payments', { token: 'tok_visa', orderId: order.body.id }));

    // cancelling: a paid order cannot be; another one can
    check('delete', '/api/orders/{id}', await buyer.delete(`/api/orders/${order.body.id}`));
    check('delete', '/api/orders/{id}', await anonymous.delete(`/api/orders/${order.body.id}`));
    check('delete', '/api/orders/{id}', await buyer.delete(`/api/orders/${unknownId}`));
    const other = check('post', '/api/tickets', await seller.post<{ id: string }>('/api/tickets', { title: 'Later', price: 10 }));
    const second = await waitFor(
      async () => {
        const reply = await buyer.post<{ id: string }>('/api/orders', { ticketId: other.body.id });
        return reply.status === 201 ? reply : undefined;
      },
      { description: 'the second ticket in orders', timeoutMs: 15_000 },
    );
    check('delete', '/api/orders/{id}', await buyer.delete(`/api/orders/${second.body.id}`));

    // health
    for (const prefix of ['users', 'tickets', 'orders', 'payments']) {
      check('get', `/api/${prefix}/healthz`, await anonymous.get(`/api/${prefix}/healthz`));
      check('get', `/api/${prefix}/readyz`, await anonymous.get(`/api/${prefix}/readyz`));
    }

    // Every route was checked with a success, and with an error where the document lists one a client can cause.
    const serverOnly = new Set([409, 429, 500, 502, 503]);
    const coverage = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => {
        const seen = [...(checked.get(`${method} ${path}`) ?? [])];
        const listsClientError = Object.keys(operation.responses).some((s) => Number(s) >= 400 && !serverOnly.has(Number(s)));
        return {
          route: `${method} ${path}`,
          success: seen.some((s) => s < 300),
          error: listsClientError ? seen.some((s) => s >= 400) : 'none listed',
        };
      }),
    );
    expect(coverage.filter((c) => !c.success || c.error === false)).toEqual([]);
  }, 90_000);
});
