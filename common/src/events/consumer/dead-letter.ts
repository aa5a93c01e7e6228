/**
 * Dead-lettering: a message that cannot be handled is recorded, with its reason, where an operator can see
 * and replay it (`npm run dead-letters`), and is then never delivered again.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../support/logger';
import { payloadText } from '../codec';
import type { DeadLetter, DeliveredMessage, EventTransport } from '../transport';

/**
 * Of a dead-lettered payload, a record keeps at most this much (and always its size and hash), so the record
 * fits in one NATS message whatever arrived, and junk cannot make the dead letters large.
 */
export const DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024;

/** The record of `message`, dead-lettered by `queueGroup` for `reason`. */
export function deadLetterRecord(message: DeliveredMessage, queueGroup: string, reason: string): DeadLetter {
  return {
    subject: message.subject,
    queueGroup,
    ...payloadOf(message.data),
    reason,
    deliveryCount: message.deliveryCount,
    deadLetteredAt: new Date().toISOString(),
  };
}

/**
 * Records `message` in the dead letters and ends its deliveries (JetStream: `term` with the reason; NATS
 * Streaming: an ack). When the record cannot be written, the message is kept: it comes back after
 * `retryDelayMs`, so nothing is lost.
 */
export async function sendToDeadLetters(
  transport: EventTransport,
  message: DeliveredMessage,
  record: DeadLetter,
  retryDelayMs: number,
  logger?: Logger,
): Promise<void> {
  try {
    await transport.deadLetter(record);
    message.term(record.reason);
  } catch (err) {
    logger?.error({ err, subject: record.subject, queueGroup: record.queueGroup }, 'could not dead-letter event');
    message.nak(retryDelayMs);
  }
}

function payloadOf(data: Uint8Array): Pick<DeadLetter, 'payload' | 'payloadBytes' | 'payloadSha256' | 'isTruncated'> {
  const payloadSha256 = createHash('sha256').update(data).digest('hex');
  if (data.byteLength <= DEAD_LETTER_PAYLOAD_BYTES) return { payload: payloadText(data), payloadBytes: data.byteLength, payloadSha256 };
  return {
    payload: payloadText(data.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)),
    payloadBytes: data.byteLength,
    payloadSha256,
    isTruncated: true,
  };
}
