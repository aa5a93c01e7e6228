import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServiceApp, createLogger, ServiceMetrics } from '@ticketing/common/http';
import { SERVICES } from '@ticketing/launcher/system';
import { freePort } from '@ticketing/stack/ports';
import { CLIENT_ESCAPES, LEAKED, pathEscapes } from '@ticketing/testkit/path-escapes';
import { type IIngress, loadManifests } from './manifests';
import { clientSite, type RunningNginx, startNginx } from './nginx';

/**
 * base/ingress.yaml as ingress-nginx serves it, in a real nginx (Debian's): the locations the controller makes
 * of its paths (a Prefix path `/p` becomes `location /p/` and `location = /p`, `/` stays `/`; see
 * `updateServerLocations` in ingress-nginx) and its `proxy_pass http://upstream;` without a URI, so the
 * request's path goes on as the client sent it. Behind it, each service is its real express app (common's
 * `buildServiceApp`, which serves /metrics on the API's port) and the client is client/nginx.conf. What this
 * shows is what keeps the metrics off the public origin in the cluster.
 */

interface Received {
  service: string;
  url: string;
}

interface Answer {
  status: number;
  body: string;
  /** Which service received the request, if one did (otherwise the client did, or nginx answered itself). */
  service?: string;
}

const INGRESS = loadManifests('infra/k8s/base/ingress.yaml').map(({ object }) => object as unknown as IIngress);

/** The server block ingress-nginx would make of `ingress`, on `port`, with an upstream per Service. */
function ingressServer(ingress: IIngress, port: number, upstreams: Record<string, number>): string {
  const blocks = Object.entries(upstreams).map(([name, upstream]) => `upstream ${name} { server 127.0.0.1:${upstream}; }`);
  const locations: string[] = [];
  for (const rule of ingress.spec?.rules ?? []) {
    for (const { path = '/', pathType, backend } of rule.http?.paths ?? []) {
      if (pathType !== 'Prefix') throw new Error(`only Prefix paths are modelled here, not ${pathType} (${path})`);
      const proxy = `{ proxy_http_version 1.1; proxy_pass http://${backend.service?.name}; }`;
      if (path === '/') locations.push(`location / ${proxy}`);
      else locations.push(`location ${path}/ ${proxy}`, `location = ${path} ${proxy}`);
    }
  }
  return [...blocks, `server { listen 127.0.0.1:${port}; server_name ticketing.dev; ${locations.join('\n')} }`].join('\n');
}

/** GET `target` byte for byte (no URL parsing on the way), as a browser or curl --path-as-is would not. */
function getRaw(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: target, headers: { host: 'ticketing.dev' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('the ingress as ingress-nginx serves it', () => {
  const received: Received[] = [];
  const services: http.Server[] = [];
  let nginx: RunningNginx | undefined;
  let port: number;

  async function ask(target: string): Promise<Answer> {
    received.length = 0;
    const { status, body } = await getRaw(port, target);
    return { status, body, ...(received.length > 0 ? { service: received.map((r) => r.service).join() } : {}) };
  }

  beforeAll(async () => {
    const upstreams: Record<string, number> = {};
    for (const { name, prefix } of SERVICES) {
      const app = buildServiceApp({
        jwtKey: 'ingress-paths-test',
        logger: createLogger(name, 'silent'),
        metrics: new ServiceMetrics(name),
        prefix,
        health: { ready: () => true },
        routers: [],
      });
      const server = http.createServer((req, res) => {
        received.push({ service: name, url: req.url ?? '' });
        app(req, res);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      services.push(server);
      upstreams[`${name}-srv`] = (server.address() as AddressInfo).port;
    }
    port = await freePort();
    const clientPort = await freePort();
    upstreams['client-srv'] = clientPort;
    const [ingress] = INGRESS;
    nginx = await startNginx(
      'ingress-nginx',
      (dir) => `${ingressServer(ingress, port, upstreams)}\n${clientSite(dir, clientPort)}`,
      async () => (await getRaw(port, '/api/users/healthz')).status === 200,
    );
  }, 600_000);

  afterAll(async () => {
    await nginx?.stop();
    for (const server of services) server.close();
  });

  /** The ways out that nginx resolves itself, choosing the backend on the result: the client's location `/`. */
  const RESOLVED_BY_NGINX = new Set(['../', './ and ../', '%2e%2e/', '%2E%2E/', '.%2e/', '..%2f', '..%2F', '%2e%2e%2f']);

  it("When a service's own path is asked for, then that service answers; /metrics at the origin is the client's page, though the services serve metrics", async () => {
    for (const { name, prefix } of SERVICES) {
      expect(await ask(`${prefix}/healthz`)).toEqual({ status: 200, body: '{"status":"ok"}', service: name });
    }
    const metrics = await ask('/metrics');
    expect({ status: metrics.status, service: metrics.service, isApp: metrics.body.includes('<div id="root">') }).toEqual({
      status: 200,
      service: undefined,
      isApp: true,
    });
    // What a leak would be: each service does answer /metrics on the port the ingress sends to.
    for (const server of services) {
      const direct = await getRaw((server.address() as AddressInfo).port, '/metrics');
      expect(LEAKED.test(direct.body)).toBe(true);
    }
  });

  it.each(SERVICES.map(({ name, prefix }) => [prefix, name]))(
    'When %s is left by dot-segments, escapes, path parameters or a fragment, then nginx sends what it resolves out to the client, and %s gets the rest as sent and answers 404',
    async (prefix, name) => {
      for (const [how, target] of pathEscapes(prefix)) {
        const answer = await ask(target);
        const outcome = { how, status: answer.status, service: answer.service, received: received.map((r) => r.url) };
        expect({ ...outcome, isLeaked: LEAKED.test(answer.body) }).toEqual(
          RESOLVED_BY_NGINX.has(how)
            ? { how, status: 200, service: undefined, received: [], isLeaked: false }
            : { how, status: 404, service: name, received: [target], isLeaked: false },
        );
      }
    },
  );

  it("When the client's files are left by dot-segments or escapes, then nginx refuses what climbs above the root and the client answers the rest with its page", async () => {
    for (const [how, target] of CLIENT_ESCAPES) {
      const answer = await ask(target);
      expect({ how, service: answer.service, isLeaked: LEAKED.test(answer.body) }).toEqual({ how, service: undefined, isLeaked: false });
      expect({ how, status: answer.status, isApp: answer.body.includes('<div id="root">') }).toEqual(
        answer.status === 400 ? { how, status: 400, isApp: false } : { how, status: 200, isApp: true },
      );
    }
  });

  it('When the Ingress is read, then it has plain Prefix paths only and no annotation that changes how nginx matches or rewrites them', () => {
    expect(INGRESS).toHaveLength(1);
    const [ingress] = INGRESS;
    // rewrite-target, use-regex, app-root or a snippet would make other locations than the ones modelled here.
    expect(Object.keys(ingress.metadata?.annotations ?? {})).toEqual(['nginx.ingress.kubernetes.io/force-ssl-redirect']);
    const paths = (ingress.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []);
    expect(new Set(paths.map((p) => p.pathType))).toEqual(new Set(['Prefix']));
  });
});
