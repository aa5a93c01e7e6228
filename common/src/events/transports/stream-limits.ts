/**
 * The bounds of the JetStream streams, apart from the transport: the bus configuration reads them from the
 * environment without loading the NATS client.
 */

/** How much the event and dead-letter streams keep: the oldest messages go first when a bound is reached. */
export interface StreamLimits {
  /** Events older than this are removed: a consumer that was away longer misses them (see README). */
  eventsMaxAgeMs: number;
  eventsMaxBytes: number;
  /** The largest event the server stores; a larger publish is refused. */
  eventMaxBytes: number;
  deadLettersMaxAgeMs: number;
  deadLettersMaxBytes: number;
  /** Copies of each stream (and its consumers) in a JetStream cluster, at most the cluster's size; default 1. */
  replicas?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const STREAM_LIMITS: StreamLimits = {
  eventsMaxAgeMs: 30 * DAY_MS,
  eventsMaxBytes: 512 * 1024 ** 2,
  eventMaxBytes: 64 * 1024,
  deadLettersMaxAgeMs: 14 * DAY_MS,
  deadLettersMaxBytes: 64 * 1024 ** 2,
  replicas: 1,
};
