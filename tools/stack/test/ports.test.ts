import net from 'node:net';
import { freePort } from '../src/ports';

/** The ports the stack gives its servers: distinct, bindable, and outside the kernel's ephemeral range. */
describe('freePort', () => {
  it('When 40 ports are asked for at once, then each is different, below the ephemeral range, and can be bound', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(40);
    for (const port of ports) expect(port).toBeLessThan(32_768);
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer();
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
