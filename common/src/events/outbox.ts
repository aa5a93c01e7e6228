import {
  Document,
  type FilterQuery,
  type HydratedDocument,
  type Model,
  type mongo,
  type Schema,
  type Types,
  type UpdateQuery,
} from 'mongoose';
import { updateIfMatches } from '../conditional-write';
import { GroupedInserts, type InsertTarget } from '../grouped-inserts';
import { KeyedQueue } from '../keyed-queue';
import type { Logger } from '../logger';
import type { TraceContext } from '../trace';
import { type OutgoingEvent, prepareEvent, sendEvent } from './publisher';
import type { EventData } from './schemas';
import type { Subject } from './subjects';
import type { EventTransport } from './transport';

/**
 * The outbox: an aggregate's document carries the events announcing its changes, written in the same
 * single-document write as the change itself, so there is never a change without its event or an event
 * without its change. The `AggregateStore` that made the write hands the written events to the relay,
 * which publishes them and then removes exactly those from the document.
 */
export type PendingEvent = OutgoingEvent;

/** Mongoose field definition for the pending events of an aggregate. */
export const pendingEventsField = {
  type: [
    {
      _id: false,
      subject: { type: String, required: true },
      messageId: { type: String, required: true },
      payload: String,
      requestId: String,
      traceparent: String,
    },
  ],
  default: [],
};

/**
 * A pending event exactly as the document stores it: the fields in the schema's order, absent ones left
 * out. `$pullAll` removes a subdocument only if it is equal field for field, in order.
 */
function storedShape({ subject, messageId, payload, requestId, traceparent }: PendingEvent): PendingEvent {
  return {
    subject,
    messageId,
    payload,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
  };
}

/** What the relay's safety sweep looks for: documents with at least one pending event. */
const HAS_PENDING_EVENTS = { 'pendingEvents.messageId': { $gt: '' } };

/**
 * Adds the outbox to an aggregate's schema: the `pendingEvents` field, and an index that lets the safety
 * sweep read only the documents that have pending events. Write such a document through its
 * `AggregateStore`: a write made any other way is not handed to the relay, and its events wait for the sweep.
 */
export function outboxPlugin(schema: Schema): void {
  schema.add({ pendingEvents: pendingEventsField });
  schema.index({ 'pendingEvents.messageId': 1 });
}

/**
 * Builds the pending event for `data`, validating it now so an invalid event is never committed. `trace`:
 * the request (`traceOf(req)`) or event (`MessageContext.trace`) that caused it; stored with the event and
 * sent in the message headers.
 */
export function pendingEvent<S extends Subject>(subject: S, data: EventData<S>, trace?: TraceContext): PendingEvent {
  return prepareEvent(subject, data, trace);
}

export interface OutboxDocument {
  _id: Types.ObjectId;
  version: number;
  pendingEvents: PendingEvent[];
}

// biome-ignore lint/suspicious/noExplicitAny: the relay works with any aggregate model that has the outbox fields
export type OutboxModel = Model<any>;

/** Where an `AggregateStore` hands what it wrote: the relay, once the event runtime has started. */
export interface OutboxHandOff {
  /** Events just committed in the document `id` of `model`: publish them now. */
  handOff(model: OutboxModel, id: Types.ObjectId, events: readonly PendingEvent[]): void;
  /** A write failed without saying whether it was committed: look for its events soon. */
  sweepSoon(): void;
}

/** What the event runtime connects to the relay: a store's model (swept) and its hand-off. */
export interface OutboxSource {
  readonly model: OutboxModel;
  attach(outbox: OutboxHandOff): () => void;
}

/**
 * An aggregate as written: a mongoose document, or the plain record a hot path builds itself (see
 * `AggregateStore.insert`).
 */
export type WrittenAggregate<T> = T & { _id: Types.ObjectId };

/**
 * The one place an aggregate is written together with its pending events. After each committed write it
 * hands the document's pending events to the relay, so they are published at once, from memory, without the
 * relay reading the collection. Routes, listeners and sweepers call domain functions that use a store; none
 * of them knows about the relay. Without a relay attached (route tests), the events wait in the document.
 */
export class AggregateStore<T extends { pendingEvents: PendingEvent[] }> implements OutboxSource {
  private outbox?: OutboxHandOff;
  private readonly observers = new Set<(written: WrittenAggregate<T>) => void>();
  /** The inserts of one turn go to the database as one command. */
  private readonly inserts: GroupedInserts<WrittenAggregate<T>>;

  constructor(readonly model: Model<T>) {
    this.inserts = new GroupedInserts(model.collection as unknown as InsertTarget<WrittenAggregate<T>>);
  }

  /** Tells `observer` about every aggregate this store writes (e.g. an expiry schedule); returns the detach function. */
  onCommitted(observer: (written: WrittenAggregate<T>) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Connects the relay (done by the event runtime at start-up); returns the detach function. */
  attach(outbox: OutboxHandOff): () => void {
    this.outbox = outbox;
    return () => {
      if (this.outbox === outbox) this.outbox = undefined;
    };
  }

  /**
   * Inserts a new aggregate whose `pendingEvents` announce its creation, and returns what it was given.
   *
   * - A mongoose document: its schema's validation runs (save middleware does not), and it goes to the driver
   *   as an object, which costs less than half the CPU of mongoose's `save()` (change tracking, hooks).
   * - A plain record with its `_id`: inserted as it is, for the busiest write paths (creating a ticket), where
   *   building and validating a mongoose document was a tenth of the service's CPU. The caller has checked
   *   every field (the request's schema) and types the record with the model's attributes.
   *
   * Either way the pending events are stored in the shape the relay removes them by, and the inserts asked
   * for during one turn of the event loop go to the database as one command (`GroupedInserts`); each caller
   * still learns its own outcome.
   */
  async insert<D extends HydratedDocument<T> | WrittenAggregate<T>>(aggregate: D): Promise<D> {
    let record: WrittenAggregate<T>;
    if (aggregate instanceof Document) {
      const invalid = aggregate.validateSync();
      if (invalid) throw invalid;
      record = aggregate.toObject({ depopulate: true }) as WrittenAggregate<T>;
    } else {
      record = { ...aggregate, pendingEvents: aggregate.pendingEvents.map(storedShape) };
    }
    await this.committing(() => this.inserts.insert(record));
    if (aggregate instanceof Document) aggregate.isNew = false;
    this.handOff(record);
    return aggregate;
  }

  /**
   * Applies `update` to the document `filter._id` if it still matches `filter` (include the version read, so
   * the write is conditional) and returns it as written, or null when it did not match.
   */
  async update(filter: FilterQuery<T> & { _id: Types.ObjectId }, update: UpdateQuery<T>): Promise<HydratedDocument<T> | null> {
    const doc = await this.committing(() => updateIfMatches(this.model, filter, update));
    // Every aggregate has an ObjectId `_id` (mongoose's generic document type does not say so).
    if (doc) this.handOff(doc as unknown as WrittenAggregate<T>);
    return doc;
  }

  /** A write that failed may still have been committed (a lost reply): its events must not wait for the periodic sweep. */
  private async committing<R>(write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (err) {
      if (!isDefiniteFailure(err)) this.outbox?.sweepSoon();
      throw err;
    }
  }

  private handOff(written: WrittenAggregate<T>): void {
    for (const observer of this.observers) observer(written);
    if (!this.outbox || written.pendingEvents.length === 0) return;
    this.outbox.handOff(this.model, written._id, written.pendingEvents.map(storedShape));
  }
}

/** Errors that prove the write was refused (nothing committed): duplicate keys and validation. */
function isDefiniteFailure(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown };
  return e?.code === 11000 || e?.name === 'ValidationError' || e?.name === 'CastError';
}

export interface OutboxRelayOptions {
  /**
   * The safety sweep reads the documents that still have pending events (left by a crash, a lost write
   * reply, or another replica) this often; 0 turns the periodic sweep off. Default 30 s. It also runs at
   * start and soon after a write whose outcome is unknown.
   */
  sweepIntervalMs?: number;
  /** A failed publish or mark-sent is retried (from the document, read by id) after this long. Default 1 s. */
  retryIntervalMs?: number;
  /** Documents read per sweep and model. */
  batchSize?: number;
  logger?: Logger;
  /** Called with the number of events published (metrics). */
  onPublished?: (count: number) => void;
  /**
   * A second transport that gets every event too (migration between NATS Streaming and JetStream):
   * an event counts as sent only once both have it.
   */
  mirror?: EventTransport;
}

/** Message ids remembered as published, so a retry or a sweep does not send them again (bounded). */
const REMEMBERED_SENT = 10_000;

/**
 * Publishes pending events and removes them from their documents.
 *
 * - Hand-off: a store gives the events it just wrote; they are published from memory and then removed with
 *   one `$pullAll` filtered on `_id` alone (cheap everywhere, and an event appended meanwhile is kept).
 * - Order: the events of one aggregate go out one after another, in version order (each waits for the
 *   server's ack of the previous one); different aggregates go out concurrently.
 * - Failures: the aggregate is re-read by id and retried after `retryIntervalMs`.
 * - Safety sweep: at start, every `sweepIntervalMs`, and soon after a write with an unknown outcome.
 *
 * Several relays (replicas) may run at once: a duplicate publish is deduplicated by message id and
 * ignored by versioned listeners.
 */
export class OutboxRelay implements OutboxHandOff {
  private sweepTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private sweepSoonTimer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;
  /** Whether the last sweep failed (it is being retried). */
  private isSweepFailing = false;
  private isStopped = false;
  /** Deliveries per aggregate, one after another (keeps its events in order). */
  private readonly deliveries = new KeyedQueue();
  /** Aggregates whose delivery failed, re-read and retried by the retry timer. */
  private readonly retries = new Map<string, { model: OutboxModel; id: Types.ObjectId }>();
  private readonly sent = new Set<string>();
  /** Events handed off or found and not yet published (the in-memory backlog, for metrics). */
  private inFlight = 0;
  /** Publishes or mark-sents that failed since the count was last reset (the final flush checks it). */
  private failures = 0;
  /** While deliveries fail (the bus away, a stream electing its leader): since when, how many failed, the last when. */
  private outage?: { since: number; failed: number; lastFailureAt: number };

  constructor(
    private readonly models: OutboxModel[],
    private readonly transport: EventTransport,
    private readonly options: OutboxRelayOptions = {},
  ) {}

  start(): void {
    this.isStopped = false;
    const every = this.options.sweepIntervalMs ?? 30_000;
    if (every > 0) this.sweepTimer = setInterval(() => void this.sweep(), every);
    this.retryTimer = setInterval(() => this.retryFailed(), this.options.retryIntervalMs ?? 1_000);
    void this.sweep();
  }

  handOff(model: OutboxModel, id: Types.ObjectId, events: readonly PendingEvent[]): void {
    // After stop, the final flush reads the documents: nothing handed off late is lost.
    if (this.isStopped) return;
    this.deliverInOrder(model, id, events);
  }

  sweepSoon(): void {
    if (this.isStopped || this.sweepSoonTimer) return;
    this.sweepSoonTimer = setTimeout(() => {
      this.sweepSoonTimer = undefined;
      void this.sweep();
    }, this.options.retryIntervalMs ?? 1_000);
  }

  /** Events handed to the relay (or found by a sweep) and not published yet. */
  get backlog(): number {
    return this.inFlight;
  }

  /** Waits for every delivery in progress, then sweeps; returns how many events the sweep published. */
  async flush(): Promise<number> {
    await this.settled();
    return this.sweepOnce();
  }

  /**
   * Stops the timers, waits for the deliveries in progress, then sweeps until nothing is pending. Rejects
   * when an event could not be published or the database failed: the events stay in their documents for the
   * next relay (another replica, or this service's restart), nothing is lost, but the shutdown did not finish
   * its job and says so.
   */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.retryTimer);
    clearTimeout(this.sweepSoonTimer);
    this.sweepSoonTimer = undefined;
    this.retries.clear();
    await this.settled();
    this.failures = 0;
    // Capped: with other replicas still writing, "nothing pending" may never come; theirs go out with their relays.
    for (let pass = 0; pass < 50; pass++) {
      const published = await this.sweepOnce().catch(() => {
        this.failures++;
        return 0;
      });
      if (published === 0 || this.failures > 0) break;
    }
    if (this.failures > 0) {
      const left = await this.pendingCount().catch(() => undefined);
      throw new Error(
        `outbox relay stopped with events it could not publish (${left ?? 'unknown'} pending); they go out with the next relay`,
      );
    }
  }

  /** Events committed but not yet published, counted in the database over every model (tests, tools). */
  async pendingCount(): Promise<number> {
    let count = 0;
    for (const model of this.models) {
      const docs = await model.find(HAS_PENDING_EVENTS, { pendingEvents: 1 }).lean<OutboxDocument[]>();
      for (const doc of docs) count += doc.pendingEvents.length;
    }
    return count;
  }

  /**
   * One sweep at a time; a sweep asked for while one runs joins it. A sweep that fails (the database away) is
   * tried again after `retryIntervalMs` until one works: what it looks for (events of a write whose outcome
   * was unknown, or left by a crash) has no other way out when the periodic sweep is off or far away. One
   * warning when sweeps start failing, one line when they work again.
   */
  private sweep(): Promise<number> {
    this.sweeping ??= this.sweepUntilDone()
      .then((published) => {
        if (this.isSweepFailing) this.options.logger?.info('outbox sweep working again');
        this.isSweepFailing = false;
        return published;
      })
      .catch((err: unknown) => {
        if (!this.isSweepFailing) this.options.logger?.warn({ err }, 'outbox sweep failed; retrying until it works');
        this.isSweepFailing = true;
        this.sweepSoon();
        return 0;
      })
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  /** Batch after batch while a batch comes back full (events handed off meanwhile are the hand-off's job). */
  private async sweepUntilDone(): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < 1_000 && !this.isStopped; pass++) {
      const { published, isFull } = await this.sweepBatch();
      total += published;
      if (!isFull || published === 0) break;
    }
    return total;
  }

  /** Reads one batch of documents with pending events per model and delivers them; returns how many went out. */
  private async sweepOnce(): Promise<number> {
    return (await this.sweepBatch()).published;
  }

  private async sweepBatch(): Promise<{ published: number; isFull: boolean }> {
    const batchSize = this.options.batchSize ?? 100;
    let published = 0;
    let isFull = false;
    for (const model of this.models) {
      const docs: OutboxDocument[] = await model.find(HAS_PENDING_EVENTS, { pendingEvents: 1 }).limit(batchSize).lean<OutboxDocument[]>();
      if (docs.length === batchSize) isFull = true;
      const counts = await Promise.all(docs.map((doc) => this.deliverInOrder(model, doc._id, doc.pendingEvents)));
      for (const count of counts) published += count;
    }
    return { published, isFull };
  }

  private retryFailed(): void {
    const due = [...this.retries.values()];
    this.retries.clear();
    for (const { model, id } of due) {
      this.deliverInOrder(model, id, undefined).catch(() => undefined);
    }
  }

  /** Resolves once every delivery started so far has finished. */
  private settled(): Promise<void> {
    return this.deliveries.idle();
  }

  /**
   * Queues a delivery behind the aggregate's earlier ones. `events` undefined means "read the document by
   * id" (a retry). Resolves with the number of events published; never rejects (failures are retried).
   */
  private deliverInOrder(model: OutboxModel, id: Types.ObjectId, events: readonly PendingEvent[] | undefined): Promise<number> {
    const key = `${model.modelName}:${id.toHexString()}`;
    const count = events?.length ?? 0;
    this.inFlight += count;
    const delivery = this.deliveries
      .run(key, () => this.deliver(model, id, events))
      .finally(() => {
        this.inFlight -= count;
      });
    return delivery.then(
      (published) => {
        if (published > 0) this.endOutage();
        return published;
      },
      (err: unknown) => {
        this.failures++;
        this.noteFailure(err, key);
        if (!this.isStopped) this.retries.set(key, { model, id });
        return 0;
      },
    );
  }

  /**
   * One warning when deliveries start failing, one line when they work again: while a server restarts or a
   * stream elects a new leader every delivery fails for seconds, and a warning each would flood the log.
   */
  private noteFailure(err: unknown, aggregate: string): void {
    const now = Date.now();
    if (this.outage) {
      this.outage.failed++;
      this.outage.lastFailureAt = now;
      return;
    }
    this.outage = { since: now, failed: 1, lastFailureAt: now };
    this.options.logger?.warn({ err, aggregate }, 'outbox delivery failed; retrying until the bus takes events again');
  }

  /**
   * A delivery succeeded: the outage is over once nothing has failed for two retry intervals (while a client
   * moves to another server, deliveries on the old connection still time out after new ones went through).
   */
  private endOutage(): void {
    if (!this.outage) return;
    const { since, failed, lastFailureAt } = this.outage;
    if (Date.now() - lastFailureAt < 2 * (this.options.retryIntervalMs ?? 1_000)) return;
    this.outage = undefined;
    this.options.logger?.info({ outageMs: lastFailureAt - since, failedAttempts: failed }, 'outbox delivering again');
  }

  private async deliver(model: OutboxModel, id: Types.ObjectId, handed: readonly PendingEvent[] | undefined): Promise<number> {
    const events = handed ?? (await model.findById(id, { pendingEvents: 1 }).lean<OutboxDocument>())?.pendingEvents ?? [];
    let published = 0;
    for (const event of events) {
      if (this.sent.has(event.messageId)) continue;
      await sendEvent(this.transport, event);
      if (this.options.mirror) await sendEvent(this.options.mirror, event);
      this.remember(event.messageId);
      published++;
    }
    if (events.length > 0) {
      // Exactly the subdocuments we published: an event appended since stays (the server applies the
      // removal atomically to the document as it is then). The driver's own updateOne: the events are
      // already in their stored shape (handed off through `storedShape`, or read from the document).
      const pull = { $pullAll: { pendingEvents: events } } as unknown as mongo.UpdateFilter<Record<string, unknown>>;
      await model.collection.updateOne({ _id: id }, pull);
    }
    if (published > 0) this.options.onPublished?.(published);
    return published;
  }

  private remember(messageId: string): void {
    this.sent.add(messageId);
    if (this.sent.size > REMEMBERED_SENT) {
      const oldest = this.sent.values().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }
}
