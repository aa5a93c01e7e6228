import type { Model, Types } from 'mongoose';
import { endOfTurn } from '../support/end-of-turn';
import { findById } from './find-by-id';

interface Waiting<D> {
  id: Types.ObjectId;
  /** `id` as hex, made once: it names the id in the group and finds its document in the answer. */
  key: string;
  resolve(doc: D | null): void;
  reject(err: unknown): void;
}

/** At most this many ids per `find`: a busy service's turn rarely gathers more; a larger one goes as several. */
const MAX_GROUP = 100;

/**
 * Reads by id from one collection, gathered over a turn of the event loop and sent as one
 * `find({ _id: { $in: ids } })` (the DataLoader pattern, without its cache): under concurrent requests a
 * busy service answers several reads per turn, and each is one driver command less in the service and one
 * command less for the database to parse and plan. A lone read goes as `findById` (one `find` command,
 * `limit: 1`). Documents come back as stored, with the fields in `projection` (and `_id`); an id with no
 * document gives null.
 *
 * Each read sees the collection as it is when its group is sent: later than when it was asked for, never
 * earlier, so a read that starts after a write has been acknowledged sees that write. When the command
 * fails, every read of its group rejects with the error. `$in` on `_id` is answered from the `_id` index.
 */
export class GroupedReads<D extends { _id: Types.ObjectId }> {
  private waiting: Waiting<D>[] = [];

  constructor(
    private readonly model: Pick<Model<unknown>, 'db' | 'collection'>,
    private readonly projection: Record<string, 0 | 1>,
  ) {}

  read(id: Types.ObjectId): Promise<D | null> {
    return new Promise<D | null>((resolve, reject) => {
      this.waiting.push({ id, key: id.toHexString(), resolve, reject });
      if (this.waiting.length === 1) void endOfTurn().then(() => this.sendAll());
    });
  }

  private sendAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let start = 0; start < waiting.length; start += MAX_GROUP) void this.send(waiting.slice(start, start + MAX_GROUP));
  }

  private async send(group: Waiting<D>[]): Promise<void> {
    // One read, or no connection yet (findById waits for it like any mongoose query): each its own command.
    if (group.length === 1 || !this.model.db.db) {
      for (const w of group) void findById<D>(this.model, w.id, this.projection).then(w.resolve, w.reject);
      return;
    }
    try {
      const ids = [...new Map(group.map((w) => [w.key, w.id])).values()];
      // At most one document per id: with that limit the first batch holds every match and the server
      // closes the cursor, so this is one command (no getMore, no killCursors).
      const docs = (await this.model.collection
        .find({ _id: { $in: ids } }, { projection: this.projection, limit: ids.length, batchSize: ids.length })
        .toArray()) as unknown as D[];
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      for (const w of group) w.resolve(byId.get(w.key) ?? null);
    } catch (err) {
      for (const w of group) w.reject(err);
    }
  }
}
