import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** Where the API's description lives: the document and a browsable page (Swagger UI, served from this origin). */
export const API_DOCS_PREFIX = '/api/docs';

/** The page and its script, the files the client's image serves too (client/public/api/docs/). */
const DOCS_DIR = path.join(__dirname, '..', '..', 'client', 'public', 'api', 'docs');

/** The swagger-ui-dist package: Swagger UI built for the browser, served as is. */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The files served under /api/docs/, by name ('' is the page): ours, and the two of Swagger UI the page loads. */
const FILES: Record<string, { file: string; type: string }> = {
  '': { file: path.join(DOCS_DIR, 'index.html'), type: 'text/html' },
  'init.js': { file: path.join(DOCS_DIR, 'init.js'), type: 'text/javascript' },
  'swagger-ui.css': { file: path.join(SWAGGER_UI_DIR, 'swagger-ui.css'), type: 'text/css' },
  'swagger-ui-bundle.js': { file: path.join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'), type: 'text/javascript' },
};

/**
 * Answers `GET /api/docs` (the page), `/api/docs/openapi.json` (the document) and the page's two assets; returns
 * false for anything else, which the caller routes on. Only our own origin is referred to (the Content-Security-
 * Policy says so): no CDN, nothing from the network.
 */
export function apiDocsHandler(document: unknown): (req: IncomingMessage, res: ServerResponse) => boolean {
  const json = JSON.stringify(document);
  // Read once, on first use.
  const contents = new Map<string, Buffer>();
  const contentOf = (file: string) => {
    let body = contents.get(file);
    if (!body) {
      body = readFileSync(file);
      contents.set(file, body);
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
    const served = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (name === 'openapi.json') send(200, 'application/json', json);
    else if (served) send(200, served.type, contentOf(served.file));
    else send(404, 'application/json', JSON.stringify({ errors: [{ message: 'Route not found' }] }));
    return true;
  };
}
