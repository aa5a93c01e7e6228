import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/launcher/system';
import { parse } from 'yaml';
import { schemaErrors, typeErrors } from './kubernetes-schema';
import {
  containersOf,
  type IConfigMap,
  type IIngress,
  type IJob,
  type INetworkPolicy,
  type IService,
  k8sDir,
  type LoadedManifest,
  type Manifest,
  manifestsPerProfile,
  named,
  ofKind,
  providedEnv,
  replicasOf,
  selects,
  serviceForHost,
  urlsOf,
  type Workload,
  workloadBehind,
  workloadRunning,
  workloads,
} from './manifests';
import {
  allowedConnections,
  type Connection,
  describeConnection,
  type Endpoint,
  isAllowed,
  matchesSelector,
  type Network,
  type Protocol,
} from './network-policy';
import { startupEnvOf } from './service-env';

/** The manifests name no namespace, so they land in kubectl's current one; this stands for it. */
const NAMESPACE = 'ticketing';

/** Who may reach the internet, on which ports: payments calls Stripe over HTTPS. */
const INTERNET_EGRESS: Record<string, number[]> = { payments: [443] };

/** Services an ingress controller would need exposed on the nodes: none (the minikube addon brings its own). */
const NODE_EXPOSED_SERVICES: string[] = [];

/** Pods and addresses outside the manifests, as a cluster (minikube with the ingress addon) has them. */
const outside = {
  controller: outsidePod('ingress-nginx/controller', 'ingress-nginx', '10.244.1.10', {
    'app.kubernetes.io/name': 'ingress-nginx',
    'app.kubernetes.io/instance': 'ingress-nginx',
    'app.kubernetes.io/component': 'controller',
  }),
  admissionJob: outsidePod('ingress-nginx/admission-create', 'ingress-nginx', '10.244.1.11', {
    'app.kubernetes.io/name': 'ingress-nginx',
    'app.kubernetes.io/instance': 'ingress-nginx',
    'app.kubernetes.io/component': 'admission-webhook',
  }),
  dns: outsidePod('kube-system/coredns', 'kube-system', '10.244.1.2', { 'k8s-app': 'kube-dns' }),
  kubeSystem: outsidePod('kube-system/metrics-server', 'kube-system', '10.244.1.3', { 'k8s-app': 'metrics-server' }),
  prometheus: outsidePod('monitoring/prometheus', 'monitoring', '10.244.2.10', { 'app.kubernetes.io/name': 'prometheus' }),
  // `kubectl run debug --image=busybox` in the application's namespace.
  debug: outsidePod(`${NAMESPACE}/debug`, NAMESPACE, '10.244.0.250', { run: 'debug' }),
  // A service's labels in another namespace: a podSelector without namespaceSelector must not match it.
  lookalike: outsidePod('other/tickets', 'other', '10.244.3.10', { app: 'tickets' }),
  stripe: { name: 'internet 54.187.174.169', ip: '54.187.174.169' },
  stripeIpv6: { name: 'internet 2600:1f14::1', ip: '2600:1f14::1' },
  metadata: { name: 'cloud metadata 169.254.169.254', ip: '169.254.169.254' },
  node: { name: 'node 192.168.49.2', ip: '192.168.49.2' },
  apiServer: { name: 'kubernetes API 10.96.0.1', ip: '10.96.0.1' },
  privateIpv6: { name: 'private fd00::1', ip: 'fd00::1' },
} satisfies Record<string, Endpoint>;

/** One profile's deployment as the checks see it. */
interface Deployed {
  profile: string;
  manifests: LoadedManifest[];
  network: Network;
  /** One endpoint per pod (two for a workload of several replicas, so peers of one set can be checked). */
  pods: Array<{ workload: Workload; endpoint: Endpoint }>;
  endpoints: Endpoint[];
  ports: Array<{ port: number; protocol: Protocol }>;
}

function deploy(profile: string, manifests: LoadedManifest[], policies = policiesIn(manifests)): Deployed {
  let host = 10;
  const pods = workloads(manifests).flatMap(({ object: workload }) => {
    const replicas = Math.min(replicasOf(workload), 2);
    const namedPorts = Object.fromEntries(
      containersOf(workload).flatMap((c) => (c.ports ?? []).flatMap((p) => (p.name ? [[p.name, p.containerPort]] : []))),
    );
    return Array.from({ length: replicas }, (_, i) => ({
      workload,
      endpoint: {
        name: replicas > 1 ? `${workload.metadata?.name}-${i}` : `${workload.metadata?.name}`,
        ip: `10.244.0.${host++}`,
        pod: { namespace: NAMESPACE, labels: workload.spec?.template.metadata?.labels ?? {}, namedPorts },
      },
    }));
  });
  // Every port a container or a policy names, and the usual suspects.
  const tcp = new Set([53, 80, 443, 3000, 4222, 6222, 8222, 27017]);
  for (const { object } of workloads(manifests))
    for (const c of containersOf(object)) for (const p of c.ports ?? []) tcp.add(p.containerPort);
  for (const policy of policies) {
    for (const rule of [...(policy.spec?.ingress ?? []), ...(policy.spec?.egress ?? [])]) {
      for (const p of rule.ports ?? []) if (typeof p.port === 'number') tcp.add(p.port);
    }
  }
  return {
    profile,
    manifests,
    network: { namespace: NAMESPACE, policies },
    pods,
    endpoints: [...pods.map((p) => p.endpoint), ...Object.values(outside)],
    ports: [...[...tcp].sort((a, b) => a - b).map((port) => ({ port, protocol: 'TCP' as const })), { port: 53, protocol: 'UDP' }],
  };
}

function policiesIn(manifests: LoadedManifest[]): INetworkPolicy[] {
  return ofKind<INetworkPolicy>(manifests, 'NetworkPolicy').map(({ object }) => object);
}

/** The connections the system needs, from the manifests and the services' configuration: nothing more. */
function intendedConnections(deployed: Deployed): Connection[] {
  const { manifests, pods } = deployed;
  const podsOf = (workload: Workload | undefined) => pods.filter((p) => p.workload === workload).map((p) => p.endpoint);
  const intended: Connection[] = [];
  const allow = (from: Endpoint[], to: Endpoint[], port: number, protocol: Protocol = 'TCP') => {
    for (const f of from) for (const t of to) if (f !== t) intended.push({ from: f, to: t, port, protocol });
  };

  // Name resolution, for every pod of the namespace (a `kubectl run` pod included).
  const ours = deployed.endpoints.filter((e) => e.pod?.namespace === NAMESPACE);
  allow(ours, [outside.dns], 53, 'UDP');
  allow(ours, [outside.dns], 53, 'TCP');

  // The ingress controller, to the pods behind each Ingress backend, on the port the Service sends to.
  for (const { object: ingress } of ofKind<IIngress>(manifests, 'Ingress')) {
    for (const route of (ingress.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? [])) {
      const backend = route.backend.service;
      const target = backend && behindService(manifests, backend.name, backend.port?.number ?? backend.port?.name);
      if (!target) throw new Error(`Ingress ${ingress.metadata?.name}: no pods behind ${route.path}`);
      allow([outside.controller], podsOf(target.workload), target.port);
    }
  }

  // Each service: the database and (if it uses one) the bus its environment names.
  const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap').map(({ object }) => object);
  for (const { name } of SERVICES) {
    const workload = workloadRunning(manifests, `ticketing/${name}`);
    const container = workload && containersOf(workload).find((c) => c.image === `ticketing/${name}`);
    if (!workload || !container) throw new Error(`no Deployment runs ticketing/${name}`);
    const env = providedEnv(container, configMaps);
    const reads = new Set(startupEnvOf(name).map((read) => read.name));
    for (const variable of ['MONGO_URL', 'NATS_URL']) {
      if (!reads.has(variable)) continue; // a service without a database or bus
      const target = behindUrl(manifests, env.get(variable));
      if (!target) throw new Error(`${name}: no pods behind ${variable}=${env.get(variable)}`);
      allow(podsOf(workload), podsOf(target.workload), target.port);
    }
    for (const port of INTERNET_EGRESS[name] ?? []) allow(podsOf(workload), [outside.stripe, outside.stripeIpv6], port);
  }

  // Each Job (the event bus's provisioning): the bus its environment names, nothing else.
  for (const { object: job } of ofKind<IJob>(manifests, 'Job')) {
    for (const container of containersOf(job)) {
      const url = providedEnv(container, configMaps).get('NATS_URL');
      if (url === undefined) continue;
      const target = behindUrl(manifests, url);
      if (!target) throw new Error(`Job ${job.metadata?.name}: no pods behind NATS_URL=${url}`);
      allow(podsOf(job), podsOf(target.workload), target.port);
    }
  }

  // NATS servers of one cluster, to each other on the route port (none here: one server per bus).
  for (const { workload } of pods) {
    const routePort = clusterPortOf(workload);
    if (routePort !== undefined) allow(podsOf(workload), podsOf(workload), routePort);
  }
  return unique(intended);
}

/** The workload behind a Service and the container port its `port` (number or name) sends to. */
function behindService(manifests: LoadedManifest[], serviceName: string, port: number | string | undefined) {
  const service = named(ofKind<IService>(manifests, 'Service'), serviceName);
  const servicePort = service?.spec?.ports?.find((p) => p.port === port || (p.name !== undefined && p.name === port));
  const workload = workloads(manifests).find(({ object }) =>
    selects(service?.spec?.selector, object.spec?.template.metadata?.labels),
  )?.object;
  const targetPort = servicePort?.targetPort ?? servicePort?.port;
  const containerPort = workload
    ? containersOf(workload)
        .flatMap((c) => c.ports ?? [])
        .find((p) => p.containerPort === targetPort || (p.name !== undefined && p.name === targetPort))?.containerPort
    : undefined;
  return workload && containerPort !== undefined ? { workload, port: containerPort } : undefined;
}

/** The workload and port every address of a URL list reaches (a bus is given each of its servers). */
function behindUrl(manifests: LoadedManifest[], urls: string | undefined) {
  if (!urls) return undefined;
  const targets = urlsOf(urls).map(({ hostname, port }) => {
    const service = serviceForHost(manifests, hostname);
    return service?.metadata?.name ? behindService(manifests, service.metadata.name, Number(port)) : undefined;
  });
  const [first] = targets;
  return targets.every((t) => t && first && t.workload === first.workload && t.port === first.port) ? first : undefined;
}

/** The route port of a NATS server started with `-cluster`/`--cluster <url>`, or a container port named cluster. */
function clusterPortOf(workload: Workload): number | undefined {
  for (const container of containersOf(workload)) {
    const args = container.args ?? [];
    const at = args.findIndex((arg) => arg === '-cluster' || arg === '--cluster');
    if (at >= 0) return Number(new URL(args[at + 1]).port);
    const port = container.ports?.find((p) => p.name === 'cluster' || p.name === 'routes');
    if (port) return port.containerPort;
  }
  return undefined;
}

/** The NATS server of a profile: the workload behind the event-bus ConfigMap's NATS_URL. */
function busOf(manifests: LoadedManifest[]): Workload {
  const eventBus = named(ofKind<IConfigMap>(manifests, 'ConfigMap'), 'event-bus');
  const bus = workloadBehind(manifests, eventBus?.data?.NATS_URL);
  if (!bus) throw new Error(`no NATS server behind event-bus NATS_URL=${eventBus?.data?.NATS_URL}`);
  return bus;
}

function unique(connections: Connection[]): Connection[] {
  const seen = new Set<string>();
  return connections.filter((c) => !seen.has(describeConnection(c)) && !!seen.add(describeConnection(c)));
}

/** What the policies allow beyond the intended connections, and what they block of them. */
function differences(deployed: Deployed, only?: Endpoint) {
  const involves = (c: Connection) => only === undefined || c.from === only || c.to === only;
  const allowed = allowedConnections(deployed.network, deployed.endpoints, deployed.ports).filter(involves).map(describeConnection);
  const intended = intendedConnections(deployed).filter(involves);
  const intendedDescribed = new Set(intended.map(describeConnection));
  return {
    unexpected: allowed.filter((c) => !intendedDescribed.has(c)),
    // Checked one by one, so an intended connection on a port outside the probed set is still checked.
    blocked: intended
      .filter((c) => !isAllowed(deployed.network, c))
      .map(describeConnection)
      .sort(),
  };
}

/** The NetworkPolicy blocks of infra/k8s/README.md's yaml examples. */
function readmePolicies(): INetworkPolicy[] {
  const readme = readFileSync(path.join(k8sDir, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((match) => parse(match[1]) as Manifest)
    .filter((object) => object?.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
}

function outsidePod(name: string, namespace: string, ip: string, labels: Record<string, string>): Endpoint {
  return { name, ip, pod: { namespace, labels } };
}

/** Who may connect to what: default deny, then only what each pod needs (docs: infra/k8s/README.md). */
describe('NetworkPolicies', () => {
  const profiles = manifestsPerProfile().map(({ profile, manifests }) => deploy(profile, manifests));

  it('When any profile is deployed, then a default-deny policy from base/ isolates every pod, ingress and egress', () => {
    for (const { profile, manifests, pods } of profiles) {
      const denyAll = ofKind<INetworkPolicy>(manifests, 'NetworkPolicy').filter(
        ({ object }) =>
          Object.keys(object.spec?.podSelector ?? { none: true }).length === 0 &&
          (object.spec?.policyTypes ?? []).includes('Ingress') &&
          (object.spec?.policyTypes ?? []).includes('Egress') &&
          (object.spec?.ingress ?? []).length === 0 &&
          (object.spec?.egress ?? []).length === 0,
      );
      expect({ profile, files: denyAll.map(({ source }) => source.replace(/#\d+$/, '')) }).toEqual({
        profile,
        files: ['infra/k8s/base/network-policies.yaml'],
      });
      // It selects every pod of the manifests (an empty podSelector selects all in the namespace).
      const isolated = pods.map(
        ({ endpoint }) => endpoint.pod && matchesSelector(denyAll[0]?.object.spec?.podSelector, endpoint.pod.labels),
      );
      expect({ profile, isolated }).toEqual({ profile, isolated: pods.map(() => true) });
    }
  });

  describe.each(SERVICES.map(({ name }) => name))('%s', (name) => {
    it.each(profiles.map((p) => [p.profile, p] as const))(
      'When it runs (profile %s), then it reaches and is reached by exactly what it needs',
      (_profile, deployed) => {
        const own = deployed.pods.find(({ workload }) => containersOf(workload).some((c) => c.image === `ticketing/${name}`));
        if (!own) throw new Error(`no pod runs ticketing/${name}`);
        expect({ profile: deployed.profile, ...differences(deployed, own.endpoint) }).toEqual({
          profile: deployed.profile,
          unexpected: [],
          blocked: [],
        });
        // The intended set is not empty by accident: ingress, DNS and the database at least.
        expect(intendedConnections(deployed).filter((c) => c.from === own.endpoint || c.to === own.endpoint).length).toBeGreaterThanOrEqual(
          4,
        );
      },
    );
  });

  it('When any profile is deployed, then the allowed connections between all pods and addresses are exactly the intended ones', () => {
    for (const deployed of profiles) {
      expect({ profile: deployed.profile, ...differences(deployed) }).toEqual({ profile: deployed.profile, unexpected: [], blocked: [] });
    }
  });

  it('When the connections of the jetstream profile are listed, then they are this matrix', () => {
    const deployed = profiles.find((p) => p.profile === 'jetstream');
    if (!deployed) throw new Error('no jetstream profile');
    const allowed = allowedConnections(deployed.network, deployed.endpoints, deployed.ports).map(describeConnection);
    const pods = [
      'auth',
      'auth-mongo',
      'client',
      'event-bus-provision',
      'nats-0',
      'nats-1',
      'orders',
      'orders-mongo',
      'payments',
      'payments-mongo',
      'tickets',
      'tickets-mongo',
    ];
    const dns = [...pods, `${NAMESPACE}/debug`].flatMap((pod) => [
      `${pod} -> kube-system/coredns 53/TCP`,
      `${pod} -> kube-system/coredns 53/UDP`,
    ]);
    expect(allowed).toEqual(
      [
        ...dns,
        'auth -> auth-mongo 27017/TCP',
        'auth -> nats-0 4222/TCP',
        'auth -> nats-1 4222/TCP',
        'event-bus-provision -> nats-0 4222/TCP',
        'event-bus-provision -> nats-1 4222/TCP',
        'ingress-nginx/controller -> auth 3000/TCP',
        'ingress-nginx/controller -> client 8080/TCP',
        // The cluster's routes (the check models two pods of the three).
        'nats-0 -> nats-1 6222/TCP',
        'nats-1 -> nats-0 6222/TCP',
        'ingress-nginx/controller -> orders 3000/TCP',
        'ingress-nginx/controller -> payments 3000/TCP',
        'ingress-nginx/controller -> tickets 3000/TCP',
        'orders -> nats-0 4222/TCP',
        'orders -> nats-1 4222/TCP',
        'orders -> orders-mongo 27017/TCP',
        'payments -> internet 2600:1f14::1 443/TCP',
        'payments -> internet 54.187.174.169 443/TCP',
        'payments -> nats-0 4222/TCP',
        'payments -> nats-1 4222/TCP',
        'payments -> payments-mongo 27017/TCP',
        'tickets -> nats-0 4222/TCP',
        'tickets -> nats-1 4222/TCP',
        'tickets -> tickets-mongo 27017/TCP',
      ].sort(),
    );
  });

  it('When anything connects to the NATS monitor port, then no pod or address reaches it, and no Service, Ingress or host port exposes it', () => {
    for (const { profile, manifests, network, pods, endpoints } of profiles) {
      const bus = busOf(manifests);
      const [server] = containersOf(bus);
      const monitor = server.ports?.find((p) => p.name === 'monitor');
      expect({ profile, monitor: monitor?.containerPort }).toEqual({ profile, monitor: 8222 });
      const monitorPort = monitor?.containerPort ?? 8222;
      const busPods = pods.filter((p) => p.workload === bus).map((p) => p.endpoint);
      const reachers = endpoints.flatMap((from) =>
        busPods
          .filter((to) => to !== from && isAllowed(network, { from, to, port: monitorPort }))
          .map((to) => `${from.name} -> ${to.name}`),
      );
      // Nor does the server's own ingress admit anyone there, whatever the sources' egress allows.
      const ingressOnly: Network = {
        ...network,
        policies: network.policies.map((p) => ({
          ...p,
          spec: { ...p.spec, podSelector: p.spec?.podSelector ?? {}, policyTypes: ['Ingress'], egress: undefined },
        })),
      };
      const admitted = endpoints.flatMap((from) =>
        busPods
          .filter((to) => to !== from && isAllowed(ingressOnly, { from, to, port: monitorPort }))
          .map((to) => `${from.name} -> ${to.name}`),
      );
      expect({ profile, reachers, admitted }).toEqual({ profile, reachers: [], admitted: [] });

      // Services that send to the monitor port: reachable inside the cluster only (and port-forward).
      const services = ofKind<IService>(manifests, 'Service').map(({ object }) => object);
      const monitorServices = services.filter(
        (s) =>
          selects(s.spec?.selector, bus.spec?.template.metadata?.labels) &&
          (s.spec?.ports ?? []).some((p) => [monitorPort, monitor?.name].includes(p.targetPort ?? p.port)),
      );
      for (const service of monitorServices) {
        expect({
          profile,
          service: service.metadata?.name,
          type: service.spec?.type ?? 'ClusterIP',
          externalIPs: service.spec?.externalIPs,
        }).toEqual({
          profile,
          service: service.metadata?.name,
          type: 'ClusterIP',
          externalIPs: undefined,
        });
      }
      const routedToMonitor = ofKind<IIngress>(manifests, 'Ingress')
        .flatMap(({ object }) => (object.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []))
        .filter((route) => {
          const backend = route.backend.service;
          return backend && behindService(manifests, backend.name, backend.port?.number ?? backend.port?.name)?.port === monitorPort;
        })
        .map((route) => route.path);
      expect({ profile, routedToMonitor }).toEqual({ profile, routedToMonitor: [] });
      // hostNetwork or a hostPort would put a port on the node, where NetworkPolicy does not reach.
      for (const { object } of workloads(manifests)) {
        const hostPorts = containersOf(object).flatMap((c) =>
          (c.ports ?? []).filter((p) => p.hostPort !== undefined).map((p) => p.hostPort),
        );
        expect({
          profile,
          workload: object.metadata?.name,
          hostNetwork: object.spec?.template.spec?.hostNetwork ?? false,
          hostPorts,
        }).toEqual({
          profile,
          workload: object.metadata?.name,
          hostNetwork: false,
          hostPorts: [],
        });
      }
    }
  });

  it('When any Service is deployed, then it is ClusterIP or headless: no NodePort, LoadBalancer, ExternalName or external IP', () => {
    for (const { profile, manifests } of profiles) {
      for (const { object: service } of ofKind<IService>(manifests, 'Service')) {
        const name = service.metadata?.name ?? '';
        const exposed = (service.spec?.type ?? 'ClusterIP') !== 'ClusterIP' || (service.spec?.externalIPs ?? []).length > 0;
        expect({ profile, service: name, exposed }).toEqual({ profile, service: name, exposed: NODE_EXPOSED_SERVICES.includes(name) });
      }
    }
  });

  it('When no Prometheus is deployed, then none may scrape; the rule infra/k8s/README.md gives an operator lets it reach each annotated pod on its metrics port and nothing else', () => {
    const readme = readmePolicies();
    expect(readme).toHaveLength(1);
    for (const deployed of profiles) {
      const { profile, manifests, network, pods, endpoints, ports } = deployed;
      expect({
        profile,
        prometheusDeployed: workloads(manifests).some(({ object }) => containersOf(object).some((c) => /prometheus/.test(c.image ?? ''))),
      }).toEqual({ profile, prometheusDeployed: false });
      const fromPrometheus = (policies: INetworkPolicy[]) =>
        allowedConnections({ ...network, policies }, endpoints, ports)
          .filter((c) => c.from === outside.prometheus)
          .map(describeConnection);
      expect({ profile, scrapes: fromPrometheus(network.policies) }).toEqual({ profile, scrapes: [] });

      const annotated = pods.flatMap(({ workload, endpoint }) => {
        const annotations = workload.spec?.template.metadata?.annotations ?? {};
        return annotations['prometheus.io/scrape'] === 'true'
          ? [describeConnection({ from: outside.prometheus, to: endpoint, port: Number(annotations['prometheus.io/port']) })]
          : [];
      });
      expect(annotated).toHaveLength(SERVICES.length);
      expect({ profile, scrapes: fromPrometheus([...network.policies, ...readme]) }).toEqual({ profile, scrapes: annotated.sort() });
    }
  });

  it("When the README's Prometheus rule is checked against the Kubernetes schemas, then it is valid", () => {
    const documents = readmePolicies().map((object, i) => ({ source: `infra/k8s/README.md#${i}`, object: object as unknown as Manifest }));
    expect(schemaErrors(documents)).toEqual([]);
    expect(typeErrors(documents)).toEqual([]);
  }, 60_000);

  describe('the checks themselves', () => {
    const jetstream = profiles.find((p) => p.profile === 'jetstream');
    if (!jetstream) throw new Error('no jetstream profile');
    /** The jetstream deployment with its policies changed by `change` (given a copy). */
    const broken = (change: (policies: INetworkPolicy[]) => INetworkPolicy[]) =>
      deploy('broken', jetstream.manifests, change(structuredClone(jetstream.network.policies)));
    const policy = (policies: INetworkPolicy[], name: string) => {
      const found = policies.find((p) => p.metadata?.name === name);
      if (!found?.spec) throw new Error(`no policy ${name}`);
      return found.spec;
    };

    it('When the default deny is dropped, then a pod no other policy names accepts anything, and the check says so', () => {
      const withoutDeny = differences(broken((policies) => policies.filter((p) => p.metadata?.name !== 'default-deny')));
      expect(withoutDeny.unexpected).toEqual(
        expect.arrayContaining([
          `monitoring/prometheus -> ${NAMESPACE}/debug 80/TCP`,
          `internet 54.187.174.169 -> ${NAMESPACE}/debug 443/TCP`,
        ]),
      );
      // allow-dns selects every pod for egress, which isolates egress by itself; without both, it is open too.
      const withoutEither = differences(
        broken((policies) => policies.filter((p) => !['default-deny', 'allow-dns'].includes(p.metadata?.name ?? ''))),
      );
      expect(withoutEither.unexpected).toEqual(
        expect.arrayContaining(['auth-mongo -> internet 54.187.174.169 443/TCP', 'orders-mongo -> cloud metadata 169.254.169.254 80/TCP']),
      );
    });

    it("When a database's policy admits any source, then a pod of another namespace reaching it is reported", () => {
      const { unexpected } = differences(
        broken((policies) => {
          policy(policies, 'tickets-mongo').ingress = [{ ports: [{ protocol: 'TCP', port: 27017 }] }];
          return policies;
        }),
      );
      expect(unexpected).toEqual(
        expect.arrayContaining(['other/tickets -> tickets-mongo 27017/TCP', 'monitoring/prometheus -> tickets-mongo 27017/TCP']),
      );
    });

    it('When NATS is opened to every pod of the namespace, then the pods that are no bus client are reported', () => {
      const { unexpected } = differences(
        broken((policies) => {
          policy(policies, 'event-bus-clients').podSelector = {};
          policy(policies, 'nats').ingress?.[0].from?.push({ podSelector: {} });
          return policies;
        }),
      );
      expect(unexpected).toEqual(expect.arrayContaining([`${NAMESPACE}/debug -> nats-0 4222/TCP`, 'auth-mongo -> nats-1 4222/TCP']));
    });

    it('When the provisioning job loses its way to NATS, then the blocked connection is reported', () => {
      const { blocked } = differences(
        broken((policies) => {
          const clients = policy(policies, 'event-bus-clients').podSelector?.matchExpressions?.[0];
          if (clients) clients.values = clients.values?.filter((app) => app !== 'event-bus-provision');
          return policies;
        }),
      );
      expect(blocked).toEqual(['event-bus-provision -> nats-0 4222/TCP', 'event-bus-provision -> nats-1 4222/TCP']);
    });

    it('When the monitor port is opened to another namespace, then it is reported', () => {
      const deployed = broken((policies) => {
        policy(policies, 'nats').ingress?.push({ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 8222 }] });
        return policies;
      });
      expect(differences(deployed).unexpected).toContain('monitoring/prometheus -> nats-0 8222/TCP');
    });

    it('When DNS or the route to Stripe is dropped, then the blocked connections are reported', () => {
      const { blocked } = differences(
        broken((policies) => {
          const payments = policy(policies, 'payments');
          payments.egress = payments.egress?.filter((rule) => !rule.to?.some((peer) => peer.ipBlock));
          return policies.filter((p) => p.metadata?.name !== 'allow-dns');
        }),
      );
      expect(blocked).toEqual(
        expect.arrayContaining([
          'auth -> kube-system/coredns 53/UDP',
          'payments -> internet 54.187.174.169 443/TCP',
          'tickets-mongo -> kube-system/coredns 53/TCP',
        ]),
      );
    });

    it('When the evaluator is given the cases NetworkPolicy defines, then it answers as Kubernetes does', () => {
      const a = outsidePod('a', 'ns', '10.0.0.1', { app: 'a' });
      const b = {
        ...outsidePod('b', 'ns', '10.0.0.2', { app: 'b' }),
        pod: { namespace: 'ns', labels: { app: 'b' }, namedPorts: { http: 8080 } },
      };
      const elsewhere = outsidePod('c', 'other', '10.0.1.1', { app: 'a' });
      const net = (...policies: INetworkPolicy[]): Network => ({ namespace: 'ns', policies, namespaceLabels: { other: { team: 'x' } } });
      const ingressTo = (
        labels: Record<string, string>,
        rule: NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number],
      ): INetworkPolicy => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'p' },
        spec: { podSelector: { matchLabels: labels }, ingress: [rule] },
      });
      // No policy: open.
      expect(isAllowed(net(), { from: a, to: b, port: 1 })).toBe(true);
      // A policy without policyTypes and without egress isolates ingress only.
      expect(isAllowed(net(ingressTo({ app: 'a' }, { from: [] })), { from: a, to: b, port: 1 })).toBe(true);
      expect(
        isAllowed(net(ingressTo({ app: 'b' }, { from: [{ podSelector: { matchLabels: { app: 'x' } } }] })), { from: a, to: b, port: 1 }),
      ).toBe(false);
      // Empty from: everyone; a named port resolves on the destination pod; protocols default to TCP.
      const namedPort = net(ingressTo({ app: 'b' }, { ports: [{ port: 'http' }] }));
      expect([8080, 8081].map((port) => isAllowed(namedPort, { from: elsewhere, to: b, port }))).toEqual([true, false]);
      expect(isAllowed(namedPort, { from: a, to: b, port: 8080, protocol: 'UDP' })).toBe(false);
      // namespaceSelector and podSelector in one peer: both must hold; in two peers: either.
      const both = net(
        ingressTo(
          { app: 'b' },
          { from: [{ namespaceSelector: { matchLabels: { team: 'x' } }, podSelector: { matchLabels: { app: 'z' } } }] },
        ),
      );
      const either = net(
        ingressTo(
          { app: 'b' },
          { from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }, { podSelector: { matchLabels: { app: 'z' } } }] },
        ),
      );
      expect([isAllowed(both, { from: elsewhere, to: b, port: 1 }), isAllowed(either, { from: elsewhere, to: b, port: 1 })]).toEqual([
        false,
        true,
      ]);
      // A podSelector alone stays in the policy's namespace.
      const sameLabels = net(ingressTo({ app: 'b' }, { from: [{ podSelector: { matchLabels: { app: 'a' } } }] }));
      expect([isAllowed(sameLabels, { from: a, to: b, port: 1 }), isAllowed(sameLabels, { from: elsewhere, to: b, port: 1 })]).toEqual([
        true,
        false,
      ]);
      // ipBlock with except; port ranges; matchExpressions.
      const egress: INetworkPolicy = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'e' },
        spec: {
          podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a'] }] },
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 1000, endPort: 1010 }] }],
        },
      };
      const internet = { name: 'i', ip: '8.8.8.8' };
      expect([999, 1000, 1010, 1011].map((port) => isAllowed(net(egress), { from: a, to: internet, port }))).toEqual([
        false,
        true,
        true,
        false,
      ]);
      expect(isAllowed(net(egress), { from: a, to: b, port: 1000 })).toBe(false);
    });
  });
});
