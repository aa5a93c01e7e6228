import type { z } from 'zod';
import { type EventData, eventSchemas } from '../ticketing/schemas';
import type { Subject } from '../ticketing/subjects';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Thrown when a payload does not match its subject's schema; carries a readable reason. */
export class EventValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`Invalid ${subject} event: ${reason}`);
    this.name = 'EventValidationError';
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates `data` against the subject's schema and returns its JSON text. */
export function serializeEvent<S extends Subject>(subject: S, data: EventData<S>): string {
  const parsed = eventSchemas[subject].safeParse(data);
  if (!parsed.success) throw new EventValidationError(subject, describeIssues(parsed.error.issues));
  return JSON.stringify(parsed.data);
}

export function encodeEvent<S extends Subject>(subject: S, data: EventData<S>): Uint8Array {
  return encoder.encode(serializeEvent(subject, data));
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

export function decodeEvent<S extends Subject>(subject: S, payload: Uint8Array): EventData<S> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch {
    throw new EventValidationError(subject, 'payload is not valid JSON');
  }
  const parsed = eventSchemas[subject].safeParse(json);
  if (!parsed.success) throw new EventValidationError(subject, describeIssues(parsed.error.issues));
  return parsed.data as EventData<S>;
}

export function payloadText(payload: Uint8Array): string {
  return decoder.decode(payload);
}
