import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, Shutdown, ShutdownInProgressError, startHttpServer } from '@ticketing/common/http';
import { waitFor } from '@ticketing/stack/wait-for';
import pino from 'pino';

/** The stop sequence of a service (`Shutdown`) and the HTTP part of it (`closeServer`), in process. */

function capturingLogger() {
  const lines: Array<{ msg: string; [key: string]: unknown }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A Shutdown whose exit is recorded instead of ending the test process. */
function testShutdown(timeoutMs = 5_000) {
  const { logger, lines } = capturingLogger();
  const exits: number[] = [];
  const shutdown = new Shutdown(logger, { timeoutMs, exit: (code) => exits.push(code) });
  return { shutdown, exits, lines };
}

describe('Shutdown', () => {
  it('When stopped, then the steps run last-registered first and the process exits 0', async () => {
    const { shutdown, exits } = testShutdown();
    const ran: string[] = [];
    for (const name of ['mongo', 'event bus', 'outbox relay', 'listeners', 'http']) {
      shutdown.add(name, async () => void ran.push(name));
    }

    await shutdown.stop('SIGTERM');

    expect(ran).toEqual(['http', 'listeners', 'outbox relay', 'event bus', 'mongo']);
    expect(exits).toEqual([0]);
  });

  it('When a step fails, then the later steps still run and the process exits 1', async () => {
    const { shutdown, exits, lines } = testShutdown();
    const ran: string[] = [];
    shutdown.add('mongo', async () => void ran.push('mongo'));
    shutdown.add('event bus', async () => {
      throw new Error('drain failed');
    });
    shutdown.add('http', async () => void ran.push('http'));

    await shutdown.stop('SIGTERM');

    expect(ran).toEqual(['http', 'mongo']);
    expect(exits).toEqual([1]);
    expect(lines.find((l) => l.msg === 'shutdown step failed')).toMatchObject({ step: 'event bus' });
  });

  it('When a step never finishes, then the process exits 1 at the bound, naming the step', async () => {
    const { shutdown, exits, lines } = testShutdown(200);
    shutdown.add('listeners', () => new Promise<void>(() => {}));

    void shutdown.stop('SIGTERM');

    await waitFor(() => exits.length > 0, { description: 'the exit' });
    expect(exits).toEqual([1]);
    expect(lines.find((l) => l.msg === 'shutdown timed out')).toMatchObject({ step: 'listeners', timeoutMs: 200 });
  });

  it('When start-up acquires a resource after a stop began, then it is released too and start-up is told to end', async () => {
    const { shutdown, exits } = testShutdown();
    const ran: string[] = [];
    let releaseMongo!: () => void;
    shutdown.add('mongo', () => new Promise<void>((resolve) => (releaseMongo = resolve)).then(() => void ran.push('mongo')));

    const stopping = shutdown.stop('SIGTERM');
    // Start-up was awaiting the bus connection when the signal came; now it has it.
    expect(() => shutdown.add('event bus', async () => void ran.push('event bus'))).toThrow(ShutdownInProgressError);
    releaseMongo();
    await stopping;

    expect(ran).toEqual(['mongo', 'event bus']);
    expect(exits).toEqual([0]);
  });

  it('When a second SIGTERM or SIGINT arrives during the stop, then it is ignored and the stop runs once', async () => {
    const { shutdown, exits, lines } = testShutdown();
    let runs = 0;
    let release!: () => void;
    shutdown.add('http', () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    const removeHandlers = shutdown.handleSignals();
    try {
      process.emit('SIGINT', 'SIGINT'); // as node emits a real signal
      process.emit('SIGTERM', 'SIGTERM');
      await waitFor(() => release !== undefined, { description: 'the http step to start' });
      release();
      await waitFor(() => exits.length > 0, { description: 'the exit' });
    } finally {
      removeHandlers();
    }

    expect(runs).toBe(1);
    expect(exits).toEqual([0]);
    expect(lines.filter((l) => l.msg === 'shutting down')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'already shutting down; signal ignored')).toMatchObject({ signal: 'SIGTERM' });
  });
});

/** One HTTP/1.1 connection kept alive between requests, like a gateway's or a browser's. */
function keepAliveAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

function get(port: number, agent: http.Agent, path = '/') {
  return new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

describe('closeServer', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = undefined;
  });

  /** A server whose `/slow` requests wait until the test releases them. */
  async function slowServer() {
    const waiting: Array<() => void> = [];
    server = await startHttpServer((req, res) => {
      if (req.url === '/slow') waiting.push(() => res.end('done'));
      else res.end('fast');
    }, 0);
    // Far longer than any test: a close that waited for idle keep-alive connections to time out would hang.
    server.keepAliveTimeout = 60_000;
    return { port: (server.address() as AddressInfo).port, waiting };
  }

  it('When a request is in flight on a kept-alive connection, then it finishes normally, its connection closes with it, and new connections are refused', async () => {
    const { port, waiting } = await slowServer();
    const idleAgent = keepAliveAgent();
    const busyAgent = keepAliveAgent();
    expect((await get(port, idleAgent)).body).toBe('fast'); // leaves an idle kept-alive connection
    const inFlight = get(port, busyAgent, '/slow');
    await waitFor(() => waiting.length === 1, { description: 'the request to reach the server' });

    const closed = closeServer(server as Server);
    await expect(get(port, keepAliveAgent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    waiting[0]();

    expect(await inFlight).toEqual({ status: 200, connection: 'close', body: 'done' });
    await closed;
    expect((server as Server).listening).toBe(false);
    idleAgent.destroy();
    busyAgent.destroy();
  });

  it('When a request is still running after the grace period, then its connection is cut and the close completes', async () => {
    const { port, waiting } = await slowServer();
    const agent = keepAliveAgent();
    const stuck = get(port, agent, '/slow');
    await waitFor(() => waiting.length === 1, { description: 'the request to reach the server' });

    await closeServer(server as Server, 100);

    await expect(stuck).rejects.toMatchObject({ code: 'ECONNRESET' });
    agent.destroy();
  });

  it('When a plain node server is closed, then an idle kept-alive connection does not hold it open', async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 60_000;
    server.listen(0);
    await once(server, 'listening');
    const agent = keepAliveAgent();
    await get((server.address() as AddressInfo).port, agent);

    await closeServer(server);

    expect(server.listening).toBe(false);
    agent.destroy();
  });
});
