import net from 'node:net';
import { connectMongo, type MongoConnection } from '@ticketing/common/mongo';
import { uniqueDatabaseUrl } from '@ticketing/testkit/mongo';
import mongoose from 'mongoose';

/**
 * A TCP relay in front of the real database server that can go silent: it keeps every connection open but
 * forwards nothing more either way, as a server frozen or cut off mid-command does.
 */
async function silenceableRelay(target: URL): Promise<{ port: number; silence(on: boolean): void; close(): Promise<void> }> {
  const [host, port] = [target.hostname, Number(target.port)];
  let isSilent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk) => isSilent || upstream.write(chunk));
    upstream.on('data', (chunk) => isSilent || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence: (on) => {
      isSilent = on;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('connectMongo', () => {
  let relay: Awaited<ReturnType<typeof silenceableRelay>>;
  let connection: MongoConnection;
  const Thing = mongoose.model('Thing', new mongoose.Schema({ name: String }));

  beforeAll(async () => {
    const url = new URL(uniqueDatabaseUrl());
    relay = await silenceableRelay(url);
    url.port = String(relay.port);
    connection = await connectMongo(url.toString(), undefined, { socketTimeoutMs: 1_000 });
  });

  afterAll(async () => {
    relay.silence(false);
    await mongoose.connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await relay.close();
  });

  it('When the server stops answering mid-command, then the command fails after the socket timeout, and commands work again once it answers', async () => {
    await Thing.create({ name: 'before' });

    relay.silence(true);
    const startedAt = Date.now();
    await expect(Thing.findOne({ name: 'before' })).rejects.toThrow(/timed out/);
    const waitedMs = Date.now() - startedAt;
    expect(waitedMs).toBeGreaterThanOrEqual(900);
    expect(waitedMs).toBeLessThan(5_000);

    relay.silence(false);
    expect((await Thing.findOne({ name: 'before' }).lean())?.name).toBe('before');
  });
});
