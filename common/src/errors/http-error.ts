import { CustomError, type ErrorItem } from './custom-error';

/** A client error with an explicit status (413, 415, 429, …) and a message safe to show. */
export class HttpError extends CustomError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }

  serializeErrors(): ErrorItem[] {
    return [{ message: this.message }];
  }
}
