import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createGateway } from '@ticketing/launcher/gateway';
import { waitFor } from '@ticketing/stack/wait-for';
import { pathEscapes } from '@ticketing/testkit/path-escapes';
import { signedUpClient } from './client';
import { startTestSystem, type TestSystem } from './system';

/**
 * The local gateway over real sockets: what it forwards and what it does not, how it treats clients that
 * go away and HTTP/1.0 clients; then the whole system's listening addresses and response headers.
 */
describe('the gateway', () => {
  let upstream: http.Server;
  let gateway: http.Server;
  let gatewayPort: number;
  const seen: http.IncomingHttpHeaders[] = [];
  /** The request targets the service received, as it received them. */
  const targets: string[] = [];
  const closedEarly: string[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      targets.push(req.url ?? '');
      if (req.url === '/api/slow-upload') {
        // Never answers: waits for the body, which the client never finishes.
        res.on('close', () => {
          if (!res.writableFinished) closedEarly.push(req.url ?? '');
        });
        req.resume();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'x-internal',
        'x-internal': 'secret',
        'keep-alive': 'timeout=99',
      });
      res.end('{"ok":true}');
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    gateway = createGateway([{ prefix: '/api', port: (upstream.address() as AddressInfo).port }]);
    gateway.listen(0, '127.0.0.1');
    await once(gateway, 'listening');
    gatewayPort = (gateway.address() as AddressInfo).port;
  });

  afterAll(() => {
    for (const server of [gateway, upstream]) {
      server.closeAllConnections();
      server.close();
    }
  });

  /** Sends raw bytes and resolves with everything received until the gateway closes the connection. */
  function raw(request: string, timeoutMs = 3_000): Promise<{ text: string; closedByServer: boolean }> {
    return new Promise((resolve) => {
      const socket = net.connect(gatewayPort, '127.0.0.1');
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, closedByServer: false });
      }, timeoutMs);
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ text, closedByServer: true });
      });
      socket.write(request);
    });
  }

  /** GET `target` as written, on a connection of its own. */
  const get = async (target: string) => (await raw(`GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`)).text;

  it('When a request carries hop-by-hop headers, then none reaches the service, and none of the answer’s reaches the client', async () => {
    seen.length = 0;
    const { text } = await raw(
      'GET /api/x HTTP/1.1\r\nHost: a\r\nConnection: close, x-secret\r\nX-Secret: 1\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nKeep-Alive: timeout=9\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n',
    );
    const headers = seen[0] ?? {};
    for (const name of ['x-secret', 'te', 'proxy-authorization', 'keep-alive']) expect(headers[name]).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1'); // from the connection, not the client's claim
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).not.toMatch(/x-internal|keep-alive: timeout=99/);
  });

  it('When an HTTP/1.0 client asks, then the answer says Connection: close and the connection is closed after it', async () => {
    const { text, closedByServer } = await raw('GET /api/x HTTP/1.0\r\nHost: a\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text).toContain('{"ok":true}');
    expect(closedByServer).toBe(true);
  });

  it('When a path could mean another place once resolved or decoded, then the gateway answers 400 and nothing reaches the service', async () => {
    const refused = [...pathEscapes('/api/x').map(([, target]) => target), '/api/x/..', '/api/x/.', 'http://a/api/x', '*'];
    for (const target of refused) {
      seen.length = 0;
      const [head = '', body = ''] = (await get(target)).split('\r\n\r\n');
      expect({ target, status: head.split('\r\n')[0], body: JSON.parse(body), reached: seen.length }).toEqual({
        target,
        status: 'HTTP/1.1 400 Bad Request',
        body: { errors: [{ message: expect.stringMatching(/^Invalid path: /) }] },
        reached: 0,
      });
    }
  });

  it('When a path has dots inside segments, escapes of other characters or dot-segments only in its query, then it is forwarded', async () => {
    const forwarded = [
      '/api/x/a.b/..c/d..',
      '/api/x/%7B%22%24ne%22%3Anull%7D',
      '/api/x/id%00',
      "/api/x/-._~!$&'()*+,=:@",
      '/api/x?next=/../../metrics;a\\b',
    ];
    for (const target of forwarded) {
      targets.length = 0;
      const text = await get(target);
      // …and the service receives the very path the gateway checked.
      expect({ status: text.split('\r\n')[0], received: targets }).toEqual({ status: 'HTTP/1.1 200 OK', received: [target] });
    }
  });

  it('When a client goes away in the middle of an upload, then the request to the service is closed at once', async () => {
    closedEarly.length = 0;
    const socket = net.connect(gatewayPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /api/slow-upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n');
    socket.write(Buffer.alloc(1000));
    await waitFor(() => seen.some((h) => h['content-length'] === '1000000'), { description: 'the upload to reach the service' });
    socket.destroy();
    await waitFor(() => closedEarly.includes('/api/slow-upload'), { description: 'the upstream request to close', timeoutMs: 2_000 });
  });
});

describe('the system as npm start runs it', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  }, 60_000);

  afterAll(async () => {
    await system?.shutdown();
  });

  /** Ports listening on TCP (IPv4 and IPv6) with the address they are bound to, from the kernel's table. */
  function listeningAddresses(): Map<number, string[]> {
    const byPort = new Map<number, string[]>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (state !== '0A' || !local) continue; // 0A: LISTEN
        const [address, port] = local.split(':');
        byPort.set(Number.parseInt(port, 16), [...(byPort.get(Number.parseInt(port, 16)) ?? []), address]);
      }
    }
    return byPort;
  }

  it('When the gateway and the services listen, then only on loopback', () => {
    const listening = listeningAddresses();
    const ports = [system.gatewayUrl, ...Object.values(system.urls)].map((url) => Number(new URL(url).port));
    for (const port of ports) expect({ port, addresses: listening.get(port) }).toEqual({ port, addresses: ['0100007F'] }); // 127.0.0.1
  });

  it('When the API answers, then with the standard security headers, and a signed-in answer is never stored', async () => {
    const anonymous = await fetch(`${system.gatewayUrl}/api/tickets`);
    expect(anonymous.headers.get('x-content-type-options')).toBe('nosniff');
    expect(anonymous.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(anonymous.headers.get('content-security-policy')).toContain("default-src 'self'");

    const client = await signedUpClient(system.gatewayUrl, 'headers');
    const signedUp = await fetch(`${system.gatewayUrl}/api/users/currentuser`, {
      headers: { cookie: (client as unknown as { cookie: string }).cookie },
    });
    expect(signedUp.headers.get('cache-control')).toBe('no-store');
    const signin = await fetch(`${system.gatewayUrl}/api/users/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password here' }),
    });
    expect(signin.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
