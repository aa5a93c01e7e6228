import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { ErrorItem } from '../../errors/custom-error';
import { RequestValidationError } from '../../errors/request-validation-error';

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

/** C0 and C1 control characters (incl. NUL, DEL) and the line and paragraph separators U+2028/U+2029. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** Bidirectional embeddings, overrides, isolates and marks: they reorder what a reader sees (U+202E). */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** Half of a surrogate pair on its own: not a character (JSON can carry one as `\ud800`). */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** What renders as nothing: white space and default-ignorable characters (zero-width space, joiners, …). */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * Text shown to other people (a ticket's title): a string, Unicode-normalised (NFC) and trimmed, of at
 * most `max` characters, refused with a 400 naming the field when it holds control characters, bidi
 * controls or a lone surrogate, or when nothing visible is left.
 */
export function displayText(label: string, { max }: { max: number }) {
  return requiredString(label)
    .refine((text) => !LONE_SURROGATE.test(text), `${label} must be valid Unicode text`)
    .transform((text) => text.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, `${label} is required`)
        .max(max, `${label} must be at most ${max} characters`)
        .refine((text) => !CONTROL.test(text), `${label} must not contain control characters or line breaks`)
        .refine((text) => !BIDI.test(text), `${label} must not contain bidirectional control characters`)
        .refine((text) => text.replace(INVISIBLE, '').length > 0, `${label} must contain visible characters`),
    );
}
