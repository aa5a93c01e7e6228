import type { RequestHandler, Router } from 'express';
import { Router as createRouter } from 'express';
import type { ServiceMetrics } from '../metrics';

// The express side of `ServiceMetrics`, apart from it so that the event runtime's metrics do not load express.

/** Times every request; the route label is the matched pattern (`/api/tickets/:id`), never the raw URL. */
export function httpMetrics(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** `GET /metrics` in the Prometheus text format. */
export function metricsRouter(metrics: ServiceMetrics): Router {
  return createRouter().get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });
}
