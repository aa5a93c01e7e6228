import type { Model, Types } from 'mongoose';
import type { Logger } from '../logger';
import { encodeText, serializeEvent } from './codec';
import type { EventData } from './schemas';
import type { Subject } from './subjects';
import type { EventTransport } from './transport';

/**
 * The outbox: an aggregate's document carries the events announcing its changes, written in the same
 * single-document update as the change itself, so there is never a change without its event or an
 * event without its change. The relay publishes them and then removes them from the document.
 */
export interface PendingEvent {
  subject: Subject;
  /** `<aggregate id>:<version>`: JetStream drops a re-publish with the same id. */
  messageId: string;
  /** The validated JSON payload. */
  payload: string;
}

/** Mongoose field definition for the pending events of an aggregate. */
export const pendingEventsField = {
  type: [{ _id: false, subject: { type: String, required: true }, messageId: { type: String, required: true }, payload: String }],
  default: [],
};

/** Builds the pending event for `data`, validating it now so an invalid event is never committed. */
export function pendingEvent<S extends Subject>(subject: S, data: EventData<S>): PendingEvent {
  return { subject, messageId: `${data.id}:${data.version}`, payload: serializeEvent(subject, data) };
}

export interface OutboxDocument {
  _id: Types.ObjectId;
  version: number;
  pendingEvents: PendingEvent[];
}

// biome-ignore lint/suspicious/noExplicitAny: the relay works with any aggregate model that has the outbox fields
export type OutboxModel = Model<any>;

export interface OutboxRelayOptions {
  /** Sweep for pending events this often (catches events left by a crash or a failed publish). Default 1 s. */
  intervalMs?: number;
  /** Documents read per sweep and model. */
  batchSize?: number;
  logger?: Logger;
  /** Called with the number of events published by each pass (metrics). */
  onPublished?: (count: number) => void;
  /**
   * A second transport that gets every event too (migration between NATS Streaming and JetStream):
   * an event counts as sent only once both have it.
   */
  mirror?: EventTransport;
}

/**
 * Publishes pending events and marks them sent. Call `kick()` after a write for low latency; the
 * periodic sweep guarantees delivery after crashes. Several relays (replicas) may run at once: a
 * duplicate publish is deduplicated by message id and ignored by versioned listeners.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private isKickedAgain = false;
  private isStopped = false;
  /** Publishes that failed since the count was last reset (the final flush checks it). */
  private failedPublishes = 0;

  constructor(
    private readonly models: OutboxModel[],
    private readonly transport: EventTransport,
    private readonly options: OutboxRelayOptions = {},
  ) {}

  start(): void {
    this.isStopped = false;
    this.timer = setInterval(() => this.kick(), this.options.intervalMs ?? 1_000);
    this.kick();
  }

  /** Publish pending events soon; coalesces with a pass already running. */
  kick(): void {
    if (this.isStopped) return;
    if (this.running) {
      this.isKickedAgain = true;
      return;
    }
    this.running = this.runPasses().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for the pass in progress, then publishes everything pending now. */
  async flush(): Promise<number> {
    await this.running;
    return this.publishPending();
  }

  /**
   * Stops the sweep, waits for the pass in progress, then publishes until nothing is pending (more than one
   * batch may be waiting). Rejects when an event could not be published or the database failed: the events
   * stay in their documents for the next relay (another replica, or this service's restart), nothing is
   * lost, but the shutdown did not finish its job and says so.
   */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.timer);
    await this.running;
    this.failedPublishes = 0;
    // Capped: with other replicas still writing, "nothing pending" may never come; theirs go out with their relays.
    for (let pass = 0; pass < 50; pass++) {
      const published = await this.publishPending();
      if (published === 0 || this.failedPublishes > 0) break;
    }
    if (this.failedPublishes > 0) {
      const left = await this.pendingCount().catch(() => undefined);
      throw new Error(
        `outbox relay stopped with events it could not publish (${left ?? 'unknown'} pending); they go out with the next relay`,
      );
    }
  }

  /** Events committed but not yet published, over every model (the outbox backlog). */
  async pendingCount(): Promise<number> {
    let count = 0;
    for (const model of this.models) {
      const docs = await model.find({ 'pendingEvents.0': { $exists: true } }, { pendingEvents: 1 }).lean<OutboxDocument[]>();
      for (const doc of docs) count += doc.pendingEvents.length;
    }
    return count;
  }

  private async runPasses(): Promise<void> {
    do {
      this.isKickedAgain = false;
      await this.publishPending().catch((err: unknown) => this.options.logger?.error({ err }, 'outbox pass failed'));
    } while (this.isKickedAgain && !this.isStopped);
  }

  /** One pass over every model; returns how many events went out. */
  async publishPending(): Promise<number> {
    let published = 0;
    for (const model of this.models) {
      const docs: OutboxDocument[] = await model
        .find({ 'pendingEvents.0': { $exists: true } }, { version: 1, pendingEvents: 1 })
        .limit(this.options.batchSize ?? 100)
        .lean<OutboxDocument[]>();
      for (const doc of docs) published += await this.relayDocument(model, doc);
    }
    if (published > 0) this.options.onPublished?.(published);
    return published;
  }

  private async relayDocument(model: OutboxModel, doc: OutboxDocument): Promise<number> {
    const sent: string[] = [];
    for (const event of doc.pendingEvents) {
      try {
        const payload = encodeText(event.payload);
        await this.transport.publish(event.subject, payload, { messageId: event.messageId });
        await this.options.mirror?.publish(event.subject, payload, { messageId: event.messageId });
        sent.push(event.messageId);
      } catch (err) {
        // Keep order: later versions of this aggregate wait for the next pass.
        this.failedPublishes++;
        this.options.logger?.warn({ err, messageId: event.messageId }, 'outbox publish failed; will retry');
        break;
      }
    }
    if (sent.length > 0) await this.markSent(model, doc._id, sent);
    return sent.length;
  }

  /** Removes the sent events, conditional on the version so an event appended meanwhile is kept. */
  private async markSent(model: OutboxModel, id: Types.ObjectId, messageIds: string[]): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current: OutboxDocument | null = await model.findById(id, { version: 1, pendingEvents: 1 }).lean<OutboxDocument>();
      if (!current) return;
      const remaining = current.pendingEvents.filter((e) => !messageIds.includes(e.messageId));
      if (remaining.length === current.pendingEvents.length) return;
      const result = await model.updateOne({ _id: id, version: current.version }, { $set: { pendingEvents: remaining } });
      if (result.matchedCount === 1) return;
    }
  }
}
