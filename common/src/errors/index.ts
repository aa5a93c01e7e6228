/**
 * `@ticketing/common/errors`: the typed errors that `errorHandler` (in `/http`) turns into the one JSON error
 * shape. No dependencies: usable without express, mongoose or NATS.
 */
export { BadRequestError } from './bad-request-error';
export { CustomError, type ErrorItem } from './custom-error';
export { isDuplicateKeyError } from './duplicate-key';
export { HttpError } from './http-error';
export { NotAuthorizedError } from './not-authorized-error';
export { NotFoundError } from './not-found-error';
export { RequestValidationError } from './request-validation-error';
