import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BUS_ADMIN_USER, BUS_IDENTITIES, natsAuthorization } from '@ticketing/common/events';
import { SERVICES } from '@ticketing/launcher/system';
import { ensureServer, NATS_SERVER, NATS_STREAMING_SERVER } from '@ticketing/stack/install';
import { silentLog } from '@ticketing/stack/log';
import {
  containersOf,
  type IConfigMap,
  type IContainer,
  type IJob,
  k8sDir,
  type LoadedManifest,
  loadManifests,
  manifestsPerProfile,
  named,
  ofKind,
  providedEnv,
  readSkaffoldConfig,
  repoRoot,
  type Workload,
  workloadBehind,
  workloadRunning,
  yamlFilesUnder,
} from './manifests';
import { type ConfMap, type ConfValue, parseNatsConf, renderNatsConf, VariableReference } from './nats-conf';

/** The command every service image holds (common's bin), run by the JetStream provisioning Job. */
const PROVISION_COMMAND = ['node', '/app/common/dist/bin/provision-event-bus.js'];

/** What the JetStream servers' config holds besides the logins: the official chart's settings for a cluster. */
const JETSTREAM_SERVER_SETTINGS = [
  'server_name',
  'port',
  'http_port',
  'pid_file',
  'lame_duck_grace_period',
  'lame_duck_duration',
  'jetstream',
  'cluster',
];

/** Passwords of the form infra/k8s/README.md creates: a letter, then hex; `12e4` is the start a number could take. */
const examplePassword = (i: number) => `p12e4${i}${'0123456789abcdef'.repeat(3)}`;

type Transport = 'jetstream' | 'stan';
type SecretRef = { name: string; key: string };

/** One profile's NATS server as the pod runs it: its container, config (parsed) and the Secrets behind its env. */
interface DeployedBus {
  profile: string;
  manifests: LoadedManifest[];
  transport: Transport;
  server: Workload;
  container: IContainer;
  /** Where the `-c` config comes from, e.g. `ConfigMap nats-config, key nats.conf`. */
  configSource: string;
  configText: string;
  config: ConfMap;
  /** The streaming layer's config (`-sc`); NATS Streaming only. */
  streamingConfig?: ConfMap;
  clusterId?: string;
  /** The container's variables set from a Secret, by name. */
  secretEnv: Map<string, SecretRef>;
  /** Its variables set any other way (a literal, the pod). */
  otherEnv: Set<string>;
}

function deployedBus(profile: string, manifests: LoadedManifest[]): DeployedBus {
  const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap').map(({ object }) => object);
  const eventBus = named(ofKind<IConfigMap>(manifests, 'ConfigMap'), 'event-bus');
  const transport = eventBus?.data?.EVENT_TRANSPORT as Transport | undefined;
  const server = workloadBehind(manifests, eventBus?.data?.NATS_URL);
  if (!server || (transport !== 'jetstream' && transport !== 'stan'))
    throw new Error(`${profile}: no NATS server behind the event-bus ConfigMap`);
  const [container] = containersOf(server);
  const args = container.args ?? [];
  const configPath = flagValue(args, '-c', '--config');
  if (!configPath) throw new Error(`${profile}: ${server.metadata?.name} is started without -c <config file>`);
  const { source: configSource, text: configText } = mountedFile(server, container, configPath, configMaps);
  const bus: DeployedBus = {
    profile,
    manifests,
    transport,
    server,
    container,
    configSource,
    configText,
    config: parseNatsConf(configText),
    secretEnv: new Map(),
    otherEnv: new Set(),
  };
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (value === undefined && valueFrom?.secretKeyRef)
      bus.secretEnv.set(name, { name: valueFrom.secretKeyRef.name ?? '', key: valueFrom.secretKeyRef.key });
    else bus.otherEnv.add(name);
  }
  if (transport === 'stan') {
    const streamingPath = flagValue(args, '-sc', '--stan_config');
    if (!streamingPath) throw new Error(`${profile}: ${server.metadata?.name} is started without -sc <config file>`);
    bus.streamingConfig = parseNatsConf(mountedFile(server, container, streamingPath, configMaps).text);
    bus.clusterId = flagValue(args, '-cid', '--cluster_id');
  }
  return bus;
}

function flagValue(args: string[], ...flags: string[]): string | undefined {
  const at = args.findIndex((arg) => flags.includes(arg));
  return at >= 0 ? args[at + 1] : undefined;
}

/** The text of `file` in the container: a key of the ConfigMap mounted at the file's folder. */
function mountedFile(workload: Workload, container: IContainer, file: string, configMaps: IConfigMap[]) {
  const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`) && !m.subPath);
  const volume = workload.spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
  const configMap = configMaps.find((c) => c.metadata?.name === volume?.configMap?.name);
  if (!mount || !configMap) throw new Error(`${workload.metadata?.name}: ${file} is not in a mounted ConfigMap of the manifests`);
  const relative = file.slice(mount.mountPath.replace(/\/$/, '').length + 1);
  const items = volume?.configMap?.items;
  const key = items ? items.find((item) => item.path === relative)?.key : relative;
  const text = key === undefined ? undefined : configMap.data?.[key];
  if (text === undefined) throw new Error(`${workload.metadata?.name}: ConfigMap ${configMap.metadata?.name} has no key for ${file}`);
  return { source: `ConfigMap ${configMap.metadata?.name}, key ${key}`, text };
}

/** A map's field, or undefined when `value` is not a map. */
function field(value: ConfValue | undefined, key: string): ConfValue | undefined {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) && !(value instanceof VariableReference)
    ? value[key]
    : undefined;
}

/** The `authorization.users` entries of a config. */
function usersOf(config: ConfMap): ConfMap[] {
  const users = field(field(config, 'authorization'), 'users');
  return Array.isArray(users) ? (users.filter((u) => typeof field(u, 'user') === 'string') as ConfMap[]) : [];
}

/** The streaming layer's login: `streaming { username, password }` (nats-streaming-server also takes user/pass). */
function streamingLogin(bus: DeployedBus) {
  const streaming = field(bus.streamingConfig, 'streaming') ?? bus.streamingConfig;
  return {
    user: field(streaming, 'username') ?? field(streaming, 'user'),
    password: field(streaming, 'password') ?? field(streaming, 'pass'),
  };
}

/** JSON-like: a variable reference becomes `$NAME`, as `natsAuthorization` is given its passwords below. */
function plain(value: ConfValue | undefined): unknown {
  if (value instanceof VariableReference) return `$${value.name}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Order does not matter to nats-server: users by name, subjects sorted. */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalised);
    if (items.every((item) => typeof item === 'string')) return [...(items as string[])].sort();
    const userOf = (item: unknown) => String((item as { user?: unknown })?.user ?? '');
    return items.sort((a, b) => userOf(a).localeCompare(userOf(b)));
  }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalised(v)]));
  return value;
}

/**
 * The config's authorization block and the one `natsAuthorization` gives for this bus, both with each password
 * as the variable the config names for that user (`$<USER>_PASSWORD` for a user the config lacks).
 */
function authorizationComparison(bus: DeployedBus, config: ConfMap = bus.config) {
  const passwords = new Proxy({} as Record<string, string>, {
    get: (_target, user: string) => {
      const entry = usersOf(config).find((u) => u.user === user);
      return plain(entry?.password) ?? `$${user.toUpperCase()}_PASSWORD`;
    },
  });
  const internalUser = streamingLogin(bus).user;
  const server =
    bus.transport === 'stan'
      ? {
          kind: 'stan' as const,
          clusterId: bus.clusterId ?? '(no -cid)',
          internalUser: typeof internalUser === 'string' ? internalUser : '(no streaming user)',
        }
      : { kind: 'jetstream' as const };
  const expected = natsAuthorization(passwords, server);
  return { actual: normalised(plain(field(config, 'authorization'))), expected: normalised(expected), expectedBlock: expected };
}

/** The block to paste into the ConfigMap when they differ (passwords as variable references). */
function renderAuthorization(authorization: ReturnType<typeof natsAuthorization>): string {
  const users = authorization.users.map(({ password, ...rest }) => ({
    ...rest,
    password: password.startsWith('$') ? new VariableReference(password.slice(1)) : password,
  }));
  return renderNatsConf({ authorization: { users } as unknown as ConfMap });
}

/** A container's variable set from a Secret, as `secret/key`, or why not. */
function secretOf(container: IContainer | undefined, variable: string): string {
  const env = container?.env?.find((e) => e.name === variable);
  if (!env) return `(${variable} not set)`;
  const ref = env.valueFrom?.secretKeyRef;
  return env.value === undefined && ref ? `${ref.name}/${ref.key}` : `(${variable} not from a Secret)`;
}

const serviceContainer = (manifests: LoadedManifest[], name: string) => {
  const workload = workloadRunning(manifests, `ticketing/${name}`);
  return workload && containersOf(workload).find((c) => c.image === `ticketing/${name}`);
};

const provisioningJobs = (manifests: LoadedManifest[]) =>
  ofKind<IJob>(manifests, 'Job').filter(({ object }) =>
    containersOf(object).some((c) => [...(c.command ?? []), ...(c.args ?? [])].some((arg) => arg.includes('provision-event-bus'))),
  );

/** What the pod sets from its own fields, as the first pod would get it: its name (`server_name: $POD_NAME`). */
function podFieldEnv(bus: DeployedBus): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { name, valueFrom } of bus.container.env ?? []) {
    if (valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[name] = `${bus.server.metadata?.name}-0`;
  }
  return env;
}

/** Runs the pinned nats-server on a config: `-t` parses it (variables resolved from `env`) without serving. */
async function natsServerAccepts(configText: string, env: Record<string, string>) {
  const binary = await ensureServer(NATS_SERVER, silentLog);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-conf-'));
  try {
    writeFileSync(path.join(dir, 'nats.conf'), configText);
    const result = spawnSync(binary, ['-t', '-c', path.join(dir, 'nats.conf')], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { accepted: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the pinned nats-streaming-server as the pod does (one file for -c and -sc, the pod's -cid), but with
 * a memory store and a random port, until its streaming layer is ready: which it is only after logging in to
 * its embedded server as the internal user.
 */
async function stanServerStarts(configText: string, clusterId: string, env: Record<string, string>) {
  const binary = await ensureServer(NATS_STREAMING_SERVER, silentLog);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stan-conf-'));
  const file = path.join(dir, 'nats.conf');
  writeFileSync(file, configText);
  const child = spawn(binary, ['-c', file, '-sc', file, '-cid', clusterId, '-store', 'memory', '-p', '-1'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Streaming Server is ready')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    return { started, output: output.trim() };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every connection to NATS logs in as an identity of common's BUS_IDENTITIES, with that identity's Secret. */
describe('NATS identities and permissions', () => {
  const buses = manifestsPerProfile().map(({ profile, manifests }) => deployedBus(profile, manifests));

  it('When each profile is deployed, then its NATS server reads a config from a ConfigMap, on JetStream and on NATS Streaming', () => {
    expect(buses.map(({ profile, transport }) => ({ profile, transport }))).toEqual([
      { profile: '(default)', transport: 'jetstream' },
      { profile: 'jetstream', transport: 'jetstream' },
      { profile: 'stan', transport: 'stan' },
    ]);
    for (const bus of buses) expect(usersOf(bus.config).length).toBeGreaterThan(0);
  });

  it("When the server's users and permissions are compared with common's natsAuthorization for its transport, then they are the same", () => {
    for (const bus of buses) {
      const { actual, expected, expectedBlock } = authorizationComparison(bus);
      try {
        expect({ profile: bus.profile, authorization: actual }).toEqual({ profile: bus.profile, authorization: expected });
      } catch (err) {
        throw new Error(
          `${(err as Error).message}\n\n${bus.configSource} (${bus.profile}) differs from natsAuthorization(); the block it should hold:\n\n${renderAuthorization(expectedBlock)}`,
        );
      }
    }
  });

  it("When the server reads its config, then nothing but the logins, the streaming login, TLS and the JetStream cluster's own settings is in it: no accounts, no anonymous user", () => {
    for (const bus of buses) {
      const allowed =
        bus.transport === 'stan' ? ['authorization', 'streaming', 'tls'] : ['authorization', 'tls', ...JETSTREAM_SERVER_SETTINGS];
      expect({ profile: bus.profile, extra: Object.keys(bus.config).filter((key) => !allowed.includes(key)) }).toEqual({
        profile: bus.profile,
        extra: [],
      });
    }
  });

  it('When the server resolves a password, then it is an environment variable set from a Secret, one Secret per identity', () => {
    for (const bus of buses) {
      const passwords = usersOf(bus.config).map((entry) => {
        const variable = entry.password instanceof VariableReference ? entry.password.name : undefined;
        const secret = variable ? bus.secretEnv.get(variable) : undefined;
        return {
          user: entry.user,
          variable: variable ?? '(not a variable reference)',
          secret: secret ? `${secret.name}/${secret.key}` : '(no Secret)',
        };
      });
      expect({
        profile: bus.profile,
        notFromSecret: passwords.filter((p) => p.variable.startsWith('(') || p.secret.startsWith('(')),
      }).toEqual({ profile: bus.profile, notFromSecret: [] });
      // Nor is the same variable also set another way: of two definitions in a container's env, the last wins.
      expect({
        profile: bus.profile,
        alsoSetOtherwise: passwords.filter((p) => bus.otherEnv.has(p.variable)).map((p) => p.variable),
      }).toEqual({ profile: bus.profile, alsoSetOtherwise: [] });
      const secrets = passwords.map((p) => p.secret);
      expect({ profile: bus.profile, shared: secrets.filter((s, i) => secrets.indexOf(s) !== i) }).toEqual({
        profile: bus.profile,
        shared: [],
      });
    }
  });

  it('When a service connects, then it logs in as its own identity, with the password from the Secret the server has for that identity', () => {
    expect(Object.keys(BUS_IDENTITIES).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const bus of buses) {
      const configMaps = ofKind<IConfigMap>(bus.manifests, 'ConfigMap').map(({ object }) => object);
      for (const { name } of SERVICES) {
        const { user } = BUS_IDENTITIES[name];
        const container = serviceContainer(bus.manifests, name);
        const variable = usersOf(bus.config).find((u) => u.user === user)?.password;
        const serverSecret = variable instanceof VariableReference ? secretOf(bus.container, variable.name) : '(no password variable)';
        const url = container ? providedEnv(container, configMaps).get('NATS_URL') : undefined;
        expect({
          profile: bus.profile,
          service: name,
          user: container?.env?.find((e) => e.name === 'NATS_USER')?.value,
          password: secretOf(container, 'NATS_PASSWORD'),
          credentialsInUrl: /@/.test(url ?? ''),
        }).toEqual({ profile: bus.profile, service: name, user, password: serverSecret, credentialsInUrl: false });
      }
    }
  });

  it("When NATS Streaming's streaming layer logs in to its embedded server, then it uses the internal user and that user's password variable", () => {
    for (const bus of buses.filter((b) => b.transport === 'stan')) {
      const { user, password } = streamingLogin(bus);
      const entry = usersOf(bus.config).find((u) => u.user === user);
      expect({
        profile: bus.profile,
        isUser: entry !== undefined,
        notAService: Object.values(BUS_IDENTITIES).every((identity) => identity.user !== user) && user !== BUS_ADMIN_USER,
        password: password instanceof VariableReference ? password.name : password,
      }).toEqual({
        profile: bus.profile,
        isUser: true,
        notAService: true,
        password: entry?.password instanceof VariableReference ? entry.password.name : '(a variable reference)',
      });
    }
  });

  it('When JetStream is deployed, then a Job creates the streams as the admin, from a skaffold-built image, retrying until the server is up, and is removed later; NATS Streaming has none', () => {
    const artifacts = readSkaffoldConfig().build.artifacts.map((a) => a.image);
    // The command's source: common's bin, compiled into /app/common/dist/bin of every service image.
    expect(existsSync(path.join(repoRoot, 'common/src/bin/provision-event-bus.ts'))).toBe(true);
    for (const bus of buses) {
      const jobs = provisioningJobs(bus.manifests);
      if (bus.transport === 'stan') {
        expect({ profile: bus.profile, jobs: jobs.map(({ object }) => object.metadata?.name) }).toEqual({ profile: bus.profile, jobs: [] });
        continue;
      }
      expect({ profile: bus.profile, jobs: jobs.length }).toEqual({ profile: bus.profile, jobs: 1 });
      const job = jobs[0].object;
      const [container] = containersOf(job);
      const configMaps = ofKind<IConfigMap>(bus.manifests, 'ConfigMap').map(({ object }) => object);
      const env = providedEnv(container, configMaps);
      const admin = usersOf(bus.config).find((u) => u.user === BUS_ADMIN_USER)?.password;
      // The kubelet waits 10 s, 20 s, 40 s … (at most 6 min) between failed attempts; together they must outlast
      // the server's start-up (its startup probe's budget) with room to spare.
      const waits = Array.from({ length: job.spec?.backoffLimit ?? 6 }, (_, i) => Math.min(10 * 2 ** i, 360));
      const startup = containersOf(bus.server)[0].startupProbe;
      const serverStart = (startup?.initialDelaySeconds ?? 0) + (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3);
      expect({
        profile: bus.profile,
        image: artifacts.includes(container.image ?? ''),
        command: [...(container.command ?? []), ...(container.args ?? [])],
        user: env.get('NATS_USER'),
        password: secretOf(container, 'NATS_PASSWORD'),
        transport: env.get('EVENT_TRANSPORT'),
        server: workloadBehind(bus.manifests, env.get('NATS_URL'))?.metadata?.name,
        restartPolicy: ['Never', 'OnFailure'].includes(job.spec?.template.spec?.restartPolicy ?? ''),
        outwaitsServerStart: waits.reduce((a, b) => a + b, 0) >= 2 * serverStart,
        removedAfterwards: (job.spec?.ttlSecondsAfterFinished ?? 0) > 0,
      }).toEqual({
        profile: bus.profile,
        image: true,
        command: PROVISION_COMMAND,
        user: BUS_ADMIN_USER,
        password: admin instanceof VariableReference ? secretOf(bus.container, admin.name) : '(admin password variable)',
        transport: 'jetstream',
        server: bus.server.metadata?.name,
        restartPolicy: true,
        outwaitsServerStart: true,
        removedAfterwards: true,
      });
    }
  });

  it('When skaffold deploys the Job again with a new image, or the services restart until it has run, then the deploy goes on', () => {
    const { deploy } = readSkaffoldConfig() as {
      deploy: {
        tolerateFailuresUntilDeadline?: boolean;
        kubectl?: { flags?: { apply?: string[] }; hooks?: { before?: Array<{ host?: { command?: string[] } }> } };
      };
    };
    // A Job's pod template is immutable: the old Job is deleted before each apply (that Job only, nothing forced).
    // Restarting services must not fail the status check.
    const before = (deploy.kubectl?.hooks?.before ?? []).map((h) => h.host?.command?.join(' '));
    expect({
      deletesJobFirst: before.some((c) => /^kubectl delete job event-bus-provision --ignore-not-found/.test(c ?? '')),
      forcesEverything: deploy.kubectl?.flags?.apply?.includes('--force') ?? false,
      toleratesRestarts: deploy.tolerateFailuresUntilDeadline,
    }).toEqual({ deletesJobFirst: true, forcesEverything: false, toleratesRestarts: true });
  });

  it('When infra/k8s is read, then no Secret with data is in it: the operator creates them (infra/k8s/README.md)', () => {
    const secrets = yamlFilesUnder(k8sDir)
      .flatMap(loadManifests)
      .filter(({ object }) => object.kind === 'Secret')
      .filter(({ object }) => Object.keys({ ...(object.data as object), ...(object.stringData as object) }).length > 0)
      .map(({ source }) => source);
    expect(secrets).toEqual([]);
  });

  it("When the pinned NATS servers start with each profile's config and the pod's variables, then they accept it and the streaming layer logs in", async () => {
    for (const bus of buses) {
      const env = {
        ...podFieldEnv(bus),
        ...Object.fromEntries([...bus.secretEnv.keys()].map((variable, i) => [variable, examplePassword(i)])),
      };
      if (bus.transport === 'jetstream') {
        expect({ profile: bus.profile, ...(await natsServerAccepts(bus.configText, env)) }).toEqual({
          profile: bus.profile,
          accepted: true,
          output: expect.stringContaining('is valid'),
        });
      } else {
        const { started, output } = await stanServerStarts(bus.configText, bus.clusterId ?? '', env);
        expect({ profile: bus.profile, started, output: started ? '' : output }).toEqual({
          profile: bus.profile,
          started: true,
          output: '',
        });
      }
    }
  }, 90_000);

  it('When infra/k8s/README.md creates the NATS password Secrets, then each password starts with a letter, for the reason the next check shows', () => {
    const readme = readFileSync(path.join(k8sDir, 'README.md'), 'utf8');
    const secrets = new Set(buses.flatMap((bus) => [...bus.secretEnv.values()].map((s) => `${s.name}/${s.key}`)));
    for (const secret of secrets) {
      const [name, key] = secret.split('/');
      const line = readme.split('\n').find((l) => l.includes(`kubectl create secret generic ${name} `));
      expect({ secret, line }).toEqual({
        secret,
        line: expect.stringMatching(new RegExp(`--from-literal=${key}="[A-Za-z]\\$\\(openssl rand -hex \\d+\\)"`)),
      });
    }
  });

  describe('the checks themselves', () => {
    const jetstream = buses.find((b) => b.profile === 'jetstream');
    if (!jetstream) throw new Error('no jetstream profile');

    it('When the config is parsed, then quoted subjects stay strings, bare $NAME values are variables, and unsupported syntax is refused', () => {
      const parsed = parseNatsConf(
        [
          '# a comment',
          'authorization {',
          '  users = [',
          '    { user: a, password: $A_PASSWORD, permissions: { publish: { allow: ["$JS.API.>", \'_INBOX.>\'] } } }',
          '    {user: "b"; password: $B_PASSWORD}  // another',
          '  ]',
          '}',
          'port: 4222',
          'debug: false',
        ].join('\n'),
      );
      expect(plain(parsed)).toEqual({
        authorization: {
          users: [
            { user: 'a', password: '$A_PASSWORD', permissions: { publish: { allow: ['$JS.API.>', '_INBOX.>'] } } },
            { user: 'b', password: '$B_PASSWORD' },
          ],
        },
        port: 4222,
        debug: false,
      });
      expect(field(usersOf(parsed)[0], 'password')).toBeInstanceOf(VariableReference);
      expect(() => parseNatsConf('allow: [$JS.API.>]')).toThrow(/would be read as a variable reference; quote it/);
      expect(() => parseNatsConf('include ./auth.conf')).toThrow(/include is not supported/);
      expect(() => parseNatsConf('max_payload: 1MB')).toThrow(/not supported/);
      expect(() => parseNatsConf('a: { b: 1')).toThrow(/expected "}"/);
      // What the renderer writes, the parser reads back.
      expect(parseNatsConf(renderNatsConf(jetstream.config))).toEqual(jetstream.config);
    });

    it('When a permission is dropped, added or widened in the config, then the comparison tells', () => {
      const changed = (change: (users: ConfMap[]) => void) => {
        const config = parseNatsConf(jetstream.configText);
        change(field(field(config, 'authorization'), 'users') as ConfMap[]);
        const { actual, expected } = authorizationComparison(jetstream, config);
        return isDeepStrictEqual(actual, expected);
      };
      const tickets = (users: ConfMap[]) => {
        const entry = users.find((u) => u.user === 'tickets');
        if (!entry) throw new Error('no tickets user');
        return entry.permissions as { publish: { allow: string[] }; subscribe: { allow: string[] } };
      };
      expect(changed(() => {})).toBe(true);
      expect(changed((users) => tickets(users).publish.allow.pop())).toBe(false);
      expect(changed((users) => tickets(users).subscribe.allow.push('_INBOX.>'))).toBe(false);
      expect(changed((users) => Object.assign(tickets(users), { allow_responses: true }))).toBe(false);
      expect(
        changed((users) =>
          users.splice(
            users.findIndex((u) => u.user === 'orders'),
            1,
          ),
        ),
      ).toBe(false);
      // Order does not matter to the server, nor to the check.
      expect(changed((users) => tickets(users).publish.allow.reverse())).toBe(true);
    });

    it('When a password variable holds a value starting with digits such as 12e4…, then nats-server misreads it as a number and refuses to start', async () => {
      const env = {
        ...podFieldEnv(jetstream),
        ...Object.fromEntries([...jetstream.secretEnv.keys()].map((variable, i) => [variable, examplePassword(i).slice(1)])),
      };
      expect(await natsServerAccepts(jetstream.configText, env)).toEqual({
        accepted: false,
        output: expect.stringMatching(/nats-server: /),
      });
    }, 60_000);
  });
});
