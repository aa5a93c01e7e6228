import net from 'node:net';

/** Ports this process handed out: the servers started side by side must not be given the same one. */
const handedOut = new Set<number>();

/**
 * Where our ports come from: below Linux's ephemeral range (32768 and up, from which the kernel picks for
 * `listen(0)` and for outgoing connections), in a slice of its own for each process. Several processes
 * (jest workers, the bench) start servers at the same moment; with ports from the shared ephemeral range, one
 * process could pick a port another had just probed and not bound yet, and a readiness probe could then be
 * answered by the other process's server.
 */
const RANGE_START = 20_000;
const SLICE = 250;
const SLICES = 48;
const sliceStart = RANGE_START + (process.pid % SLICES) * SLICE;

/**
 * A TCP port of this process's slice that was free a moment ago on 127.0.0.1 and was not handed out before by
 * this process (a probe's port is free again once it closed, before the server it was meant for has bound it).
 */
export async function freePort(): Promise<number> {
  const offset = Math.floor(Math.random() * SLICE);
  for (let i = 0; i < SLICE; i++) {
    const port = sliceStart + ((offset + i) % SLICE);
    if (handedOut.has(port)) continue;
    // Reserved before the probe: calls made side by side (Promise.all) never get the same port.
    handedOut.add(port);
    if ((await probe(port)) !== undefined) return port;
    handedOut.delete(port);
  }
  // The slice is used up: any port the kernel offers.
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probe(0);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found that was not handed out already');
}

/** Listens on `port` (0: one the kernel picks) and closes again; the port it got, or undefined if it was taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
