import type { mongo, Types } from 'mongoose';
import { sendEvent } from '../events/publisher';
import type { EventTransport } from '../events/transport';
import { KeyedQueue } from '../support/keyed-queue';
import type { Logger } from '../support/logger';
import { HAS_PENDING_EVENTS, type OutboxDocument, type OutboxHandOff, type OutboxModel, type PendingEvent } from './pending-events';

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
