import { CustomError, type ErrorItem } from './custom-error';

/** 400 listing every invalid field, built from a schema's issues by `validateRequest`. */
export class RequestValidationError extends CustomError {
  readonly statusCode = 400;

  constructor(readonly items: ErrorItem[]) {
    super('Invalid request');
  }

  serializeErrors(): ErrorItem[] {
    return this.items;
  }
}
