/**
 * A small NetworkPolicy evaluator: given the policies and the pods (labels, namespace, IP, named ports), may
 * endpoint A open a connection to endpoint B on port P? It follows the networking.k8s.io/v1 semantics for
 * what these manifests can say: podSelector and namespaceSelector (matchLabels and matchExpressions, empty
 * = all), ipBlock with except, ports by number, range (endPort) or container port name, protocols,
 * policyTypes and their default. A connection is allowed when the source's egress and the destination's
 * ingress both allow it; a pod that no policy of a direction selects is open in that direction.
 *
 * Not modelled, because NetworkPolicy does not govern it: loopback, the node's own traffic to its pods (the
 * kubelet's probes, `kubectl port-forward`). ipBlock is applied to pod addresses too, which the API leaves to
 * the CNI: the stricter reading, so an ipBlock that would open a pod fails the checks.
 */
import { BlockList, isIP } from 'node:net';
import type { INetworkPolicy } from './manifests';

type Spec = NonNullable<INetworkPolicy['spec']>;
type LabelSelector = Spec['podSelector'];
type Rule = NonNullable<Spec['ingress']>[number] & NonNullable<Spec['egress']>[number];
type Peer = NonNullable<Rule['from']>[number];
type PolicyPort = NonNullable<Rule['ports']>[number];
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Pod {
  namespace: string;
  labels: Record<string, string>;
  /** The pod's named container ports (a policy may name a port instead of numbering it). */
  namedPorts?: Record<string, number>;
}

/** Something with an address: a pod, or, without `pod`, an address outside the cluster's pods. */
export interface Endpoint {
  /** For messages, e.g. `tickets-mongo` or `ingress-nginx/controller`. */
  name: string;
  ip: string;
  pod?: Pod;
}

export interface Network {
  /** The namespace of a policy whose metadata names none (kubectl applies it to the current one). */
  namespace: string;
  policies: INetworkPolicy[];
  /** Labels of namespaces beyond `kubernetes.io/metadata.name`, which every namespace has. */
  namespaceLabels?: Record<string, Record<string, string>>;
}

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: Protocol;
}

export function isAllowed(network: Network, { from, to, port, protocol = 'TCP' }: Connection): boolean {
  const target = { endpoint: to, port, protocol };
  return allows(network, 'Egress', from, to, target) && allows(network, 'Ingress', to, from, target);
}

/** `from -> to port/protocol`, the form the checks compare. */
export function describeConnection({ from, to, port, protocol = 'TCP' }: Connection): string {
  return `${from.name} -> ${to.name} ${port}/${protocol}`;
}

/**
 * Every allowed connection between two different endpoints on one of `ports`, sorted by description; only
 * those with a pod of `network.namespace` at one end unless `all` (others are not these policies' business).
 */
export function allowedConnections(
  network: Network,
  endpoints: Endpoint[],
  ports: Array<{ port: number; protocol: Protocol }>,
  { all = false } = {},
): Connection[] {
  const isOurs = (e: Endpoint) => e.pod?.namespace === network.namespace;
  const allowed: Connection[] = [];
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (from === to || (!all && !isOurs(from) && !isOurs(to))) continue;
      for (const { port, protocol } of ports) {
        if (isAllowed(network, { from, to, port, protocol })) allowed.push({ from, to, port, protocol });
      }
    }
  }
  return allowed
    .map((connection) => ({ connection, described: describeConnection(connection) }))
    .sort((x, y) => (x.described < y.described ? -1 : x.described > y.described ? 1 : 0))
    .map(({ connection }) => connection);
}

/** Whether the policies selecting `subject` for `direction` (if any) have a rule admitting `peer` on the target port. */
function allows(
  network: Network,
  direction: 'Ingress' | 'Egress',
  subject: Endpoint,
  peer: Endpoint,
  target: { endpoint: Endpoint; port: number; protocol: Protocol },
): boolean {
  const pod = subject.pod;
  if (!pod) return true; // not a pod: no policy of this cluster applies to it
  const selecting = network.policies.filter(
    (policy) =>
      namespaceOf(network, policy) === pod.namespace &&
      matchesSelector(policy.spec?.podSelector, pod.labels) &&
      policyTypes(policy).includes(direction),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    ((direction === 'Ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? []).some((rule: Rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerMatches =
        peers === undefined || peers.length === 0 || peers.some((p) => matchesPeer(network, namespaceOf(network, policy), p, peer));
      const portMatches = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((p) => matchesPort(p, target));
      return peerMatches && portMatches;
    }),
  );
}

/** Omitted policyTypes: Ingress always, Egress when the policy has egress rules. */
function policyTypes(policy: INetworkPolicy): string[] {
  return policy.spec?.policyTypes ?? ['Ingress', ...(policy.spec?.egress ? ['Egress'] : [])];
}

function namespaceOf(network: Network, policy: INetworkPolicy): string {
  return policy.metadata?.namespace ?? network.namespace;
}

function namespaceLabels(network: Network, namespace: string): Record<string, string> {
  return { ...network.namespaceLabels?.[namespace], 'kubernetes.io/metadata.name': namespace };
}

function matchesPeer(network: Network, policyNamespace: string, peer: Peer, endpoint: Endpoint): boolean {
  if (peer.ipBlock) return inBlock(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inBlock(endpoint.ip, c));
  const pod = endpoint.pod;
  if (!pod) return false; // selectors select pods only
  const namespaceMatches = peer.namespaceSelector
    ? matchesSelector(peer.namespaceSelector, namespaceLabels(network, pod.namespace))
    : pod.namespace === policyNamespace;
  return namespaceMatches && (peer.podSelector === undefined || matchesSelector(peer.podSelector, pod.labels));
}

function matchesPort(allowed: PolicyPort, { endpoint, port, protocol }: { endpoint: Endpoint; port: number; protocol: Protocol }): boolean {
  if ((allowed.protocol ?? 'TCP') !== protocol) return false;
  if (allowed.port === undefined) return true;
  if (typeof allowed.port === 'string') return endpoint.pod?.namedPorts?.[allowed.port] === port;
  return allowed.endPort === undefined ? port === allowed.port : port >= allowed.port && port <= allowed.endPort;
}

/** Label selector semantics: every matchLabels pair and every expression hold; an empty selector selects all. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return false;
  const pairs = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const expressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown label selector operator ${operator}`);
    }
  });
  return pairs && expressions;
}

/** Whether `ip` is in `cidr`; an address of the other IP family never is. */
function inBlock(ip: string, cidr: string): boolean {
  const [network, prefix] = cidr.split('/');
  const family = isIP(network);
  if (family === 0 || prefix === undefined) throw new Error(`ipBlock: "${cidr}" is not a CIDR`);
  if (isIP(ip) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const block = new BlockList();
  block.addSubnet(network, Number(prefix), type);
  return block.check(ip, type);
}
