import { CustomError, type ErrorItem } from './custom-error';

export class NotFoundError extends CustomError {
  readonly statusCode = 404;

  constructor(message = 'Not found') {
    super(message);
  }

  serializeErrors(): ErrorItem[] {
    return [{ message: this.message }];
  }
}
