import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { provisionEventBus, STREAM_LIMITS } from '@ticketing/common/events';
import { SERVICES, serviceEnv } from '@ticketing/launcher/system';
import { ensureBaseImages, NGINX_UNPRIVILEGED_BASE, NODE_BASE } from '@ticketing/stack/images/base-images';
import { CommandError, ensurePodman, type Podman, podman } from '@ticketing/stack/images/podman';
import { buildProjectImage, PROJECT_IMAGES, type ProjectImage, SERVICE_NAMES } from '@ticketing/stack/images/project-images';
import { databaseUrl } from '@ticketing/stack/mongo';
import { natsPasswordsFromEnv } from '@ticketing/stack/nats-auth';
import { freePort } from '@ticketing/stack/ports';
import { waitFor } from '@ticketing/stack/wait-for';
import { newSessionKeys } from '@ticketing/testkit/session';
import { readSkaffoldConfig } from './manifests';

/**
 * The images as skaffold would build them, built for real with podman (Debian's; the base images the Dockerfiles
 * name are local stand-ins, see tools/stack/src/images/base-images.ts) and run: each service on the test stack's servers,
 * the client serving its build. Everything listens on the host's loopback only.
 */
const log = (line: string) => process.stderr.write(`[images] ${line}\n`);
let tools: Podman;
/** Every container this file starts and every tag it gives: removed in afterAll, also when a test failed. */
const containers: string[] = [];
const tags: string[] = [];
const run = randomBytes(3).toString('hex');
const sessionKeys = newSessionKeys();

beforeAll(async () => {
  tools = await ensurePodman(log);
  // A cold machine builds both base images (Debian packages, Node from the npm registry): minutes.
  await ensureBaseImages(tools, log);
}, 30 * 60_000);

afterAll(async () => {
  if (!tools) return;
  await Promise.allSettled(containers.map((name) => podman(tools, ['rm', '--force', '--time', '10', name])));
  // The layers stay cached; only this run's names go.
  await Promise.allSettled(tags.map((tag) => podman(tools, ['untag', tag, tag])));
}, 60_000);

const imageOf = (name: string): ProjectImage => {
  const image = PROJECT_IMAGES.find((candidate) => candidate.name === `ticketing/${name}`);
  if (!image) throw new Error(`no image ticketing/${name}`);
  return image;
};

/** Built with a tag of this run's, so a test never runs an image an earlier build left behind. */
const build = (name: string) => {
  const tag = `localhost/ticketing/${name}:test-${run}`;
  tags.push(tag);
  return buildProjectImage(tools, imageOf(name), log, { tag });
};

/** What the jest global setup exported about its servers. */
const stackEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set by the jest global setup`);
  return value;
};

const inspect = async (format: string, target: string) => (await podman(tools, ['inspect', '--format', format, target])).trim();

/**
 * Runs a container as the Kubernetes manifests run it (read-only root filesystem, no capabilities, no privilege
 * escalation) and returns its name; `env` reaches it by name only, so no secret is on a command line.
 */
async function start(image: string, flags: string[], env: Record<string, string> = {}): Promise<string> {
  const name = `ticketing-images-${run}-${image.replace(/.*\/|:.*/g, '')}`;
  containers.push(name);
  const security = ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges'];
  const envFlags = Object.keys(env).flatMap((key) => ['--env', key]);
  await podman(tools, ['run', '--detach', '--name', name, ...security, ...flags, ...envFlags, image], { env });
  return name;
}

/** `probe` until it holds; on a timeout the error carries the container's last log lines. */
async function waitForContainer(name: string, description: string, probe: () => Promise<boolean>): Promise<void> {
  try {
    await waitFor(probe, { description, timeoutMs: 60_000, intervalMs: 250 });
  } catch (err) {
    const logs = await podman(tools, ['logs', '--tail', '30', name]).catch((e: unknown) => (e instanceof CommandError ? e.output : ''));
    throw new Error(`${(err as Error).message}\n--- ${name} (${await inspect('{{.State.Status}}', name).catch(() => '?')}):\n${logs}`);
  }
}

/** The real, effective, saved and filesystem user id of every process in the container, read from the host's /proc. */
async function processUids(name: string): Promise<string[]> {
  const hostPids = (await podman(tools, ['top', name, 'hpid'])).trim().split('\n').slice(1);
  expect(hostPids.length).toBeGreaterThan(0);
  return hostPids.map(
    (pid) =>
      /^Uid:\s+(.*)$/m
        .exec(readFileSync(`/proc/${pid.trim()}/status`, 'utf8'))?.[1]
        .split(/\s+/)
        .join(' ') ?? '',
  );
}

/** Stops the container as Kubernetes does (its stop signal, then a grace period) and returns its exit code. */
async function stop(name: string): Promise<number> {
  await podman(tools, ['stop', '--time', '15', name]);
  return Number(await inspect('{{.State.ExitCode}}', name));
}

describe('the images, built with podman and run', () => {
  it('When the images are built, then they are the artifacts skaffold builds, from the base images the Dockerfiles name', () => {
    const artifacts = readSkaffoldConfig().build.artifacts.map((a) => ({
      name: a.image,
      dockerfile: a.docker?.dockerfile,
      buildArgs: a.docker?.buildArgs ?? {},
    }));
    expect(PROJECT_IMAGES).toEqual(artifacts);
    const froms = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    const shortName = (name: string) => name.replace(/^docker\.io\/(library\/)?/, '');
    expect(new Set([...froms('Dockerfile'), ...froms('client/Dockerfile')])).toEqual(
      new Set([shortName(NODE_BASE.name), shortName(NGINX_UNPRIVILEGED_BASE.name)]),
    );
  });

  it.each(SERVICE_NAMES)(
    'When the %s image is built and run on the stack’s servers, then /healthz and /readyz answer 200, its processes are not root and SIGTERM ends it with 0',
    async (service) => {
      const image = await build(service);
      expect(await inspect('{{.Config.User}}', image)).toBe('node');

      const [mongoUrl, natsUrl] = [stackEnv('MONGO_URL'), stackEnv('NATS_URL')];
      const namespace = `img${run}`;
      // Services may not create streams: the admin identity provisions them, as the deploy's Job does.
      await provisionEventBus({
        transport: 'jetstream',
        natsUrl,
        clientName: 'provision',
        clusterId: 'ticketing',
        namespace,
        limits: STREAM_LIMITS,
      });
      const port = await freePort();
      const env = serviceEnv(service, {
        natsUrl,
        natsPasswords: natsPasswordsFromEnv(),
        namespace,
        port,
        databaseUrl: databaseUrl(mongoUrl, `${namespace}_${service}`),
        sessionKeys,
        stripe: { apiBase: stackEnv('STRIPE_API_BASE'), secretKey: stackEnv('STRIPE_SECRET_KEY') },
      });
      // The image listens on every interface (HOST=0.0.0.0, for the pod network); on the host's network, loopback.
      const name = await start(image, ['--network=host', '--read-only-tmpfs=false'], { ...env, HOST: '127.0.0.1' });

      const prefix = SERVICES.find((s) => s.name === service)?.prefix;
      const status = async (check: string) => (await fetch(`http://127.0.0.1:${port}${prefix}/${check}`).catch(() => undefined))?.status;
      await waitForContainer(name, `${service}'s /readyz`, async () => (await status('readyz')) === 200);
      expect({ healthz: await status('healthz'), readyz: await status('readyz') }).toEqual({ healthz: 200, readyz: 200 });
      expect(await processUids(name)).toEqual(['1000 1000 1000 1000']);
      expect(await stop(name)).toBe(0);
    },
    20 * 60_000,
  );

  it(
    'When the client image is built and run, then nginx serves the app at / and the API docs’ Swagger UI, as uid 101, and SIGQUIT ends it with 0',
    async () => {
      const image = await build('client');
      expect(await inspect('{{.Config.User}}', image)).toBe('101');
      const port = await freePort();
      // A network of its own (nginx's port is 8080 in its config), forwarded from the host's loopback only.
      const name = await start(image, [
        '--network=slirp4netns',
        '--publish',
        `127.0.0.1:${port}:8080`,
        '--read-only-tmpfs=false',
        '--tmpfs=/tmp',
      ]);

      const get = async (pathname: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      };
      await waitForContainer(name, 'the client’s /healthz', async () => (await get('/healthz').catch(() => undefined))?.status === 200);
      const index = await get('/');
      expect({ status: index.status, type: index.type, isApp: index.body.includes('<div id="root">') }).toEqual({
        status: 200,
        type: 'text/html',
        isApp: true,
      });
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1] ?? '/assets/missing.js';
      expect((await get(script)).status).toBe(200);
      // Copied in by client/Dockerfile from node_modules, next to the committed docs page.
      expect((await get('/api/docs/swagger-ui-bundle.js')).status).toBe(200);
      const uids = await processUids(name);
      expect(new Set(uids)).toEqual(new Set(['101 101 101 101']));
      expect(await stop(name)).toBe(0);
    },
    20 * 60_000,
  );
});
