/**
 * `@ticketing/common/errors`: the typed errors that `errorHandler` (in `/http`) turns into the one JSON error
 * shape. No dependencies: usable without express, mongoose or NATS.
 */
export { BadRequestError } from './errors/bad-request-error';
export { CustomError, type ErrorItem } from './errors/custom-error';
export { isDuplicateKeyError } from './errors/duplicate-key';
export { HttpError } from './errors/http-error';
export { NotAuthorizedError } from './errors/not-authorized-error';
export { NotFoundError } from './errors/not-found-error';
export { RequestValidationError } from './errors/request-validation-error';
