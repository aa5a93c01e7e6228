import { updateIfMatches } from '@ticketing/common/mongo';
import { AggregateStore, OutboxRelay, outboxPlugin, type PendingEvent } from '@ticketing/common/outbox';
import { waitFor } from '@ticketing/stack/wait-for';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { model, Schema, Types } from 'mongoose';
import { ticketEvent as event } from './fixtures/ticket-events';

/** An aggregate with an outbox, shaped like the services' tickets. */
interface Counter {
  title: string;
  version: number;
  pendingEvents: PendingEvent[];
}
const counterSchema = new Schema<Counter>({ title: String, version: Number }, { versionKey: false });
counterSchema.plugin(outboxPlugin);
const CounterModel = model<Counter>('ConditionalWriteCounter', counterSchema);

useTestDatabase();

describe('conditional writes on the real server', () => {
  it('When twenty writes conditional on the same version race, then exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const { _id } = await CounterModel.create({ title: 'x', version: 0 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => updateIfMatches(CounterModel, { _id, version: 0 }, { $set: { version: 1, title: `w${i}` } })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.find(Boolean);
      expect(await CounterModel.findById(_id).lean()).toMatchObject({ version: 1, title: winner?.title });
    }
  });

  it('When twenty readers each write conditional on the version they read, then no two writes start from the same version', async () => {
    for (let round = 0; round < 5; round++) {
      const { _id } = await CounterModel.create({ title: 'x', version: 0 });
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const read = await CounterModel.findById(_id).lean();
          if (!read) throw new Error('not found');
          return updateIfMatches(CounterModel, { _id, version: read.version }, { $set: { version: read.version + 1, title: `w${i}` } });
        }),
      );
      // A reader that saw an earlier winner's write may win the next version; none may overwrite a version.
      const written = results.flatMap((doc) => (doc ? [doc.version] : []));
      expect(written.length).toBeGreaterThanOrEqual(1);
      expect(new Set(written).size).toBe(written.length);
      expect((await CounterModel.findById(_id).lean())?.version).toBe(written.length);
    }
  });

  it('When the document was written after it was read, then a write conditional on that read matches nothing', async () => {
    const { _id } = await CounterModel.create({ title: 'x', version: 0 });
    const stale = await CounterModel.findById(_id).lean();
    expect(await updateIfMatches(CounterModel, { _id, version: 0 }, { $set: { version: 1, title: 'first' } })).not.toBeNull();
    expect(await updateIfMatches(CounterModel, { _id, version: stale?.version }, { $set: { version: 1, title: 'second' } })).toBeNull();
    expect(await CounterModel.findById(_id).lean()).toMatchObject({ version: 1, title: 'first' });
  });

  it('When a condition names a nested field that is absent, then the write applies once and a repeat matches nothing', async () => {
    const { _id } = await CounterModel.create({ title: 'x', version: 0 });
    const filter = { _id, version: 0, 'marks.a': { $exists: false } };
    expect(await updateIfMatches(CounterModel, filter, { $set: { version: 1, 'marks.a': 1 } })).not.toBeNull();
    expect(await updateIfMatches(CounterModel, filter, { $set: { version: 1, 'marks.a': 2 } })).toBeNull();
  });

  it('When the relay removes sent events while new ones are appended, then no appended event is lost', async () => {
    const [bus] = await connectIsolated(1);
    try {
      const store = new AggregateStore(CounterModel);
      const relay = new OutboxRelay([CounterModel], bus, { sweepIntervalMs: 0 });
      store.attach(relay);
      const doc = new CounterModel({ title: 'x', version: 0 });
      doc.pendingEvents = [event(doc._id, 0)];
      await store.insert(doc);
      // Each update appends the next version while the relay is publishing and removing the earlier ones.
      for (let version = 1; version <= 30; version++) {
        const updated = await store.update(
          { _id: doc._id, version: version - 1 },
          { $set: { version }, $push: { pendingEvents: event(doc._id, version) } },
        );
        expect(updated?.version).toBe(version);
      }
      await relay.flush();

      const info = await bus.manager.streams.info(bus.streamName);
      expect(info.state.messages).toBe(31);
      expect((await CounterModel.findById(doc._id).lean())?.pendingEvents).toEqual([]);
      // Stored in version order: each aggregate's events go out one after the other.
      const versions: number[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        versions.push((await bus.manager.streams.getMessage(bus.streamName, { seq }))?.json<{ version: number }>().version ?? -1);
      }
      expect(versions).toEqual(Array.from({ length: 31 }, (_, v) => v));
    } finally {
      await closeIsolated([bus]);
    }
  });

  it('When the relay removes the sent events of many aggregates in one write while each keeps appending, then none is lost', async () => {
    const [bus] = await connectIsolated(1);
    try {
      const store = new AggregateStore(CounterModel);
      const relay = new OutboxRelay([CounterModel], bus, { sweepIntervalMs: 0 });
      store.attach(relay);
      const aggregates = 20;
      const versions = 8;
      await Promise.all(
        Array.from({ length: aggregates }, async () => {
          const doc = new CounterModel({ title: 'x', version: 0 });
          doc.pendingEvents = [event(doc._id, 0)];
          await store.insert(doc);
          for (let version = 1; version <= versions; version++) {
            const updated = await store.update(
              { _id: doc._id, version: version - 1 },
              { $set: { version }, $push: { pendingEvents: event(doc._id, version) } },
            );
            expect(updated?.version).toBe(version);
          }
        }),
      );
      await relay.flush();

      expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(aggregates * (versions + 1));
      expect(await relay.pendingCount()).toBe(0);
    } finally {
      await closeIsolated([bus]);
    }
  });
});

describe('the outbox hand-off', () => {
  it('When a store inserts an aggregate, then the attached relay publishes its event with no sweep and removes it from the document', async () => {
    const [bus] = await connectIsolated(1);
    try {
      const store = new AggregateStore(CounterModel);
      const relay = new OutboxRelay([CounterModel], bus, { sweepIntervalMs: 0 });
      const detach = store.attach(relay);
      const doc = new CounterModel({ _id: new Types.ObjectId(), title: 'x', version: 0 });
      doc.pendingEvents = [event(doc._id, 0)];

      await store.insert(doc);
      // No relay.start(): nothing sweeps; only the hand-off can have published it.
      await relay.stop();

      expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(1);
      expect((await CounterModel.findById(doc._id).lean())?.pendingEvents).toEqual([]);
      detach();
    } finally {
      await closeIsolated([bus]);
    }
  });

  it('When a store inserts a plain record whose events have their fields in another order, then the hand-off still removes them once published', async () => {
    const [bus] = await connectIsolated(1);
    try {
      const store = new AggregateStore(CounterModel);
      const relay = new OutboxRelay([CounterModel], bus, { sweepIntervalMs: 0 });
      store.attach(relay);
      const _id = new Types.ObjectId();
      const { subject, messageId, payload } = event(_id, 0);
      // As a caller might build it: another field order, and absent trace fields present as undefined.
      const pendingEvents = [{ payload, messageId, subject, requestId: undefined, traceparent: undefined }];

      const inserted = await store.insert({ _id, title: 'x', version: 0, pendingEvents });
      expect(inserted._id).toBe(_id);
      // Only the hand-off runs (no start, no flush, no stop): wait until it has published and removed.
      await waitFor(() => relay.backlog === 0, { timeoutMs: 5_000, description: 'the hand-off delivered' });

      expect((await bus.manager.streams.info(bus.streamName)).state.messages).toBe(1);
      expect((await CounterModel.findById(_id).lean())?.pendingEvents).toEqual([]);
      await relay.stop();
    } finally {
      await closeIsolated([bus]);
    }
  });
});
