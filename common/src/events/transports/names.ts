/**
 * The names the transports give to what they create on the server, apart from the transports themselves: the
 * bus configuration and the identities' permissions use them too, and must not load a NATS client to do so.
 */
import { randomBytes } from 'node:crypto';

/** Durable consumer names allow only a safe character set; `orders-service` + `ticket:created` → `orders-service__ticket_created`. */
export function durableName(queueGroup: string, subject: string): string {
  return `${queueGroup}__${subject}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** NATS Streaming client ids allow letters, digits, `-` and `_`; the random tail keeps two processes apart. */
export function stanClientId(base: string): string {
  return `${base.replace(/[^A-Za-z0-9_-]/g, '_')}-${randomBytes(4).toString('hex')}`;
}
