import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import { continueTrace, REQUEST_ID, type TraceContext } from '../trace';

type TracedRequest = IncomingMessage & { trace: TraceContext };

/**
 * One JSON log line per request, with a request id that is also sent back in `x-request-id` and carried
 * by `req.log` into every line logged while handling it. An incoming `x-request-id` is kept when it looks
 * like an id, and an incoming W3C `traceparent` is continued; `traceOf(req)` gives both to the code that
 * writes the request's events. Health and metrics probes are not logged.
 */
export function requestLogger(logger: Logger, prefix: string): RequestHandler {
  const quiet = new Set([`${prefix}/healthz`, `${prefix}/readyz`, '/metrics']);
  const logRequest = pinoHttp({
    logger,
    genReqId: (req) => (req as TracedRequest).trace.requestId,
    customProps: (req) => ({ traceparent: (req as TracedRequest).trace.traceparent }),
    autoLogging: { ignore: (req) => quiet.has((req.url ?? '').split('?')[0]) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req, res, next) => {
    const incomingId = req.headers['x-request-id'];
    const incomingParent = req.headers.traceparent;
    const trace: TraceContext = {
      requestId: typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID(),
      traceparent: continueTrace(typeof incomingParent === 'string' ? incomingParent : undefined),
    };
    (req as unknown as TracedRequest).trace = trace;
    res.setHeader('x-request-id', trace.requestId);
    logRequest(req, res, next);
  };
}

/**
 * The trace of a request (its request id and our `traceparent`), to give to the events it writes so the
 * listeners that apply them log the same id (see `trace.ts`). Undefined outside `buildServiceApp`'s apps.
 */
export function traceOf(req: IncomingMessage): TraceContext | undefined {
  return (req as Partial<TracedRequest>).trace;
}
