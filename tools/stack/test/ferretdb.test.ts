import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startOwnMongo } from '../src/mongo';

/** The FerretDB the stack starts when no MongoDB can be had: FerretDB 2 on its own PostgreSQL with DocumentDB. */
describe('the stack FerretDB', () => {
  it('When the stack starts FerretDB, then it runs on its own PostgreSQL with DocumentDB, answers, and a restart of both keeps the data', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-test-'));
    const kind = process.env.STACK_MONGO_KIND;
    delete process.env.STACK_MONGO_KIND;
    const server = await startOwnMongo(dir, () => {}).finally(() => {
      if (kind !== undefined) process.env.STACK_MONGO_KIND = kind;
    });
    try {
      expect(server.kind).toBe('ferretdb');
      expect(server.description).toMatch(/^FerretDB 2\.5\.0 on PostgreSQL 15\.\d+ \+ DocumentDB 0\.106\.0$/);
      const [ferretdb, postgres] = [server.process?.pid, server.postgres?.pid];
      if (!ferretdb || !postgres) throw new Error('the stack owns no FerretDB or PostgreSQL process');
      // The cluster lives in the stack's folder (PostgreSQL's own process title names its data folder).
      expect(readFileSync(`/proc/${postgres}/cmdline`, 'utf8').split('\0')).toContain(path.join(dir, 'postgresql'));

      const client = await MongoClient.connect(server.url);
      try {
        const tickets = client.db('stack').collection('tickets');
        const { insertedId } = await tickets.insertOne({ title: 'concert', price: 20 });
        expect(await tickets.findOne({ _id: insertedId })).toMatchObject({ title: 'concert', price: 20 });

        await server.restart?.();
        expect(server.process?.pid).not.toBe(ferretdb);
        expect(server.postgres?.pid).not.toBe(postgres);
        expect(await tickets.findOne({ _id: insertedId })).toMatchObject({ title: 'concert', price: 20 });
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(server.process?.isRunning).toBe(false);
    expect(server.postgres?.isRunning).toBe(false);
  }, 60_000);
});
