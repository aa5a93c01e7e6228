import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { repoRoot } from '@ticketing/stack/paths';
import sirv from 'sirv';

/** The web client's build (`npm run build` runs `vite build` in client/). */
export const CLIENT_DIST = path.join(repoRoot, 'client', 'dist');

/**
 * Serves the web client's files for every path outside /api, and its index.html for the client's own routes
 * (`/tickets/…`, `/orders/…`: a single-page app). Static files are sirv's job; what is ours is the policy:
 * only our origin (Content-Security-Policy), no framing, hashed assets cached for good, index.html never.
 */
export function webClientHandler(dist = CLIENT_DIST): ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | undefined {
  if (!existsSync(path.join(dist, 'index.html'))) return undefined;
  return sirv(dist, {
    single: true,
    etag: true,
    setHeaders: (res, pathname) => {
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
      );
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'same-origin');
      res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
