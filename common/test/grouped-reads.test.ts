import { GroupedReads } from '@ticketing/common/mongo';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import { type Model, model, Schema, Types } from 'mongoose';

interface Show {
  _id: Types.ObjectId;
  title: string;
  secret: string;
}
const ShowModel = model<Show>('GroupedReadShow', new Schema<Show>({ title: String, secret: String }));

useTestDatabase();

/** The real model, counting the grouped `find`s and the lone reads (`find` commands with `limit: 1`) sent for it. */
function countingModel(): { commands: string[]; target: Pick<Model<unknown>, 'db' | 'collection'> } {
  const commands: string[] = [];
  const collection = new Proxy(ShowModel.collection, {
    get(target, key, receiver) {
      if (key === 'find') {
        return (filter: { _id: { $in: unknown[] } }, options: unknown) => {
          commands.push(`find $in ${filter._id.$in.length}`);
          return target.find(filter as never, options as never);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  const realDb = ShowModel.db.db;
  if (!realDb) throw new Error('not connected');
  const db = new Proxy(realDb, {
    get(target, key, receiver) {
      if (key === 'command') {
        return (command: { limit?: number }) => {
          commands.push(`find limit ${command.limit}`);
          return target.command(command as never);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { commands, target: { collection, db: { db } } as unknown as Pick<Model<unknown>, 'db' | 'collection'> };
}

async function insertShows(n: number): Promise<Show[]> {
  const shows = Array.from({ length: n }, (_, i) => ({ _id: new Types.ObjectId(), title: `show ${i}`, secret: `s${i}` }));
  await ShowModel.insertMany(shows);
  return shows;
}

describe('GroupedReads on the real server', () => {
  it('When reads are asked for in one turn, then they go as one find and each caller gets its own document, projected', async () => {
    const shows = await insertShows(5);
    const { commands, target } = countingModel();
    const reads = new GroupedReads<Show>(target, { title: 1 });

    const got = await Promise.all(shows.map((s) => reads.read(s._id)));

    expect(commands).toEqual(['find $in 5']);
    expect(got.map((doc) => doc?.title)).toEqual(shows.map((s) => s.title));
    expect(got.map((doc) => String(doc?._id))).toEqual(shows.map((s) => String(s._id)));
    expect(got.every((doc) => doc !== null && !('secret' in doc))).toBe(true);
  });

  it('When a group asks for an id twice and for one with no document, then both callers of the id get it and the other gets null', async () => {
    const [a, b] = (await insertShows(2)) as [Show, Show];
    const { commands, target } = countingModel();
    const reads = new GroupedReads<Show>(target, { title: 1 });
    const missing = new Types.ObjectId();

    const got = await Promise.all([reads.read(a._id), reads.read(missing), reads.read(a._id), reads.read(b._id)]);

    expect(commands).toEqual(['find $in 3']);
    expect(got.map((doc) => doc?.title ?? null)).toEqual([a.title, null, a.title, b.title]);
  });

  it('When one read is asked for in a turn, then it goes as a find with limit 1', async () => {
    const [a] = (await insertShows(1)) as [Show];
    const { commands, target } = countingModel();
    const reads = new GroupedReads<Show>(target, { title: 1 });

    expect((await reads.read(a._id))?.title).toBe(a.title);
    expect(await reads.read(new Types.ObjectId())).toBeNull();
    expect(commands).toEqual(['find limit 1', 'find limit 1']);
  });

  it('When more than a hundred reads come in one turn, then they go as several finds and every caller is answered', async () => {
    const shows = await insertShows(250);
    const { commands, target } = countingModel();
    const reads = new GroupedReads<Show>(target, { title: 1 });

    const got = await Promise.all(shows.map((s) => reads.read(s._id)));

    expect(commands).toEqual(['find $in 100', 'find $in 100', 'find $in 50']);
    expect(got.map((doc) => doc?.title)).toEqual(shows.map((s) => s.title));
  });

  it('When the command of a group fails, then every read of the group rejects with its error', async () => {
    const [a, b] = (await insertShows(2)) as [Show, Show];
    const { target } = countingModel();
    // Inclusion and exclusion in one projection: the server refuses the find.
    const reads = new GroupedReads<Show>(target, { title: 1, secret: 0 });

    const outcomes = await Promise.allSettled([reads.read(a._id), reads.read(b._id)]);

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
