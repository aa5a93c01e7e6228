import type { ErrorRequestHandler, RequestHandler } from 'express';
import { CustomError, type ErrorItem } from '../../errors/custom-error';
import { NotFoundError } from '../../errors/not-found-error';
import type { Logger } from '../../support/logger';

/** Errors raised by express's body parser carry a `type`, a 4xx `status` and `expose: true`. */
interface ParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
}

const PARSER_MESSAGES: Record<string, string> = {
  'entity.parse.failed': 'Malformed JSON in request body',
  'entity.too.large': 'Request body too large',
  'encoding.unsupported': 'Unsupported content encoding',
  'charset.unsupported': 'Unsupported charset',
  'entity.verify.failed': 'Request body rejected',
  'request.aborted': 'Request aborted',
  'request.size.invalid': 'Request size did not match content length',
  'stream.encoding.set': 'Invalid request stream',
  'parameters.too.many': 'Too many parameters',
};

function clientErrorOf(err: unknown): { status: number; errors: ErrorItem[] } | undefined {
  if (err instanceof CustomError) return { status: err.statusCode, errors: err.serializeErrors() };
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode, expose, type } = err as ParserError;
  const code = status ?? statusCode;
  // The router marks a path it cannot percent-decode (`/api/tickets/%E0%A4`) with status 400 but not `expose`.
  if (err instanceof URIError && code === 400) return { status: 400, errors: [{ message: 'Malformed URL' }] };
  if (typeof code === 'number' && code >= 400 && code < 500 && expose) {
    return { status: code, errors: [{ message: (type && PARSER_MESSAGES[type]) || 'Bad request' }] };
  }
  return undefined;
}

/** The database is unreachable (restarting, failing over): the request may succeed if retried. */
const UNAVAILABLE = /^Mongo(ose)?(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared)Error$/;

function isDependencyOutage(err: unknown): boolean {
  return err instanceof Error && UNAVAILABLE.test(err.name);
}

/** Any route nobody serves. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFoundError('Route not found'));

/**
 * The one place errors become responses: known client errors keep their status and message; a database
 * outage is a 503 the client may retry; anything else is logged in full and answered with a generic 500,
 * so no internals reach the client.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const clientError = clientErrorOf(err);
    if (clientError) {
      res.status(clientError.status).json({ errors: clientError.errors });
      return;
    }
    if (isDependencyOutage(err)) {
      (req.log ?? logger).warn({ err: (err as Error).message, method: req.method, url: req.originalUrl }, 'database unavailable');
      res.setHeader('retry-after', '1');
      res.status(503).json({ errors: [{ message: 'Service temporarily unavailable; try again' }] });
      return;
    }
    (req.log ?? logger).error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ errors: [{ message: 'Something went wrong' }] });
  };
}
