import { randomBytes } from 'node:crypto';
import { JetStreamTransport } from '@ticketing/common/jetstream';

/** Stream and subject names unique to one test, so test files sharing the run's server never meet. */
export function isolatedJetStreamNames() {
  const tag = randomBytes(4).toString('hex');
  return {
    streamName: `EVENTS_${tag}`,
    subjectPrefix: `events_${tag}`,
    deadLetterStreamName: `DEAD_LETTERS_${tag}`,
    deadLetterPrefix: `deadletter_${tag}`,
  };
}

export function natsUrl(): string {
  const url = process.env.NATS_URL;
  if (!url) throw new Error('NATS_URL is not set: run the tests through jest (its global setup starts the stack)');
  return url;
}

/** Opens `count` connections (like `count` service replicas) to the same isolated streams. */
export async function connectIsolated(count: number, names = isolatedJetStreamNames()): Promise<JetStreamTransport[]> {
  const transports: JetStreamTransport[] = [];
  for (let i = 0; i < count; i++) {
    transports.push(await JetStreamTransport.connect({ servers: natsUrl(), connectionName: `test-${i}`, ...names }));
  }
  return transports;
}

/** Closes the transports and deletes the streams they used. */
export async function closeIsolated(transports: JetStreamTransport[]): Promise<void> {
  const [first, ...rest] = transports;
  await Promise.all(rest.map((t) => t.close()));
  if (first) {
    await first.manager.streams.delete(first.streamName).catch(() => undefined);
    await first.manager.streams.delete(first.deadLetterStreamName).catch(() => undefined);
    await first.close();
  }
}
