import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import { continueTrace, REQUEST_ID, runWithTrace, type TraceContext } from '../trace';

type TracedRequest = IncomingMessage & { trace: TraceContext };

/**
 * One JSON log line per request, with a request id that is also sent back in `x-request-id` and carried
 * by `req.log` into every line logged while handling it. An incoming `x-request-id` is kept when it looks
 * like an id, and an incoming W3C `traceparent` is continued (`requestTrace` then makes it the current
 * trace). Health and metrics probes are not logged.
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
 * Runs the rest of the request with its trace as the current one, so the events it writes carry it to the
 * listeners (see `trace.ts`). Mounted after the body parser: the parser resumes the request from the
 * socket's callbacks, which would lose a trace set before it.
 */
export const requestTrace: RequestHandler = (req, _res, next) => {
  runWithTrace((req as unknown as TracedRequest).trace, next);
};
