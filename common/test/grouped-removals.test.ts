import type { PendingEvent } from '@ticketing/common/outbox';
import { useTestDatabase } from '@ticketing/tools/testing/mongo';
import { model, Schema, Types } from 'mongoose';
import { GroupedRemovals, type OutboxModel, pendingEventsField } from '../src/events/outbox';
import { ticketEvent as event } from './fixtures/ticket-events';

/** An aggregate with an outbox, shaped like the services' tickets and orders. */
const Aggregate = model(
  'GroupedRemovalAggregate',
  new Schema({ version: Number, pendingEvents: pendingEventsField }, { versionKey: false }),
);

useTestDatabase();

/** The real model, with its collection counting the removal commands sent (`updateOne`, `updateMany <ids>`). */
function countingModel(): { commands: string[]; target: OutboxModel } {
  const commands: string[] = [];
  const collection = new Proxy(Aggregate.collection, {
    get(target, key, receiver) {
      if (key === 'updateOne') {
        return (filter: never, update: never) => {
          commands.push('updateOne');
          return target.updateOne(filter, update);
        };
      }
      if (key === 'updateMany') {
        return (filter: { _id: { $in: unknown[] } }, update: never) => {
          commands.push(`updateMany ${filter._id.$in.length}`);
          return target.updateMany(filter as never, update);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { commands, target: { collection } as unknown as OutboxModel };
}

/** `n` documents with `perDocument` pending events each, stored as the services store them. */
async function commitDocuments(n: number, perDocument = 1): Promise<{ _id: Types.ObjectId; events: PendingEvent[] }[]> {
  const docs = Array.from({ length: n }, () => {
    const _id = new Types.ObjectId();
    return { _id, version: perDocument - 1, events: Array.from({ length: perDocument }, (_, v) => event(_id, v)) };
  });
  await Aggregate.insertMany(docs.map(({ _id, version, events }) => ({ _id, version, pendingEvents: events })));
  // As stored (field order of the schema), which is the shape the relay hands to the removal.
  const stored = await Aggregate.find({ _id: { $in: docs.map((d) => d._id) } }, { pendingEvents: 1 }).lean();
  const byId = new Map(stored.map((d) => [String(d._id), d.pendingEvents as PendingEvent[]]));
  return docs.map(({ _id }) => ({ _id, events: byId.get(String(_id)) ?? [] }));
}

async function pendingOf(id: Types.ObjectId): Promise<string[]> {
  const doc = await Aggregate.findById(id, { pendingEvents: 1 }).lean();
  return (doc?.pendingEvents ?? []).map((e) => e.messageId);
}

describe('GroupedRemovals (the relay removing published events) on the real server', () => {
  it('When removals are asked for in one turn, then they go as one updateMany per 50 documents and every document loses its events', async () => {
    const docs = await commitDocuments(60);
    const { commands, target } = countingModel();
    const removals = new GroupedRemovals(target);

    await Promise.all(docs.map((d) => removals.remove(d._id, d.events)));

    expect(commands).toEqual(['updateMany 50', 'updateMany 10']);
    expect(await Aggregate.countDocuments({ 'pendingEvents.0': { $exists: true } })).toBe(0);
  });

  it('When a document has more events than were published, then only the published ones are removed, in every document of the group', async () => {
    const docs = await commitDocuments(3, 2);
    const { commands, target } = countingModel();
    const removals = new GroupedRemovals(target);

    // Each document's first event was published; its second was appended meanwhile and is not yet out.
    await Promise.all(docs.map((d) => removals.remove(d._id, d.events.slice(0, 1))));

    expect(commands).toEqual(['updateMany 3']);
    for (const d of docs) expect(await pendingOf(d._id)).toEqual([d.events[1]?.messageId]);
  });

  it('When one removal is asked for in a turn, then it goes as updateOne', async () => {
    const [a, b] = await commitDocuments(2);
    const { commands, target } = countingModel();
    const removals = new GroupedRemovals(target);

    if (!a || !b) throw new Error('not committed');
    await removals.remove(a._id, a.events);
    await removals.remove(b._id, b.events);

    expect(commands).toEqual(['updateOne', 'updateOne']);
    expect([await pendingOf(a._id), await pendingOf(b._id)]).toEqual([[], []]);
  });

  it('When the command of a group fails, then each removal is tried alone and only the one the server refuses rejects', async () => {
    const [a] = await commitDocuments(1);
    if (!a) throw new Error('not committed');
    // A document whose pendingEvents is not an array: the server refuses to $pullAll from it.
    const broken = new Types.ObjectId();
    await Aggregate.collection.insertOne({ _id: broken, version: 0, pendingEvents: 'not an array' } as never);
    const { commands, target } = countingModel();
    const removals = new GroupedRemovals(target);

    const outcomes = await Promise.allSettled([removals.remove(a._id, a.events), removals.remove(broken, a.events)]);

    // The group fails as a whole; each removal is then tried alone, and only the refused one rejects.
    expect(commands).toEqual(['updateMany 2', 'updateOne', 'updateOne']);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(await pendingOf(a._id)).toEqual([]);
  });
});
