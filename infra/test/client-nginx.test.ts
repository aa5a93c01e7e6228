import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@ticketing/stack/ports';
import { CLIENT_DIST, clientSite, type RunningNginx, startNginx } from './nginx';

/**
 * client/nginx.conf as the client image runs it, in a real nginx (Debian's) on the client's build: the app and
 * its own routes, the API docs and their redirect, the JSON 404 for API paths no service owns, the health
 * check and the headers. (The image's own nginx is nginx-unprivileged; the server block is the same file.)
 */
let nginx: RunningNginx | undefined;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  nginx = await startNginx(
    'client-nginx',
    (dir) => clientSite(dir, port),
    async () => (await fetch(`${base}/healthz`)).ok,
  );
}, 600_000);

afterAll(async () => {
  await nginx?.stop();
});

const get = async (pathname: string) => {
  const res = await fetch(`${base}${pathname}`, { redirect: 'manual' });
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: await res.text() };
};

describe('the web client image’s nginx config', () => {
  it('When the app or one of its own routes is asked for, then index.html comes with a Content-Security-Policy of our origin only', async () => {
    for (const pathname of ['/', '/orders/6b0265849290d2ee2dcb8509', '/auth/signin']) {
      const res = await get(pathname);
      expect({ pathname, status: res.status, type: res.type, isApp: res.body.includes('<div id="root">') }).toEqual({
        pathname,
        status: 200,
        type: 'text/html',
        isApp: true,
      });
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self';.*frame-ancestors 'none'/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('When a hashed asset is asked for, then it is cached for good; a missing one is a 404, not the app', async () => {
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(path.join(CLIENT_DIST, 'index.html'), 'utf8'))?.[1] ?? '';
    const asset = await get(script);
    expect({ status: asset.status, cache: asset.headers.get('cache-control') }).toEqual({
      status: 200,
      cache: 'public, max-age=31536000, immutable',
    });
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('When the API docs are asked for, then /api/docs redirects relatively to the page, which loads Swagger UI and the document from our origin', async () => {
    const redirect = await get('/api/docs');
    expect({ status: redirect.status, location: redirect.headers.get('location') }).toEqual({ status: 301, location: '/api/docs/' });
    const page = await get('/api/docs/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/api/docs/swagger-ui-bundle.js');
    const document = await get('/api/docs/openapi.json');
    expect({ status: document.status, type: document.type, openapi: JSON.parse(document.body).openapi }).toEqual({
      status: 200,
      type: 'application/json',
      openapi: '3.1.0',
    });
    expect((await get('/api/docs/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('When an API path no service owns reaches the client, then it is the API’s JSON 404; /healthz answers', async () => {
    const missing = await get('/api/nothing');
    expect({ status: missing.status, type: missing.type, body: JSON.parse(missing.body) }).toEqual({
      status: 404,
      type: 'application/json',
      body: { errors: [{ message: 'Route not found' }] },
    });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
  });
});
