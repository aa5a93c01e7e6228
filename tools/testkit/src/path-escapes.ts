/**
 * Request paths that start in a service's tree (`/api/tickets`) and lead out of it, to the Prometheus metrics
 * every service serves at /metrics or to another service, once something on the way resolves dot-segments
 * (`..`, `%2e%2e`, `\` read as `/`), decodes once or twice more (`%2f`, `%252e`), strips path parameters
 * (`..;`) or a fragment; and the reverse, paths that start at /metrics and resolve into the tree. To be sent
 * byte for byte: fetch and supertest would resolve them first.
 */
export function pathEscapes(prefix: string): [how: string, path: string][] {
  return [
    ['../', `${prefix}/../../metrics`],
    ['./ and ../', `${prefix}/./.././../metrics`],
    ['%2e%2e/', `${prefix}/%2e%2e/%2e%2e/metrics`],
    ['%2E%2E/', `${prefix}/%2E%2E/%2E%2E/metrics`],
    ['.%2e/', `${prefix}/.%2e/%2e./metrics`],
    ['..%2f', `${prefix}/..%2f..%2fmetrics`],
    ['..%2F', `${prefix}/..%2F..%2Fmetrics`],
    ['%2e%2e%2f', `${prefix}/%2e%2e%2f%2e%2e%2fmetrics`],
    ['..\\', `${prefix}/..\\..\\metrics`],
    ['..%5c', `${prefix}/..%5c..%5cmetrics`],
    ['..%5C', `${prefix}/..%5C..%5Cmetrics`],
    ['%252e%252e/ (double-encoded)', `${prefix}/%252e%252e/%252e%252e/metrics`],
    ['..%252f (double-encoded)', `${prefix}/..%252f..%252fmetrics`],
    ['..;/ (path parameters)', `${prefix}/..;/..;/metrics`],
    ['#/../ (a fragment)', `${prefix}/#/../../metrics`],
    ['/metrics/../ in front (resolves into the tree)', `/metrics/..${prefix}/healthz`],
    ['/metrics%3f/../ in front (an escaped ? that resolves into the tree)', `/metrics%3f/..${prefix}/healthz`],
  ];
}

/** What a leak looks like: Prometheus text (a service's /metrics) or a line of /etc/passwd. */
export const LEAKED = /# HELP|# TYPE|process_cpu|root:[^:]*:0:0:/;

/** The same ways out of the web client's files at /, aimed at the machine's own files. */
export const CLIENT_ESCAPES: [how: string, path: string][] = [
  ['..%2f', '/..%2f..%2f..%2f..%2fetc/passwd'],
  ['../', '/../../../../etc/passwd'],
  ['%2e%2e/', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd'],
  ['..\\', '/..\\..\\..\\..\\etc\\passwd'],
  ['%252e%252e/ (double-encoded)', '/%252e%252e/%252e%252e/%252e%252e/etc/passwd'],
  ['..%2f under /assets', '/assets/..%2f..%2f..%2f..%2fetc/passwd'],
];
