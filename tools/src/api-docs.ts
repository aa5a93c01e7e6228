import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** Where the API's description lives: the document and a browsable page (Swagger UI, served from this origin). */
export const API_DOCS_PREFIX = '/api/docs';

/** The page and its script, the files the client's image serves too (client/public/api/docs/). */
const DOCS_DIR = path.join(__dirname, '..', '..', 'client', 'public', 'api', 'docs');

/** The swagger-ui-dist package: Swagger UI built for the browser, served as is. */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Swagger UI's files that the page loads; nothing else of the package is served. */
const ASSETS: Record<string, string> = { 'swagger-ui.css': 'text/css', 'swagger-ui-bundle.js': 'text/javascript' };

/**
 * Answers `GET /api/docs` (the page), `/api/docs/openapi.json` (the document) and the page's two assets; returns
 * false for anything else, which the caller routes on. Only our own origin is referred to (the Content-Security-
 * Policy says so): no CDN, nothing from the network.
 */
export function apiDocsHandler(document: unknown): (req: IncomingMessage, res: ServerResponse) => boolean {
  const json = JSON.stringify(document);
  const assets = new Map<string, Buffer>();
  const asset = (name: string) => {
    let body = assets.get(name);
    if (!body) {
      body = readFileSync(path.join(SWAGGER_UI_DIR, name));
      assets.set(name, body);
    }
    return body;
  };
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname !== API_DOCS_PREFIX && !pathname.startsWith(`${API_DOCS_PREFIX}/`)) return false;
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...extra,
        'content-type': `${type}; charset=utf-8`,
        'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'application/json', JSON.stringify({ errors: [{ message: 'Method not allowed' }] }), { allow: 'GET, HEAD' });
      return true;
    }
    const name = pathname.slice(API_DOCS_PREFIX.length + 1);
    if (name === '' || pathname === API_DOCS_PREFIX) send(200, 'text/html', readFileSync(path.join(DOCS_DIR, 'index.html')));
    else if (name === 'openapi.json') send(200, 'application/json', json);
    else if (name === 'init.js') send(200, 'text/javascript', readFileSync(path.join(DOCS_DIR, 'init.js')));
    else if (Object.hasOwn(ASSETS, name)) send(200, ASSETS[name] ?? 'text/plain', asset(name));
    else send(404, 'application/json', JSON.stringify({ errors: [{ message: 'Route not found' }] }));
    return true;
  };
}
