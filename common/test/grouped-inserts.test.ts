import { isDuplicateKeyError } from '@ticketing/common/errors';
import { GroupedInserts, type InsertTarget } from '@ticketing/common/mongo';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { model, Schema, Types } from 'mongoose';

interface Seat {
  _id: Types.ObjectId;
  seat: string;
}
const SeatModel = model<Seat>('GroupedInsertSeat', new Schema<Seat>({ seat: { type: String, unique: true } }));

useTestDatabase();

beforeEach(() => SeatModel.init());

/** The real collection, counting the commands sent to it. */
function countingCollection() {
  const commands: string[] = [];
  const collection = SeatModel.collection as unknown as InsertTarget<Seat>;
  const target: InsertTarget<Seat> = {
    insertOne: (doc) => {
      commands.push('insertOne');
      return collection.insertOne(doc);
    },
    insertMany: (docs, options) => {
      commands.push(`insertMany ${docs.length}`);
      return collection.insertMany(docs, options);
    },
  };
  return { commands, inserts: new GroupedInserts(target) };
}

const seat = (name: string): Seat => ({ _id: new Types.ObjectId(), seat: name });

describe('GroupedInserts on the real server', () => {
  it('When inserts are asked for in one turn, then they go as one command and each caller learns it was written', async () => {
    const { commands, inserts } = countingCollection();
    const seats = ['A1', 'A2', 'A3', 'A4'].map(seat);

    await Promise.all(seats.map((s) => inserts.insert(s)));

    expect(commands).toEqual(['insertMany 4']);
    expect((await SeatModel.find().sort({ seat: 1 }).lean()).map((s) => s.seat)).toEqual(['A1', 'A2', 'A3', 'A4']);
  });

  it('When one document of a group is refused (a duplicate key), then only its caller gets the error, and the others are written', async () => {
    const { inserts } = countingCollection();
    await inserts.insert(seat('B1'));

    const outcomes = await Promise.allSettled([inserts.insert(seat('B2')), inserts.insert(seat('B1')), inserts.insert(seat('B3'))]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isDuplicateKeyError((outcomes[1] as PromiseRejectedResult).reason)).toBe(true);
    expect((await SeatModel.find().sort({ seat: 1 }).lean()).map((s) => s.seat)).toEqual(['B1', 'B2', 'B3']);
  });

  it('When twenty inserts race for one unique key, then exactly one is written and nineteen are refused as duplicates', async () => {
    const { inserts } = countingCollection();

    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => inserts.insert(seat('C1'))));

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused.every((o) => isDuplicateKeyError(o.reason))).toBe(true);
    expect(await SeatModel.countDocuments({ seat: 'C1' })).toBe(1);
  });

  it('When inserts are asked for in separate turns, then each goes alone as insertOne', async () => {
    const { commands, inserts } = countingCollection();

    await inserts.insert(seat('D1'));
    await inserts.insert(seat('D2'));

    expect(commands).toEqual(['insertOne', 'insertOne']);
    expect(await SeatModel.countDocuments()).toBe(2);
  });

  it('When the command fails as a whole, then every insert of the group rejects with that error', async () => {
    const failing: InsertTarget<Seat> = {
      insertOne: () => Promise.reject(new Error('connection lost')),
      insertMany: () => Promise.reject(new Error('connection lost')),
    };
    const inserts = new GroupedInserts(failing);

    const outcomes = await Promise.allSettled([inserts.insert(seat('E1')), inserts.insert(seat('E2'))]);

    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'written'))).toEqual([
      'connection lost',
      'connection lost',
    ]);
  });

  it("When a group's answer does not account for every document, then no caller is told its document was a duplicate", async () => {
    // The driver copies the first refusal's code (here a duplicate key) onto the error of the whole command.
    const bulkError = Object.assign(new Error('E11000 duplicate key'), {
      name: 'MongoBulkWriteError',
      code: 11000,
      insertedCount: 0,
      writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000 duplicate key' }],
    });
    const inconsistent: InsertTarget<Seat> = {
      insertOne: () => Promise.reject(bulkError),
      insertMany: () => Promise.reject(bulkError),
    };
    const inserts = new GroupedInserts(inconsistent);

    const outcomes = await Promise.allSettled([inserts.insert(seat('F1')), inserts.insert(seat('F2'))]);

    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(isDuplicateKeyError((outcome as PromiseRejectedResult).reason)).toBe(false);
    }
  });
});
