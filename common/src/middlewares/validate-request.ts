import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ErrorItem } from '../errors/custom-error';
import { RequestValidationError } from '../errors/request-validation-error';

export function issuesToErrors(issues: readonly z.core.$ZodIssue[]): ErrorItem[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    return field ? { message: issue.message, field } : { message: issue.message };
  });
}

/**
 * Validates `req.body` (and `req.params`) against schemas and replaces the body with the parsed value,
 * so handlers see exactly the typed shape (unknown keys stripped, operator objects rejected).
 */
export function validateRequest(schemas: { body?: z.ZodType; params?: z.ZodType }): RequestHandler {
  return (req, _res, next) => {
    const errors: ErrorItem[] = [];
    if (schemas.body) {
      const body = schemas.body.safeParse(req.body ?? {});
      if (body.success) req.body = body.data;
      else errors.push(...issuesToErrors(body.error.issues));
    }
    if (schemas.params) {
      const params = schemas.params.safeParse(req.params);
      if (!params.success) errors.push(...issuesToErrors(params.error.issues));
    }
    if (errors.length > 0) throw new RequestValidationError(errors);
    next();
  };
}

/** Parses `value` with `schema` inside a handler, returning the typed result or throwing a 400 naming each field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new RequestValidationError(issuesToErrors(result.error.issues));
  return result.data;
}

/** A string field whose errors read "<Label> is required" when absent and "<Label> must be a string" otherwise. */
export function requiredString(label: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `${label} is required` : `${label} must be a string`) });
}

/** A 24-hex-digit MongoDB ObjectId string; anything else (including operator objects) is not an id. */
export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value);
}
