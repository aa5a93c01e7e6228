/** Reads infra/k8s and skaffold.yaml the way skaffold deploys them: one set of manifests per profile. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// kubernetes-models is ESM only; these files are CommonJS, so its types are imported in ESM resolution mode.
type IDeployment = import('kubernetes-models/apps/v1/Deployment', { with: { 'resolution-mode': 'import' }}).IDeployment;
type IStatefulSet = import('kubernetes-models/apps/v1/StatefulSet', { with: { 'resolution-mode': 'import' }}).IStatefulSet;
type IJob = import('kubernetes-models/batch/v1/Job', { with: { 'resolution-mode': 'import' }}).IJob;
type IIngress = import('kubernetes-models/networking.k8s.io/v1/Ingress', { with: { 'resolution-mode': 'import' }}).IIngress;
type IConfigMap = import('kubernetes-models/v1/ConfigMap', { with: { 'resolution-mode': 'import' }}).IConfigMap;
type IContainer = import('kubernetes-models/v1/Container', { with: { 'resolution-mode': 'import' }}).IContainer;
type IService = import('kubernetes-models/v1/Service', { with: { 'resolution-mode': 'import' }}).IService;
type INetworkPolicy = import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy', { with: {
  'resolution-mode': 'import',
}}).INetworkPolicy;

export type { IConfigMap, IContainer, IDeployment, IIngress, IJob, INetworkPolicy, IService, IStatefulSet };

export const repoRoot = path.resolve(__dirname, '..', '..');
export const k8sDir = path.join(repoRoot, 'infra', 'k8s');

/** One object of a manifest file, with where it came from for error messages. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface LoadedManifest {
  /** Repository-relative path and the object's position in it, e.g. `infra/k8s/base/auth.yaml#0`. */
  source: string;
  object: Manifest;
}

/** What runs pods: the services and servers, and the one-shot jobs (the event bus's provisioning). */
export type Workload = IDeployment | IStatefulSet | IJob;

/** Every `.yaml` file under `dir`, sorted, as repository-relative paths. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/.test(name) && statSync(path.join(dir, name)).isFile())
    .map((name) => path.relative(repoRoot, path.join(dir, name)).split(path.sep).join('/'))
    .sort();
}

/** Parses a multi-document YAML file; a syntax error or a document without apiVersion/kind/name throws. */
export function loadManifests(file: string): LoadedManifest[] {
  const documents = parseAllDocuments(readFileSync(path.join(repoRoot, file), 'utf8'));
  return documents.flatMap((document, index) => {
    if (document.errors.length > 0) throw new Error(`${file}#${index}: ${document.errors.map((e) => e.message).join('; ')}`);
    const object = document.toJS() as Manifest | null;
    if (object === null) return []; // an empty document, e.g. after a trailing `---`
    const source = `${file}#${index}`;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`${source}: every object needs apiVersion, kind and metadata.name`);
    }
    return [{ source, object }];
  });
}

// --- skaffold.yaml --------------------------------------------------------------------------------------

export interface SkaffoldConfig {
  apiVersion: string;
  build: {
    artifacts: Array<{ image: string; context?: string; docker?: { dockerfile?: string; buildArgs?: Record<string, string> } }>;
    local?: { push?: boolean };
  };
  manifests: { rawYaml: string[] };
  deploy: { kubectl?: object };
  profiles?: Array<{ name: string; patches?: JsonPatch[]; [field: string]: unknown }>;
}

interface JsonPatch {
  op?: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

export function readSkaffoldConfig(): SkaffoldConfig {
  return parse(readFileSync(path.join(repoRoot, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
}

/** What one `skaffold dev [-p profile]` deploys. */
export interface ProfileManifests {
  /** `(default)` or the profile's name. */
  profile: string;
  files: string[];
  manifests: LoadedManifest[];
}

/** The default deployment and one per profile, with each profile's patches applied as skaffold does. */
export function manifestsPerProfile(config: SkaffoldConfig = readSkaffoldConfig()): ProfileManifests[] {
  const variants = [{ profile: '(default)', config }];
  for (const profile of config.profiles ?? []) {
    // Profiles here only patch; resolving skaffold's field-by-field overlay too would be a second skaffold.
    const overrides = Object.keys(profile).filter((field) => !['name', 'patches', 'activation'].includes(field));
    if (overrides.length > 0)
      throw new Error(`profile ${profile.name}: only patches are resolved by this test, found ${overrides.join(', ')}`);
    variants.push({ profile: profile.name, config: (profile.patches ?? []).reduce(applyPatch, structuredClone(config)) });
  }
  return variants.map(({ profile, config: resolved }) => {
    const files = [...new Set(resolved.manifests.rawYaml.flatMap(expandGlob))];
    return { profile, files, manifests: files.flatMap(loadManifests) };
  });
}

/** The JSON Patch subset skaffold profiles use (RFC 6902 add, remove, replace; default op replace). */
function applyPatch(config: SkaffoldConfig, patch: JsonPatch): SkaffoldConfig {
  const keys = patch.path
    .split('/')
    .slice(1)
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = keys.pop();
  if (last === undefined) throw new Error(`patch path "${patch.path}" names no field`);
  let parent: unknown = config;
  for (const key of keys) {
    parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent === undefined) throw new Error(`patch path "${patch.path}": nothing at "${key}"`);
  }
  const op = patch.op ?? 'replace';
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== 'add' && index === parent.length)) {
      throw new Error(`patch path "${patch.path}": no element ${last}`);
    }
    parent.splice(index, op === 'add' ? 0 : 1, ...(op === 'remove' ? [] : [patch.value]));
  } else {
    const object = parent as Record<string, unknown>;
    if (op !== 'add' && !(last in object)) throw new Error(`patch path "${patch.path}": nothing to ${op}`);
    if (op === 'remove') delete object[last];
    else object[last] = patch.value;
  }
  return config;
}

/** Expands a rawYaml entry; `*` and `?` only in the file name, which is all these entries use. */
function expandGlob(pattern: string): string[] {
  const dir = path.posix.dirname(pattern);
  const name = path.posix.basename(pattern);
  if (/[*?[]/.test(dir)) throw new Error(`rawYaml "${pattern}": wildcards in folder names are not resolved by this test`);
  if (!/[*?]/.test(name)) {
    if (!existsSync(path.join(repoRoot, pattern))) throw new Error(`rawYaml "${pattern}" does not exist`);
    return [pattern];
  }
  const matcher = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '[^/]*')
      .replaceAll('?', '[^/]')}$`,
  );
  const matches = readdirSync(path.join(repoRoot, dir))
    .filter((file) => matcher.test(file))
    .sort()
    .map((file) => `${dir}/${file}`);
  if (matches.length === 0) throw new Error(`rawYaml "${pattern}" matches no file`);
  return matches;
}

// --- lookups --------------------------------------------------------------------------------------------

export function ofKind<T>(manifests: LoadedManifest[], kind: string): Array<{ source: string; object: T }> {
  return manifests.filter((m) => m.object.kind === kind) as unknown as Array<{ source: string; object: T }>;
}

export function workloads(manifests: LoadedManifest[]): Array<{ source: string; object: Workload }> {
  return [
    ...ofKind<IDeployment>(manifests, 'Deployment'),
    ...ofKind<IStatefulSet>(manifests, 'StatefulSet'),
    ...ofKind<IJob>(manifests, 'Job'),
  ];
}

/** How many pods run at once: a Deployment's or StatefulSet's replicas, a Job's parallelism. */
export function replicasOf(workload: Workload): number {
  if (workload.kind === 'Job') return (workload as IJob).spec?.parallelism ?? 1;
  return (workload as IDeployment | IStatefulSet).spec?.replicas ?? 1;
}

export function containersOf(workload: Workload): IContainer[] {
  const pod = workload.spec?.template.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/**
 * The first workload that runs the image `image` (skaffold artifacts are referenced by their untagged name):
 * Deployments come first, so for a service image it is the service, not a Job that uses the same image.
 */
export function workloadRunning(manifests: LoadedManifest[], image: string): Workload | undefined {
  return workloads(manifests).find(({ object }) => containersOf(object).some((c) => c.image === image))?.object;
}

export function named<T extends { metadata?: { name?: string } }>(items: Array<{ object: T }>, name: string): T | undefined {
  return items.find(({ object }) => object.metadata?.name === name)?.object;
}

/** True when every key/value of the selector is among the labels (an empty selector selects nothing here). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

/** Each address of a server list as clients take it (`nats://a:4222,nats://b:4222`). */
export function urlsOf(list: string): URL[] {
  return list.split(',').map((url) => new URL(url.trim()));
}

/**
 * The Service a host name reaches: a Service by its own name, or `<pod>.<headless Service>` for a pod that the
 * StatefulSet governed by that Service has (`nats-2.nats-headless` only with 3 replicas or more).
 */
export function serviceForHost(manifests: LoadedManifest[], hostname: string): IService | undefined {
  const [first, second, ...rest] = hostname.split('.');
  const services = ofKind<IService>(manifests, 'Service');
  if (second === undefined) return named(services, first);
  if (rest.length > 0) return undefined;
  const headless = named(services, second);
  if (headless?.spec?.clusterIP !== 'None') return undefined;
  const owner = ofKind<IStatefulSet>(manifests, 'StatefulSet').find(({ object }) => object.spec?.serviceName === second)?.object;
  const ordinal = first.startsWith(`${owner?.metadata?.name}-`) ? Number(first.slice(`${owner?.metadata?.name}-`.length)) : Number.NaN;
  return owner && Number.isInteger(ordinal) && ordinal >= 0 && ordinal < replicasOf(owner) ? headless : undefined;
}

/** The workload whose pods every host of the URL list reaches (undefined when they reach different ones, or none). */
export function workloadBehind(manifests: LoadedManifest[], urls: string | undefined) {
  if (!urls) return undefined;
  const behind = urlsOf(urls).map(({ hostname }) => {
    const service = serviceForHost(manifests, hostname);
    return workloads(manifests).find(({ object }) => selects(service?.spec?.selector, object.spec?.template.metadata?.labels))?.object;
  });
  return behind.every((workload) => workload === behind[0]) ? behind[0] : undefined;
}

/**
 * The variables a container gets and their values (undefined when set from a Secret or the pod). An
 * empty value counts as unset, as the services' env reader treats it; an envFrom ConfigMap that is not
 * deployed provides nothing.
 */
export function providedEnv(container: IContainer, configMaps: IConfigMap[]): Map<string, string | undefined> {
  const provided = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) throw new Error('envFrom secretRef: its keys cannot be checked offline; use secretKeyRef per variable');
    const configMap = configMaps.find((c) => c.metadata?.name === source.configMapRef?.name);
    for (const [key, value] of Object.entries(configMap?.data ?? {})) {
      if (value.trim() !== '') provided.set(`${source.prefix ?? ''}${key}`, value);
    }
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (value !== undefined && value.trim() !== '') provided.set(name, value);
    else if (valueFrom?.secretKeyRef || valueFrom?.fieldRef) provided.set(name, undefined);
    else if (valueFrom?.configMapKeyRef) {
      const { name: mapName, key } = valueFrom.configMapKeyRef;
      const mapValue = configMaps.find((c) => c.metadata?.name === mapName)?.data?.[key];
      if (mapValue !== undefined && mapValue.trim() !== '') provided.set(name, mapValue);
    }
  }
  return provided;
}
