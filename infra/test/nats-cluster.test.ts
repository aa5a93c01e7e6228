import { eventBusConfigFromEnv } from '@ticketing/common/events';
import { envReader } from '@ticketing/common/http';
import { SERVICES } from '@ticketing/launcher/system';
import {
  containersOf,
  type IConfigMap,
  type IContainer,
  type IJob,
  type IService,
  type IStatefulSet,
  type LoadedManifest,
  manifestsPerProfile,
  named,
  ofKind,
  providedEnv,
  replicasOf,
  selects,
  urlsOf,
  workloadRunning,
} from './manifests';
import { type ConfMap, type ConfValue, parseNatsConf, VariableReference } from './nats-conf';

/**
 * The JetStream profile's NATS cluster, checked offline against the official Helm chart's conventions
 * (nats-io/k8s): three servers in a StatefulSet with a volume each, a headless Service for routes and clients,
 * one config file, lame duck mode before stopping, JetStream-aware probes, a PodDisruptionBudget and a spread
 * over nodes; the streams created with three copies, and every client given every server.
 */
type PodDisruptionBudget = {
  spec?: { maxUnavailable?: number | string; minAvailable?: number | string; selector?: { matchLabels?: Record<string, string> } };
};

const profiles = manifestsPerProfile().filter(({ profile }) => profile === '(default)' || profile === 'jetstream');

/** The cluster as deployed in one profile: the StatefulSet, its container, its config and the Services. */
function clusterOf(manifests: LoadedManifest[]) {
  const statefulSet = named(ofKind<IStatefulSet>(manifests, 'StatefulSet'), 'nats');
  if (!statefulSet) throw new Error('no StatefulSet nats');
  const [container] = containersOf(statefulSet);
  const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap');
  const configText = named(configMaps, 'nats-config')?.data?.['nats.conf'];
  if (!container || configText === undefined) throw new Error('nats: no container, or no nats.conf in ConfigMap nats-config');
  const headless = named(ofKind<IService>(manifests, 'Service'), statefulSet.spec?.serviceName ?? '');
  return { statefulSet, container, config: parseNatsConf(configText), headless, replicas: replicasOf(statefulSet) };
}

const field = (value: ConfValue | undefined, key: string): ConfValue | undefined =>
  value !== undefined && typeof value === 'object' && !Array.isArray(value) && !(value instanceof VariableReference)
    ? (value as ConfMap)[key]
    : undefined;

const portNamed = (container: IContainer, name: string) => container.ports?.find((p) => p.name === name)?.containerPort;

/** `<statefulset>-<i>.<headless service>` for every pod. */
const podHosts = (cluster: ReturnType<typeof clusterOf>) =>
  Array.from({ length: cluster.replicas }, (_, i) => `${cluster.statefulSet.metadata?.name}-${i}.${cluster.headless?.metadata?.name}`);

/** Seconds in a duration string of the config (`"30s"`, `"2m"`). */
function seconds(value: ConfValue | undefined): number {
  const match = typeof value === 'string' ? /^(\d+)(s|m)$/.exec(value) : null;
  if (!match) throw new Error(`not a duration: ${String(value)}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

describe('NATS cluster (JetStream profile)', () => {
  it('When the profile is deployed, then NATS is a StatefulSet of three started together, with a volume each', () => {
    for (const { profile, manifests } of profiles) {
      const { statefulSet, config, container } = clusterOf(manifests);
      const dataMount = container.volumeMounts?.find((m) => m.name === 'data');
      expect({
        profile,
        replicas: statefulSet.spec?.replicas,
        podManagementPolicy: statefulSet.spec?.podManagementPolicy,
        volumeClaims: statefulSet.spec?.volumeClaimTemplates?.map((t) => t.metadata?.name),
        storeDir: field(field(config, 'jetstream'), 'store_dir'),
      }).toEqual({ profile, replicas: 3, podManagementPolicy: 'Parallel', volumeClaims: ['data'], storeDir: dataMount?.mountPath });
      // The store's limit fits the volume.
      const claim = statefulSet.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
      expect(claim).toMatch(/^\d+Gi$/);
      expect(Number(field(field(config, 'jetstream'), 'max_file_store'))).toBeLessThan(Number.parseInt(String(claim), 10) * 1024 ** 3);
    }
  });

  it('When the servers route to each other, then the routes are every pod of the StatefulSet through the headless Service, on the port the container opens', () => {
    for (const { profile, manifests } of profiles) {
      const cluster = clusterOf(manifests);
      const { headless, container, config, statefulSet } = cluster;
      expect({
        profile,
        clusterIP: headless?.spec?.clusterIP,
        publishNotReadyAddresses: headless?.spec?.publishNotReadyAddresses,
        selectsPods: selects(headless?.spec?.selector, statefulSet.spec?.template.metadata?.labels),
        ports: headless?.spec?.ports?.map((p) => p.port).sort(),
      }).toEqual({ profile, clusterIP: 'None', publishNotReadyAddresses: true, selectsPods: true, ports: [4222, 6222] });
      const routePort = portNamed(container, 'cluster');
      expect({ profile, port: field(field(config, 'cluster'), 'port') }).toEqual({ profile, port: routePort });
      expect({ profile, routes: field(field(config, 'cluster'), 'routes') }).toEqual({
        profile,
        routes: podHosts(cluster).map((host) => `nats://${host}:${routePort}`),
      });
      // Each server is named after its pod: JetStream's groups know their members by server name.
      const serverName = field(config, 'server_name');
      const variable = serverName instanceof VariableReference ? serverName.name : '(not a variable)';
      expect(container.env?.find((e) => e.name === variable)?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    }
  });

  it('When a server is stopped, then lame duck mode runs first (preStop, on the pid file the config names), within the grace period', () => {
    for (const { profile, manifests } of profiles) {
      const { statefulSet, container, config } = clusterOf(manifests);
      const pidFile = String(field(config, 'pid_file'));
      const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
      expect({ profile, preStop }).toEqual({ profile, preStop: ['nats-server', `-sl=ldm=${pidFile}`] });
      // The pid file's folder is a writable mount (the root filesystem is read-only).
      const pidDir = pidFile.slice(0, pidFile.lastIndexOf('/'));
      const mount = container.volumeMounts?.find((m) => m.mountPath === pidDir);
      expect({ profile, pidDirMounted: mount !== undefined && !mount.readOnly }).toEqual({ profile, pidDirMounted: true });
      const lameDuck = seconds(field(config, 'lame_duck_grace_period')) + seconds(field(config, 'lame_duck_duration'));
      expect(statefulSet.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(lameDuck);
    }
  });

  it("When the kubelet probes a server, then it uses JetStream's health endpoints on the monitor port the config opens", () => {
    for (const { profile, manifests } of profiles) {
      const { container, config } = clusterOf(manifests);
      const monitor = portNamed(container, 'monitor');
      expect({ profile, http_port: field(config, 'http_port'), client: field(config, 'port') }).toEqual({
        profile,
        http_port: monitor,
        client: portNamed(container, 'client'),
      });
      const probe = (p: typeof container.startupProbe) => `${p?.httpGet?.path} on ${p?.httpGet?.port}`;
      expect({
        profile,
        startup: probe(container.startupProbe),
        readiness: probe(container.readinessProbe),
        liveness: probe(container.livenessProbe),
      }).toEqual({
        profile,
        startup: '/healthz on monitor',
        readiness: '/healthz?js-server-only=true on monitor',
        liveness: '/healthz?js-enabled-only=true on monitor',
      });
    }
  });

  it('When nodes are drained or lost, then a PodDisruptionBudget keeps two of three up and the pods spread over nodes', () => {
    for (const { profile, manifests } of profiles) {
      const { statefulSet } = clusterOf(manifests);
      const labels = statefulSet.spec?.template.metadata?.labels;
      const budgets = manifests
        .filter(({ object }) => object.kind === 'PodDisruptionBudget')
        .map(({ object }) => object as unknown as PodDisruptionBudget)
        .filter((pdb) => selects(pdb.spec?.selector?.matchLabels, labels));
      expect({ profile, budgets: budgets.map((b) => b.spec?.maxUnavailable ?? `minAvailable ${b.spec?.minAvailable}`) }).toEqual({
        profile,
        budgets: [1],
      });
      const spread = statefulSet.spec?.template.spec?.topologySpreadConstraints ?? [];
      expect({
        profile,
        spread: spread.map((c) => ({ key: c.topologyKey, skew: c.maxSkew, selectsPods: selects(c.labelSelector?.matchLabels, labels) })),
      }).toEqual({ profile, spread: [{ key: 'kubernetes.io/hostname', skew: 1, selectsPods: true }] });
    }
  });

  it('When the services and the provisioning Job read their bus settings, then they get every server, and the streams get three copies', () => {
    for (const { profile, manifests } of profiles) {
      const cluster = clusterOf(manifests);
      const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap').map(({ object }) => object);
      const everyServer = podHosts(cluster).map((host) => `${host}:${portNamed(cluster.container, 'client')}`);
      const clients = [
        ...SERVICES.map(({ name }) => {
          const workload = workloadRunning(manifests, `ticketing/${name}`);
          return { name, container: workload && containersOf(workload).find((c) => c.image === `ticketing/${name}`) };
        }),
        ...ofKind<IJob>(manifests, 'Job').map(({ object }) => ({
          name: `Job ${object.metadata?.name}`,
          container: containersOf(object)[0],
        })),
      ];
      for (const { name, container } of clients) {
        if (!container) throw new Error(`${profile}: no container for ${name}`);
        const env = Object.fromEntries([...providedEnv(container, configMaps)].map(([k, v]) => [k, v ?? 'from-a-secret']));
        const servers = urlsOf(env.NATS_URL ?? '').map((url) => url.host);
        // What common's own config reader makes of it: the replicas the provisioning creates streams with.
        const replicas = eventBusConfigFromEnv(name, envReader(env)).limits?.replicas;
        expect({ profile, client: name, servers, replicas }).toEqual({
          profile,
          client: name,
          servers: everyServer,
          replicas: cluster.replicas,
        });
      }
    }
  });
});
