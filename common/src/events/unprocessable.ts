/**
 * Thrown by an event handler for an event that can never be applied — it names an aggregate that cannot
 * exist, or carries an id that is not one. The `Listener` dead-letters it at once with this message,
 * instead of retrying it until `maxDeliver`.
 */
export class UnprocessableEventError extends Error {
  override readonly name = 'UnprocessableEventError';
}

const OBJECT_ID = /^[0-9a-f]{24}$/;

/**
 * Checks that each named field of an event is a MongoDB ObjectId (24 lower-case hex digits, as
 * `toHexString` writes them); otherwise the event is unprocessable. The schemas accept any id (the package
 * does not impose MongoDB); a service whose ids are ObjectIds checks them before it queries with them.
 */
export function requireObjectIds(ids: Record<string, string>): void {
  for (const [field, value] of Object.entries(ids)) {
    if (!OBJECT_ID.test(value)) throw new UnprocessableEventError(`${field} "${value.slice(0, 64)}" is not an ObjectId`);
  }
}
