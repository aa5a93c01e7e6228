import { CustomError, type ErrorItem } from './custom-error';

export class NotAuthorizedError extends CustomError {
  readonly statusCode = 401;

  constructor(message = 'Not authorized') {
    super(message);
  }

  serializeErrors(): ErrorItem[] {
    return [{ message: this.message }];
  }
}
