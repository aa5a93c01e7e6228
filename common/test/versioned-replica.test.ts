import { CONFLICT, CONFLICT_ATTEMPTS, versionedReplica, whileConflicting } from '@ticketing/common/mongo';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { model, Schema, Types } from 'mongoose';

/** A replica of another service's aggregate, shaped like orders' ticket replica. */
interface Replica {
  title: string;
  price: number;
  version: number;
  /** A field of the replica's own, which events never carry. */
  placements?: number;
}
const ReplicaModel = model<Replica>(
  'VersionedReplicaTest',
  new Schema<Replica>({ title: String, price: Number, version: Number, placements: Number }, { versionKey: false }),
);
const apply = versionedReplica<Pick<Replica, 'title' | 'price'>>({ name: 'test replica', model: ReplicaModel });

useTestDatabase();

describe('versionedReplica on the real server', () => {
  it('When version 0 arrives twice, then the replica is created once and the second is stale', async () => {
    const id = new Types.ObjectId().toHexString();
    expect(await apply(id, 0, { title: 'a', price: 10 })).toBe('applied');
    expect(await apply(id, 0, { title: 'changed', price: 99 })).toBe('stale');
    expect(await ReplicaModel.findById(id).lean()).toMatchObject({ title: 'a', price: 10, version: 0 });
  });

  it('When versions arrive out of order, then a later one is a gap until its predecessor is applied, and an older one is stale', async () => {
    const id = new Types.ObjectId().toHexString();
    expect(await apply(id, 1, { title: 'b', price: 11 })).toBe('gap'); // nothing yet
    expect(await apply(id, 0, { title: 'a', price: 10 })).toBe('applied');
    expect(await apply(id, 2, { title: 'c', price: 12 })).toBe('gap');
    expect(await apply(id, 1, { title: 'b', price: 11 })).toBe('applied');
    expect(await apply(id, 2, { title: 'c', price: 12 })).toBe('applied');
    expect(await apply(id, 1, { title: 'b', price: 11 })).toBe('stale');
    expect(await ReplicaModel.findById(id).lean()).toMatchObject({ title: 'c', price: 12, version: 2 });
  });

  it("When an event is applied, then the replica's own fields stay as they were", async () => {
    const id = new Types.ObjectId();
    await ReplicaModel.collection.insertOne({ _id: id, title: 'a', price: 10, version: 0, placements: 3 });
    expect(await apply(id.toHexString(), 1, { title: 'b', price: 11 })).toBe('applied');
    expect(await ReplicaModel.findById(id).lean()).toMatchObject({ title: 'b', version: 1, placements: 3 });
  });

  it('When ten deliveries of the next version race, then exactly one applies it and the others find it stale', async () => {
    const id = new Types.ObjectId().toHexString();
    await apply(id, 0, { title: 'a', price: 10 });
    const results = await Promise.all(Array.from({ length: 10 }, () => apply(id, 1, { title: 'b', price: 11 })));
    expect(results.filter((r) => r === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r === 'stale')).toHaveLength(9);
  });
});

describe('whileConflicting', () => {
  it('When a step loses its write twice, then it is run again until it decides', async () => {
    let runs = 0;
    const result = await whileConflicting(
      async () => (++runs < 3 ? CONFLICT : 'decided'),
      () => new Error('exhausted'),
    );
    expect(result).toBe('decided');
    expect(runs).toBe(3);
  });

  it(`When every attempt loses its write, then it gives up after ${CONFLICT_ATTEMPTS} with the caller's error`, async () => {
    let runs = 0;
    await expect(
      whileConflicting(
        async () => {
          runs++;
          return CONFLICT;
        },
        () => new Error('kept changing'),
      ),
    ).rejects.toThrow('kept changing');
    expect(runs).toBe(CONFLICT_ATTEMPTS);
  });

  it('When a step throws, then the loop ends with that error and runs no further attempt', async () => {
    let runs = 0;
    await expect(
      whileConflicting(
        async () => {
          runs++;
          throw new Error('not found');
        },
        () => new Error('exhausted'),
      ),
    ).rejects.toThrow('not found');
    expect(runs).toBe(1);
  });
});
