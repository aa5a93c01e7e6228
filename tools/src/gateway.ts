import http, { type IncomingMessage, type ServerResponse } from 'node:http';

/** One route of the gateway: requests whose path starts with `prefix` go to `port` on 127.0.0.1. */
export interface GatewayRoute {
  prefix: string;
  port: number;
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message }] }));
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
}

/**
 * The local stand-in for the k8s ingress: one origin, routing by path prefix, so cookies set by auth
 * are sent to tickets and orders too. Streams bodies both ways and adds the X-Forwarded-* headers.
 */
export function createGateway(routes: GatewayRoute[]): http.Server {
  return http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const route = routes.find((r) => matches(url, r.prefix));
    if (!route) return sendError(res, 404, 'Route not found');
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: route.port,
        method: req.method,
        path: url,
        headers: {
          ...req.headers,
          'x-forwarded-for': req.socket.remoteAddress ?? '',
          'x-forwarded-host': req.headers.host ?? '',
          'x-forwarded-proto': 'http',
        },
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => sendError(res, 502, 'Service unavailable'));
    req.pipe(upstream);
  });
}
