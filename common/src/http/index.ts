/**
 * `@ticketing/common/http`: what a service needs around its express app: the app itself, sessions,
 * validation, the error handler, health and metrics, logging, configuration, the request trace and the
 * process lifecycle (start, graceful shutdown). Needs express; not mongoose or NATS.
 */

export { ConfigError, type EnvReader, envReader } from '../support/env';
export { createLogger, type Logger } from '../support/logger';
export type { TraceContext } from '../support/trace';
export {
  type ApiResponse,
  type ApiRoute,
  BODY_ERRORS,
  errorResponse,
  errorsSchema,
  type HttpMethod,
  healthRoutes,
  idParams,
  SERVER_ERRORS,
  UNAUTHORIZED,
} from './api-contract';
export { ServiceMetrics } from './metrics';
export {
  currentUser,
  parseSessionPublicKeys,
  SESSION_COOKIE,
  SessionSigner,
  type SessionVerification,
  sessionKeyId,
  type UserPayload,
} from './middlewares/current-user';
export { errorHandler, notFoundHandler } from './middlewares/error-handler';
export type { HealthChecks } from './middlewares/health';
export { traceOf } from './middlewares/request-logger';
export { requireAuth, userOf } from './middlewares/require-auth';
export { displayText, isObjectId, requiredString, validate, validateRequest } from './middlewares/validate-request';
export {
  buildServiceApp,
  closeServer,
  runService,
  type ServiceAppOptions,
  type ServiceContext,
  startHttpServer,
} from './service';
export {
  type AnnounceRevocationsOptions,
  announceRevocations,
  type FollowRevocationsOptions,
  followRevocations,
  type Revocation,
  RevokedSessions,
  revocationSchema,
  sessionSubjects,
} from './session-revocation';
export { Shutdown, ShutdownInProgressError, type ShutdownOptions } from './shutdown';
