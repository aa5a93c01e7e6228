import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createProxyServer } from 'http-proxy-3';

/** One route of the gateway: requests whose path starts with `prefix` go to `port` on 127.0.0.1. */
export interface GatewayRoute {
  prefix: string;
  port: number;
}

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded either way. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
];

/** The hop-by-hop headers of a message: the fixed list and any header its `Connection` names. */
function hopByHop(headers: IncomingHttpHeaders): string[] {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name && name !== 'close' && name !== 'keep-alive');
  return [...HOP_BY_HOP, ...named];
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ message }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * What is wrong with a request's path, or undefined when nothing is. The gateway routes on the path as sent,
 * but what is sent on is read again: http-proxy-3 rebuilds the path with WHATWG URL, which resolves
 * dot-segments (`..`, `%2e%2e`) and reads `\` as `/`, so `/api/tickets/../../metrics` matched the tickets
 * route and arrived at tickets as `/metrics`; other readers further on (ingress-nginx, a file server, a
 * framework that decodes before matching) differ again. Such paths are refused, not normalised: no page or
 * API call of ours needs one (browsers resolve dot-segments and never escape `.` or `/` before sending, ids
 * are hex), and a refusal leaves no second reading of the same path to get wrong.
 */
export function pathProblem(url: string): string | undefined {
  const path = url.split('?', 1)[0] ?? '';
  if (!path.startsWith('/')) return 'Invalid path: only a path starting with / is served (no absolute URL, no *)';
  if (/(^|\/)\.\.?(\/|$)/.test(path)) return 'Invalid path: dot-segments (. and ..) are not allowed';
  // `\` is read as `/` by browsers and by Windows file servers; `;` starts path parameters, which some servers
  // strip before matching; `#` and the rest are not allowed in a path at all (RFC 3986 section 3.3).
  if (/[^A-Za-z0-9\-._~!$&'()*+,=:@/%]/.test(path)) {
    return "Invalid path: only letters, digits and -._~!$&'()*+,=:@/% are allowed (no backslash, no ;)";
  }
  // The escapes of `.`, `/`, `\` and `%` itself: one decoding further on they make a dot-segment or a separator
  // (`..%2f`, `%2e%2e`, `%5c`), and `%25` hides any of them for a second decoding (`%252e`).
  if (/%(2e|2f|5c|25)/i.test(path)) return 'Invalid path: percent-encoded dots, slashes, backslashes and percent signs are not allowed';
  return undefined;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
}

/**
 * The local stand-in for the k8s ingress: one origin, routing by path prefix, so the cookie set by auth
 * reaches every service. The proxying is http-proxy-3's (streaming both ways; a client that goes away
 * closes the upstream request); what is ours is small and specific: the routes, paths that could mean
 * another place refused (`pathProblem`), hop-by-hop headers dropped
 * in both directions, HTTP/1.0 connections closed after their response, and X-Forwarded-* set from the
 * connection (not appended to what a client claims).
 */
export function createGateway(
  routes: GatewayRoute[],
  options: {
    /** Answers /api/docs (the OpenAPI document and its page); returns false for other paths. */
    apiDocs?: (req: IncomingMessage, res: ServerResponse) => boolean;
    /** Serves the web client at every path outside /api. */
    webClient?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  } = {},
): http.Server {
  // Idle upstream connections are dropped after 4 s, before the services' own 5 s keep-alive timeout closes
  // them: otherwise a request can be sent on a connection the service is closing at that moment (a 502). Node's
  // agent would read the service's `Keep-Alive: timeout=5` hint, but that header is hop-by-hop and removed below.
  const agent = new http.Agent({ keepAlive: true, timeout: 4_000 });
  const proxy = createProxyServer({ agent, proxyTimeout: 60_000 });
  proxy.on('proxyReq', (proxyReq, req) => {
    for (const name of hopByHop(req.headers)) proxyReq.removeHeader(name);
    proxyReq.setHeader('x-forwarded-for', req.socket.remoteAddress ?? '');
    proxyReq.setHeader('x-forwarded-host', req.headers.host ?? '');
    proxyReq.setHeader('x-forwarded-proto', 'http');
  });
  proxy.on('proxyRes', (proxyRes) => {
    for (const name of hopByHop(proxyRes.headers)) delete proxyRes.headers[name];
  });
  proxy.on('error', (_err, _req, res) => {
    if (res instanceof http.ServerResponse) sendError(res, 502, 'Service unavailable');
    else res.destroy();
  });

  return http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const problem = pathProblem(url);
    if (problem) return sendError(res, 400, problem);
    if (options.apiDocs?.(req, res)) return;
    const route = routes.find((r) => matches(url, r.prefix));
    // The web client's files, for reading only: any other method outside /api is the API's 404.
    if (!route && options.webClient && !matches(url, '/api') && (req.method === 'GET' || req.method === 'HEAD')) {
      return options.webClient(req, res, () => sendError(res, 404, 'Route not found'));
    }
    if (!route) return sendError(res, 404, 'Route not found');
    if (req.httpVersion === '1.0') {
      // An HTTP/1.0 client reads the body until the connection closes: close it after the response.
      delete req.headers.connection;
      res.shouldKeepAlive = false;
    }
    proxy.web(req, res, { target: `http://127.0.0.1:${route.port}` });
  });
}
