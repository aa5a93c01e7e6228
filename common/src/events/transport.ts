import type { TraceContext } from '../support/trace';

/**
 * What a message transport must offer the Publisher/Listener classes. JetStream implements it today;
 * the NATS Streaming transport implements the same contract, so services never see which one runs.
 */

/** One delivery of one message to one consumer group. Settle it exactly once: ack, nak or term. */
export interface DeliveredMessage {
  /** The event name (e.g. `ticket:created`), not the transport's wire subject. */
  readonly subject: string;
  readonly data: Uint8Array;
  /** 1 on first delivery, incremented on every redelivery. */
  readonly deliveryCount: number;
  /** The trace the publisher sent in the message headers (JetStream; NATS Streaming has no headers). */
  readonly trace?: TraceContext;
  ack(): void;
  /** Ask for redelivery, after `delayMs` where the transport supports it. */
  nak(delayMs?: number): void;
  /** Never deliver this message again (it has been dead-lettered). */
  term(reason: string): void;
}

export interface SubscribeOptions {
  /** Consumer group: every replica of one service shares it, so each event is handled once per service. */
  queueGroup: string;
  /** How long an unsettled delivery may take before the server redelivers it. */
  ackWaitMs: number;
  /** Upper bound on deliveries; the listener dead-letters a message on its last one. */
  maxDeliver: number;
  /**
   * How many deliveries the handler may hold at once (default 1). They are handed over in arrival order;
   * a handler that takes more than one must keep whatever order it needs itself (the Listener keeps each
   * aggregate's events in order).
   */
  concurrency?: number;
}

export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface Subscription {
  /** Stop taking new messages and wait for the ones in the handler's hands to be settled. */
  stop(): Promise<void>;
}

/** A message that could not be processed, kept with everything needed to inspect and replay it. */
export interface DeadLetter {
  subject: string;
  queueGroup: string;
  /** The original payload as text (UTF-8); only its first `DEAD_LETTER_PAYLOAD_BYTES` when `isTruncated`. */
  payload: string;
  /** Size of the original payload in bytes. */
  payloadBytes?: number;
  /** SHA-256 of the original payload (hex): identifies it when only its start is kept. */
  payloadSha256?: string;
  /** True when `payload` is only the start of the original (which was larger than a dead letter keeps). */
  isTruncated?: boolean;
  reason: string;
  deliveryCount: number;
  deadLetteredAt: string;
}

export interface PublishOptions {
  /** Deduplication key; a re-publish with the same id inside the server's window is dropped. */
  messageId?: string;
  /** Sent as the `x-request-id` and `traceparent` headers where the transport has headers. */
  trace?: TraceContext;
}

/**
 * Plain NATS messages on the bus connection, beside the event log: not stored, not replayed, for signals whose
 * truth lives elsewhere (a revoked session: auth's list). Subjects are used as given.
 */
export interface Signals {
  /** Sends once; resolves when the server has it (flushed). */
  publish(subject: string, payload: Uint8Array): Promise<void>;
  /** Every message on `subject` from now on, until `stop`. */
  subscribe(subject: string, handler: (payload: Uint8Array) => void): { stop(): void };
  /** One answer from a `serve`r of `subject`, or a rejection after `timeoutMs`. */
  request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Answers requests on `subject`; several servers of one subject share them (one answers each). */
  serve(subject: string, handler: (payload: Uint8Array) => Promise<Uint8Array>): { stop(): void };
  /** Called after the connection came back from a loss (what was sent meanwhile was missed). */
  onReconnect(listener: () => void): void;
}

export interface EventTransport {
  readonly kind: 'jetstream' | 'stan';
  readonly signals: Signals;
  /** Resolves only once the server has stored the message. */
  publish(subject: string, payload: Uint8Array, options?: PublishOptions): Promise<void>;
  subscribe(subject: string, options: SubscribeOptions, handler: MessageHandler): Promise<Subscription>;
  deadLetter(record: DeadLetter): Promise<void>;
  /** True while connected to the server (readiness). */
  isConnected(): boolean;
  /** Drain subscriptions and close the connection. */
  close(): Promise<void>;
}
