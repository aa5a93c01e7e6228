import { Document, type FilterQuery, type HydratedDocument, type Model, type Types, type UpdateQuery } from 'mongoose';
import { updateIfMatches } from '../mongo/conditional-write';
import { GroupedInserts, type InsertTarget } from '../mongo/grouped-inserts';
import { type OutboxHandOff, type OutboxSource, type PendingEvent, storedShape } from './pending-events';

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
