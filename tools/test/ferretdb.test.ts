import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOwnMongo } from '@ticketing/tools/stack/mongo';
import { MongoClient } from 'mongodb';

/** The FerretDB the stack starts: Go's collector tuned (GOGC), and answering queries. */
describe('the stack FerretDB', () => {
  it('When the stack starts FerretDB, then it runs with GOGC=400 unless GOGC is set, and answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-test-'));
    const kind = process.env.STACK_MONGO_KIND;
    delete process.env.STACK_MONGO_KIND;
    const server = await startOwnMongo(dir, () => {}).finally(() => {
      if (kind !== undefined) process.env.STACK_MONGO_KIND = kind;
    });
    try {
      expect(server.kind).toBe('ferretdb');
      const pid = server.process?.pid;
      expect(pid).toBeDefined();
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain(`GOGC=${process.env.GOGC ?? '400'}`);
      const client = await MongoClient.connect(server.url);
      try {
        const tickets = client.db('gogc').collection('tickets');
        const { insertedId } = await tickets.insertOne({ title: 'concert', price: 20 });
        expect(await tickets.findOne({ _id: insertedId })).toMatchObject({ title: 'concert', price: 20 });
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
