/** One entry of the error body every service returns: `{ errors: [{ message, field? }] }`. */
export interface ErrorItem {
  message: string;
  field?: string;
}

/** An error that knows its HTTP status and how to describe itself to a client. */
export abstract class CustomError extends Error {
  abstract readonly statusCode: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  abstract serializeErrors(): ErrorItem[];
}
