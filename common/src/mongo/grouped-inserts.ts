// The driver's types through mongoose (`mongoose.mongo`): the peer that brings the driver, so no second copy to drift.
import type { mongo } from 'mongoose';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { endOfTurn } from '../support/end-of-turn';

/** What it needs of a collection: the driver's, or mongoose's `Model.collection` (which waits for the connection). */
export interface InsertTarget<T> {
  insertOne(doc: T): Promise<unknown>;
  insertMany(docs: T[], options: { ordered: false }): Promise<unknown>;
}

interface Group<T> {
  docs: T[];
  /** Per document: called with nothing once it is written, with the error otherwise. */
  settle: ((err?: unknown) => void)[];
}

/**
 * Inserts into one collection, gathered over a turn of the event loop and sent as one unordered
 * `insertMany` (a group commit): the database parses, plans and commits one command instead of several, and
 * each insert is one driver command less in the service. A lone insert goes as `insertOne`.
 *
 * Each caller learns the outcome of its own document: the ones the server refused (a duplicate key) reject
 * with that document's error, the others resolve. When the command fails as a whole (the connection lost),
 * or its answer does not account for every document (inserted plus refused), every insert of the group
 * rejects: its outcome is unknown, as for a lone insert whose reply was lost.
 */
export class GroupedInserts<T> {
  private group?: Group<T>;

  constructor(private readonly collection: InsertTarget<T>) {}

  insert(doc: T): Promise<void> {
    if (!this.group) {
      const group: Group<T> = { docs: [], settle: [] };
      this.group = group;
      void endOfTurn().then(() => {
        if (this.group === group) this.group = undefined;
        return this.send(group);
      });
    }
    const { docs, settle } = this.group;
    return new Promise<void>((resolve, reject) => {
      docs.push(doc);
      settle.push((err) => (err === undefined ? resolve() : reject(err)));
    });
  }

  private async send({ docs, settle }: Group<T>): Promise<void> {
    if (docs.length === 1) {
      await this.collection.insertOne(docs[0]).then(
        () => settle[0](),
        (err: unknown) => settle[0](err ?? new Error('insert failed')),
      );
      return;
    }
    try {
      const result = (await this.collection.insertMany(docs, { ordered: false })) as { insertedCount?: number } | undefined;
      // Every document must be accounted for; otherwise their outcome is unknown and each caller is told so.
      const unknown = result?.insertedCount === docs.length ? undefined : new Error('insert outcome unknown');
      for (const done of settle) done(unknown);
    } catch (err) {
      // By name: mongoose may bring its own copy of the driver, whose error classes are not ours.
      const bulk = (err as { name?: unknown })?.name === 'MongoBulkWriteError' ? (err as mongo.MongoBulkWriteError) : undefined;
      const refused = bulk && !bulk.writeConcernError ? writeErrorsByIndex(bulk) : undefined;
      // The server answered for each document only if the inserted and the refused add up to the group.
      if (!refused || bulk?.insertedCount !== docs.length - refused.size) {
        // The driver copies the first refusal's code onto the whole error: a caller that read a duplicate key
        // there would take its unwritten document for one written before. Such an error goes without a code.
        const whole = isDuplicateKeyError(err)
          ? new Error(`insert outcome unknown: ${(err as Error).message}`, { cause: err })
          : (err ?? new Error('insert failed'));
        for (const done of settle) done(whole);
        return;
      }
      settle.forEach((done, index) => {
        const own = refused.get(index);
        done(own ? Object.assign(new Error(own.errmsg ?? 'insert refused'), { code: own.code }) : undefined);
      });
    }
  }
}

/** The documents the server refused, by their index in the group (unordered: the others were inserted). */
function writeErrorsByIndex(err: mongo.MongoBulkWriteError): Map<number, { code?: number; errmsg?: string }> {
  const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return new Map(writeErrors.map((e) => [e.index, { code: e.code, errmsg: e.errmsg }]));
}
