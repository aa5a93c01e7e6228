import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/launcher/system';
import {
  containersOf,
  type IConfigMap,
  type IContainer,
  type IDeployment,
  type IIngress,
  type IService,
  type IStatefulSet,
  k8sDir,
  type LoadedManifest,
  manifestsPerProfile,
  named,
  ofKind,
  providedEnv,
  readSkaffoldConfig,
  repoRoot,
  selects,
  serviceForHost,
  urlsOf,
  type Workload,
  workloadBehind,
  workloadRunning,
  workloads,
} from './manifests';
import { startupEnvOf } from './service-env';

/** The manifests fit together and fit the services: routes, ports, selectors, environment, probes, images. */
describe('Kubernetes wiring', () => {
  const profiles = manifestsPerProfile();
  const artifacts = new Set(readSkaffoldConfig().build.artifacts.map((a) => a.image));

  /** The container of service `name` in its Deployment (the one running image ticketing/<name>). */
  const serviceContainer = (manifests: LoadedManifest[], name: string) => {
    const deployment = workloadRunning(manifests, `ticketing/${name}`) as IDeployment | undefined;
    const container = deployment && containersOf(deployment).find((c) => c.image === `ticketing/${name}`);
    if (!deployment || !container) throw new Error(`no Deployment runs ticketing/${name}`);
    return { deployment, container };
  };

  /** The container port a Service's targetPort or a probe's port refers to (by number or by name). */
  const containerPort = (container: IContainer, port: number | string | undefined) =>
    container.ports?.find((p) => p.containerPort === port || (p.name !== undefined && p.name === port))?.containerPort;

  /** The ingress paths of the web client (its Deployment `client`). */
  const CLIENT_PATHS = ['/', '/api/docs'];

  it("When a request reaches the ingress under a service prefix, then it goes to that service's Service, port and pods", () => {
    for (const { profile, manifests } of profiles) {
      const ingresses = ofKind<IIngress>(manifests, 'Ingress').map(({ object }) => object);
      expect(ingresses).toHaveLength(1);
      const [ingress] = ingresses;
      expect(ingress.spec?.ingressClassName).toBe('nginx');
      const rules = ingress.spec?.rules ?? [];
      expect(rules.map((r) => r.host)).toEqual(['ticketing.dev']);
      const paths = rules.flatMap((r) => r.http?.paths ?? []);
      // Every route belongs to a service or to the web client, and every service prefix has a route.
      expect(paths.map((p) => p.path).sort()).toEqual([...SERVICES.map((s) => s.prefix), ...CLIENT_PATHS].sort());
      // The client's: `/` (its pages) and /api/docs (the API description), to its Service, port and pods.
      for (const clientPath of CLIENT_PATHS) {
        const backend = paths.find((p) => p.path === clientPath)?.backend.service;
        const service = backend && named(ofKind<IService>(manifests, 'Service'), backend.name);
        const client = workloadRunning(manifests, 'ticketing/client');
        const port = service?.spec?.ports?.find((p) => p.port === backend?.port?.number);
        expect({
          profile,
          clientPath,
          service: backend?.name,
          selectsThePods: selects(service?.spec?.selector, client?.spec?.template.metadata?.labels),
          targetPort: client && containerPort(containersOf(client)[0], port?.targetPort ?? port?.port),
        }).toEqual({ profile, clientPath, service: 'client-srv', selectsThePods: true, targetPort: 8080 });
      }

      for (const { name, prefix } of SERVICES) {
        const route = paths.find((p) => p.path === prefix);
        const backend = route?.backend.service;
        const service = backend && named(ofKind<IService>(manifests, 'Service'), backend.name);
        const servicePort = service?.spec?.ports?.find((p) =>
          backend?.port?.number !== undefined ? p.port === backend.port.number : p.name === backend?.port?.name,
        );
        const { deployment, container } = serviceContainer(manifests, name);
        const pod = deployment.spec?.template;
        const listensOn = container.env?.find((e) => e.name === 'PORT')?.value;
        expect({
          profile,
          prefix,
          pathType: route?.pathType,
          service: backend?.name,
          servicePortFound: servicePort !== undefined,
          selectsThePods: selects(service?.spec?.selector, pod?.metadata?.labels),
          deploymentSelectsItsPods: selects(deployment.spec?.selector.matchLabels, pod?.metadata?.labels),
          // The Service sends traffic to a port of the container, and the service listens on that port.
          targetPort: containerPort(container, servicePort?.targetPort ?? servicePort?.port),
          listensOn: listensOn === undefined ? undefined : Number(listensOn),
        }).toEqual({
          profile,
          prefix,
          pathType: 'Prefix',
          service: `${name}-srv`,
          servicePortFound: true,
          selectsThePods: true,
          deploymentSelectsItsPods: true,
          targetPort: 3000,
          listensOn: 3000,
        });
      }
    }
  });

  it('When any Service or StatefulSet is deployed, then the Service selects running pods on a port they expose', () => {
    for (const { profile, manifests } of profiles) {
      const all = workloads(manifests).map(({ object }) => object);
      for (const { object: service } of ofKind<IService>(manifests, 'Service')) {
        const target = all.find((w) => selects(service.spec?.selector, w.spec?.template.metadata?.labels));
        const ports = (service.spec?.ports ?? []).map((p) => ({
          port: p.port,
          exposed: target !== undefined && containersOf(target).some((c) => containerPort(c, p.targetPort ?? p.port) !== undefined),
        }));
        expect({ profile, service: service.metadata?.name, selects: target?.metadata?.name !== undefined, ports }).toEqual({
          profile,
          service: service.metadata?.name,
          selects: true,
          ports: ports.map(({ port }) => ({ port, exposed: true })),
        });
      }
      for (const { object: set } of ofKind<IStatefulSet>(manifests, 'StatefulSet')) {
        const governing = named(ofKind<IService>(manifests, 'Service'), set.spec?.serviceName ?? '');
        expect({
          profile,
          set: set.metadata?.name,
          governed: selects(governing?.spec?.selector, set.spec?.template.metadata?.labels),
        }).toEqual({
          profile,
          set: set.metadata?.name,
          governed: true,
        });
      }
    }
  });

  it('When a service starts in any profile, then every variable it requires is set by its Deployment, and those of the bus match the bus deployed', () => {
    for (const { profile, manifests } of profiles) {
      const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap').map(({ object }) => object);
      for (const { name } of SERVICES) {
        const { container } = serviceContainer(manifests, name);
        const provided = providedEnv(container, configMaps);
        const required = startupEnvOf(name).filter((read) => read.isRequired);
        expect(required.length).toBeGreaterThan(0); // the reads were found at all
        const missing = required.filter((read) => !provided.has(read.name)).map((read) => `${read.name} (${read.where})`);
        expect({ profile, service: name, missing }).toEqual({ profile, service: name, missing: [] });

        // The bus settings have defaults in the code but must describe the server this profile deploys
        // (profiles are named after their transport; no profile means JetStream).
        if (startupEnvOf(name).some((read) => read.name === 'NATS_URL')) {
          const transport = profile === '(default)' ? 'jetstream' : profile;
          const server = workloadBehind(manifests, provided.get('NATS_URL'));
          const clusterId = transport === 'stan' ? provided.get('NATS_CLUSTER_ID') : undefined;
          const serverClusterId = transport === 'stan' ? argumentOf(server, '-cid') : undefined;
          expect({ profile, service: name, transport: provided.get('EVENT_TRANSPORT'), clusterId }).toEqual({
            profile,
            service: name,
            transport,
            clusterId: serverClusterId,
          });
        }
      }
    }
  });

  it("When a service's environment names a host, then that Service exists in the same profile with that port", () => {
    for (const { profile, manifests } of profiles) {
      const configMaps = ofKind<IConfigMap>(manifests, 'ConfigMap').map(({ object }) => object);
      for (const { name } of SERVICES) {
        const { container } = serviceContainer(manifests, name);
        for (const [variable, value] of providedEnv(container, configMaps)) {
          if (!/^(mongodb|nats):\/\//.test(value ?? '')) continue;
          for (const { hostname: host, port } of urlsOf(value ?? '')) {
            const ports = serviceForHost(manifests, host)?.spec?.ports?.map((p) => p.port);
            expect({ profile, service: name, variable, host, hasPort: ports?.includes(Number(port)) }).toEqual({
              profile,
              service: name,
              variable,
              host,
              hasPort: true,
            });
          }
        }
      }
    }
  });

  it('When a Deployment reads a Secret that is not in the manifests, then infra/k8s/README.md says how to create it', () => {
    const readme = readFileSync(path.join(k8sDir, 'README.md'), 'utf8');
    for (const { manifests } of profiles) {
      for (const { object } of workloads(manifests)) {
        for (const container of containersOf(object)) {
          for (const { valueFrom } of container.env ?? []) {
            const secret = valueFrom?.secretKeyRef;
            if (!secret || manifests.some(({ object: o }) => o.kind === 'Secret' && o.metadata.name === secret.name)) continue;
            // From a literal value or from a file (a PEM key).
            expect(readme).toMatch(new RegExp(`kubectl create secret generic ${secret.name} --from-(literal|file)=${secret.key}=`));
          }
        }
      }
    }
  });

  it('When a Deployment sets a variable for its service, then the service reads it (a misspelt name would be ignored)', () => {
    // Read by Node and the libraries rather than by the service's config (the CA for NATS over TLS: README).
    const readByRuntime = new Set(['NODE_ENV', 'NODE_EXTRA_CA_CERTS']);
    for (const { profile, manifests } of profiles) {
      for (const { name } of SERVICES) {
        const { container } = serviceContainer(manifests, name);
        const read = new Set(startupEnvOf(name).map((r) => r.name));
        const unread = (container.env ?? []).map((e) => e.name).filter((variable) => !read.has(variable) && !readByRuntime.has(variable));
        expect({ profile, service: name, unread }).toEqual({ profile, service: name, unread: [] });
      }
    }
  });

  it('When a service is given a key or secret, then it comes from a Secret, and no Stripe key is written anywhere in infra or skaffold.yaml', () => {
    const isCredential = (variable: string) => /(^|_)(KEY|SECRET|PASSWORD|TOKEN)(_|$)/.test(variable);
    for (const { profile, manifests } of profiles) {
      for (const { name } of SERVICES) {
        const { container } = serviceContainer(manifests, name);
        const credentials = (container.env ?? []).filter((e) => isCredential(e.name));
        const fromSecret = credentials.map((e) => ({ variable: e.name, fromSecret: e.value === undefined && !!e.valueFrom?.secretKeyRef }));
        expect({ profile, service: name, fromSecret }).toEqual({
          profile,
          service: name,
          fromSecret: credentials.map((e) => ({ variable: e.name, fromSecret: true })),
        });
      }
      // Nor through a ConfigMap (envFrom), which is plain text in the repository and in the cluster.
      for (const { source, object } of ofKind<IConfigMap>(manifests, 'ConfigMap')) {
        const keys = Object.keys({ ...object.data, ...object.binaryData });
        expect({ profile, source, credentials: keys.filter(isCredential) }).toEqual({ profile, source, credentials: [] });
      }
    }
    // A Stripe secret or restricted key with its random part (the README's `sk_test_...` placeholder has none).
    const stripeKey = /\b[sr]k_(test|live)_[A-Za-z0-9]{8,}/;
    const files = [
      ...readdirSync(path.join(repoRoot, 'infra'), { recursive: true, encoding: 'utf8' }).map((f) => path.join('infra', f)),
      'skaffold.yaml',
    ]
      .filter((file) => statSync(path.join(repoRoot, file)).isFile())
      .filter((file) => stripeKey.test(readFileSync(path.join(repoRoot, file), 'utf8')));
    expect(files).toEqual([]);
  });

  it('When any workload is deployed, then its images are built by skaffold or pinned to a version', () => {
    for (const { profile, manifests } of profiles) {
      for (const { object } of workloads(manifests)) {
        for (const { image = '' } of containersOf(object)) {
          const tag = /^[^@]+:([^/:@]+)$/.exec(image)?.[1];
          const isPinned = artifacts.has(image) || /@sha256:[0-9a-f]{64}$/.test(image) || (tag !== undefined && tag !== 'latest');
          expect({ profile, workload: object.metadata?.name, image, isPinned }).toEqual({
            profile,
            workload: object.metadata?.name,
            image,
            isPinned: true,
          });
        }
      }
    }
  });

  it('When a service runs, then readiness checks /readyz, liveness /healthz under its prefix, on the port it listens on', () => {
    for (const { profile, manifests } of profiles) {
      for (const { name, prefix } of SERVICES) {
        const { container } = serviceContainer(manifests, name);
        const probe = (kind: 'readinessProbe' | 'livenessProbe') => ({
          path: container[kind]?.httpGet?.path,
          port: containerPort(container, container[kind]?.httpGet?.port),
        });
        expect({ profile, service: name, readiness: probe('readinessProbe'), liveness: probe('livenessProbe') }).toEqual({
          profile,
          service: name,
          readiness: { path: `${prefix}/readyz`, port: 3000 },
          liveness: { path: `${prefix}/healthz`, port: 3000 },
        });
      }
    }
  });

  it('When any container is scheduled, then it has cpu and memory requests and limits, and runs as a non-root user without privilege escalation', () => {
    for (const { profile, manifests } of profiles) {
      for (const { object } of workloads(manifests)) {
        const pod = object.spec?.template.spec;
        for (const container of containersOf(object)) {
          const { requests, limits } = container.resources ?? {};
          const runAsUser = container.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser;
          expect({
            profile,
            container: `${object.metadata?.name}/${container.name}`,
            requests: Object.keys(requests ?? {}).sort(),
            limits: Object.keys(limits ?? {}).sort(),
            runAsNonRoot: container.securityContext?.runAsNonRoot ?? pod?.securityContext?.runAsNonRoot,
            // The service images name their user (`USER node`), which runAsNonRoot cannot verify without a uid.
            hasNonRootUid: runAsUser !== undefined && runAsUser > 0,
            allowPrivilegeEscalation: container.securityContext?.allowPrivilegeEscalation,
          }).toEqual({
            profile,
            container: `${object.metadata?.name}/${container.name}`,
            requests: ['cpu', 'memory'],
            limits: ['cpu', 'memory'],
            runAsNonRoot: true,
            hasNonRootUid: true,
            allowPrivilegeEscalation: false,
          });
        }
      }
    }
  });
});

/** The value after `flag` in the first container's args, e.g. `-cid ticketing`. */
function argumentOf(workload: Workload | undefined, flag: string): string | undefined {
  const args = workload ? (containersOf(workload)[0]?.args ?? []) : [];
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}
