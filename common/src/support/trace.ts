import { randomFillSync } from 'node:crypto';

/**
 * What ties the work of several services to the one request that caused it: the request id (as logged by
 * the HTTP service and returned in `x-request-id`) and a W3C `traceparent` (https://www.w3.org/TR/trace-context/).
 * An HTTP request starts or continues one (`traceOf(req)`); the events written while handling it are given
 * it (`pendingEvent(subject, data, trace)`) and carry it in their NATS headers (JetStream); a listener gets it
 * continued in `MessageContext.trace` and passes it to the events it writes in turn. NATS Streaming has no
 * headers: there the chain stops at the bus.
 *
 * Passed explicitly rather than through AsyncLocalStorage: on Node 20 an active AsyncLocalStorage made every
 * promise about three times as expensive (measured), and the request path is promise-heavy.
 */
export interface TraceContext {
  requestId: string;
  traceparent: string;
}

/** version-traceid-parentid-flags; all-zero ids are invalid. */
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-([0-9a-f]{2})$/;

/**
 * Random bytes for ids, as lowercase hex, taken from a pool refilled 4 KiB at a time: two ids per request
 * (a trace id, a span id), and one call to the system's generator for every ~170 of them instead of one each
 * (2 % of a service's CPU on a fast route). Same generator as `randomBytes`; the pool never hands out a byte twice.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * A `traceparent` for our own span: in the trace of `incoming` when it is a valid one (its trace id and
 * flags kept), otherwise in a new trace.
 */
export function continueTrace(incoming?: string): string {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const traceId = match?.[1] ?? randomHex(16);
  const flags = match?.[2] ?? '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

/** A request id as we accept it from outside (a header): short, from a safe character set. */
export const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
