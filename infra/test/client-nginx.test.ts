import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDebianProgram } from '@ticketing/tools/stack/debian-packages';
import { freePort } from '@ticketing/tools/stack/ports';
import { waitFor } from '@ticketing/tools/testing/wait-for';
import { repoRoot } from './manifests';

/**
 * client/nginx.conf as the client image runs it, in a real nginx (Debian's) on the client's build: the app and
 * its own routes, the API docs and their redirect, the JSON 404 for API paths no service owns, the health
 * check and the headers. (The image's own nginx is nginx-unprivileged; the server block is the same file.)
 */
const dist = path.join(repoRoot, 'client', 'dist');
let dir: string;
let nginx: ChildProcess;
let base: string;

beforeAll(async () => {
  const binary = await ensureDebianProgram('nginx', ['/usr/sbin/nginx'], (line) => process.stderr.write(`[client-nginx] ${line}\n`));
  dir = mkdtempSync(path.join(os.tmpdir(), 'client-nginx-'));
  // Readable by nginx's workers, which run as an unprivileged user when the test runs as root.
  chmodSync(dir, 0o755);
  const html = path.join(dir, 'html');
  cpSync(dist, html, { recursive: true });
  // What the Dockerfile copies in next to the docs page.
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    cpSync(path.join(repoRoot, 'node_modules', 'swagger-ui-dist', file), path.join(html, 'api', 'docs', file));
  }
  const port = await freePort();
  const site = readFileSync(path.join(repoRoot, 'client', 'nginx.conf'), 'utf8')
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replace('root /usr/share/nginx/html;', `root ${html};`);
  expect(site).toContain(`listen 127.0.0.1:${port};`);
  writeFileSync(path.join(dir, 'site.conf'), site);
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, temp));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  access_log off;',
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/${t};`),
      `  include ${dir}/site.conf;`,
      '}',
    ].join('\n'),
  );
  nginx = spawn(binary, ['-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, { description: 'nginx', timeoutMs: 10_000 });
}, 600_000);

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
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
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(path.join(dist, 'index.html'), 'utf8'))?.[1] ?? '';
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
