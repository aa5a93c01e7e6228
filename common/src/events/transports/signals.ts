import type { NatsConnection } from '@nats-io/transport-node';
import type { Signals } from '../transport';

/** Queue group of `serve`: one server answers each request. */
const SERVE_GROUP = 'signals';

/**
 * Signals over a nats.js v3 connection (the JetStream transport). `onReconnect` comes from the transport, which
 * already follows the connection's status.
 */
export function natsSignals(connection: NatsConnection, onReconnect: (listener: () => void) => void): Signals {
  return {
    async publish(subject, payload) {
      connection.publish(subject, payload);
      await connection.flush();
    },
    subscribe(subject, handler) {
      const subscription = connection.subscribe(subject, {
        callback: (err, msg) => {
          if (!err) handler(msg.data);
        },
      });
      return { stop: () => subscription.unsubscribe() };
    },
    async request(subject, payload, timeoutMs) {
      return (await connection.request(subject, payload, { timeout: timeoutMs })).data;
    },
    serve(subject, handler) {
      const subscription = connection.subscribe(subject, {
        queue: SERVE_GROUP,
        callback: (err, msg) => {
          if (err) return;
          handler(msg.data).then(
            (answer) => msg.respond(answer),
            () => undefined, // no answer: the requester times out and asks again
          );
        },
      });
      return { stop: () => subscription.unsubscribe() };
    },
    onReconnect,
  };
}

/** What is used of the `nats` 1.x client inside a NATS Streaming connection (`stan.nc`, binary encoding). */
export interface NatsV1Client {
  publish(subject: string, message: Buffer, callback: () => void): void;
  subscribe(subject: string, options: { queue?: string }, callback: (message: V1Payload, replyTo: string) => void): number;
  unsubscribe(sid: number): void;
  request(
    subject: string,
    message: Buffer,
    options: { max: number; timeout: number },
    callback: (answer: V1Payload | Error) => void,
  ): number;
  on(event: 'reconnect', listener: () => void): unknown;
}

/** With the `binary` encoding STAN requires, the 1.x client hands payloads over as latin1 strings. */
type V1Payload = Buffer | string;
const bytesOf = (payload: V1Payload): Uint8Array => new Uint8Array(typeof payload === 'string' ? Buffer.from(payload, 'binary') : payload);

/** Signals over the NATS connection inside a NATS Streaming client. */
export function natsV1Signals(client: NatsV1Client): Signals {
  return {
    publish(subject, payload) {
      return new Promise((resolve) => client.publish(subject, Buffer.from(payload), () => resolve()));
    },
    subscribe(subject, handler) {
      const sid = client.subscribe(subject, {}, (message) => handler(bytesOf(message)));
      return { stop: () => client.unsubscribe(sid) };
    },
    request(subject, payload, timeoutMs) {
      return new Promise((resolve, reject) => {
        client.request(subject, Buffer.from(payload), { max: 1, timeout: timeoutMs }, (answer: V1Payload | Error) => {
          if (answer instanceof Error) reject(answer);
          else resolve(bytesOf(answer));
        });
      });
    },
    serve(subject, handler) {
      const sid = client.subscribe(subject, { queue: SERVE_GROUP }, (message, replyTo) => {
        if (!replyTo) return;
        handler(bytesOf(message)).then(
          (answer) => client.publish(replyTo, Buffer.from(answer), () => undefined),
          () => undefined,
        );
      });
      return { stop: () => client.unsubscribe(sid) };
    },
    onReconnect(listener) {
      client.on('reconnect', listener);
    },
  };
}
