/**
 * The parts of `@ticketing/common` the bench drives directly (pub/sub figures, raw events), loaded from a
 * given tree's build: the current one, or the baseline worktree's `common/dist`. Typed structurally, so
 * either version fits, and checked at load time so an API change is reported, not a crash later.
 * Loaded by file, not through the package's `exports`: a baseline may predate the subpaths (1.0).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface TicketEvent {
  id: string;
  version: number;
  title: string;
  price: number;
  userId: string;
  orderId?: string;
}

export interface TransportLike {
  publish(subject: string, payload: Uint8Array, options?: { messageId?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface SubscriptionLike {
  stop(): Promise<void>;
}

export interface JetStreamNames {
  streamName?: string;
  subjectPrefix?: string;
  deadLetterStreamName?: string;
  deadLetterPrefix?: string;
}

export interface CommonApi {
  /** Where it was loaded from. */
  file: string;
  JetStreamTransport: {
    connect(options: { servers: string; connectionName?: string } & JetStreamNames): Promise<TransportLike>;
  };
  Publisher: abstract new (
    transport: TransportLike,
  ) => {
    publish(data: TicketEvent): Promise<void>;
  };
  Listener: abstract new (
    transport: TransportLike,
  ) => {
    listen(): Promise<SubscriptionLike>;
  };
  jetStreamNames(namespace?: string): JetStreamNames;
  /** Event name → wire subject (absent in versions that did not export it: then `<prefix>.<name>`). */
  SubjectMapping?: new (
    prefix: string,
  ) => { toWire(subject: string): string };
  encodeEvent(subject: string, data: TicketEvent): Uint8Array;
  /** The event names this version knows. */
  Subjects?: Record<string, string>;
}

const REQUIRED = ['JetStreamTransport', 'Publisher', 'Listener', 'jetStreamNames', 'encodeEvent'] as const;

const cache = new Map<string, CommonApi>();

/**
 * The tree's `@ticketing/common` as its `package.json` exports it (`./events`, and `./jetstream` where the
 * transports have their own entry points; `SubjectMapping` is internal, found where that layout keeps it), or,
 * in a tree from before the subpaths, `<root>/common/dist/index.js`; checked for what the bench uses.
 */
export function loadCommon(root: string): CommonApi {
  const dist = path.join(root, 'common', 'dist');
  const exported = (entry: string): string | undefined => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'common', 'package.json'), 'utf8')) as {
      exports?: Record<string, { require?: string } | string>;
    };
    const target = manifest.exports?.[entry];
    const file = typeof target === 'string' ? target : target?.require;
    return file ? path.resolve(root, 'common', file) : undefined;
  };
  const events = exported('./events');
  const hasSubpaths = events !== undefined && existsSync(events);
  const file = hasSubpaths ? events : path.join(dist, 'index.js');
  const cached = cache.get(file);
  if (cached) return cached;
  const jetstream = exported('./jetstream');
  const loaded = {
    ...(require(file) as Record<string, unknown>),
    ...(jetstream && existsSync(jetstream) ? (require(jetstream) as Record<string, unknown>) : {}),
  };
  const missing = REQUIRED.filter((name) => loaded[name] === undefined);
  if (missing.length > 0) throw new Error(`${file} does not export ${missing.join(', ')}`);
  const connect = (loaded.JetStreamTransport as { connect?: unknown }).connect;
  if (typeof connect !== 'function') throw new Error(`${file}: JetStreamTransport.connect is not a function`);
  const mappingFile = hasSubpaths
    ? path.join(path.dirname(file), path.basename(file) === 'index.js' ? '' : 'events', 'transports', 'subject-mapping.js')
    : undefined;
  const mapping = mappingFile ? (require(mappingFile) as Pick<CommonApi, 'SubjectMapping'>) : {};
  const api = { ...(loaded as unknown as Omit<CommonApi, 'file'>), ...mapping, file };
  cache.set(file, api);
  return api;
}

export interface WireNames {
  streamName: string;
  /** Event name → the subject it travels on, e.g. `ticket:created` → `<ns>.events.ticket:created`. */
  toWire(subject: string): string;
}

/** The stream and wire subjects of a namespace, as that version's transport names them. */
export function wireNames(api: CommonApi, namespace: string): WireNames {
  const names = api.jetStreamNames(namespace);
  const prefix = names.subjectPrefix ?? 'events';
  const mapping = api.SubjectMapping ? new api.SubjectMapping(prefix) : undefined;
  return {
    streamName: names.streamName ?? 'EVENTS',
    toWire: (subject) => (mapping ? mapping.toWire(subject) : `${prefix}.${subject}`),
  };
}
