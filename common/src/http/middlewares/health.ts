import { Router } from 'express';

/** Named readiness checks, e.g. `{ mongo: () => connected, nats: () => bus.isConnected() }`. */
export type HealthChecks = Record<string, () => boolean>;

/**
 * `GET <prefix>/healthz`: the process answers (liveness).
 * `GET <prefix>/readyz`: every dependency is reachable (readiness); 503 naming the failing ones otherwise.
 */
export function healthRouter(prefix: string, checks: HealthChecks): Router {
  return Router()
    .get(`${prefix}/healthz`, (_req, res) => {
      res.status(200).json({ status: 'ok' });
    })
    .get(`${prefix}/readyz`, (_req, res) => {
      const results = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, safely(check)]));
      const isReady = Object.values(results).every(Boolean);
      res.status(isReady ? 200 : 503).json({ status: isReady ? 'ready' : 'not ready', checks: results });
    });
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
