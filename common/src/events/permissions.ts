import { sessionSubjects } from '../http/session-revocation';
import type { Subject } from '../ticketing/subjects';
import { durableName } from './transports/names';
import { inboxPrefixOf } from './transports/nats-endpoint';

/**
 * Who may do what on the bus: each service's own NATS identity, and the rights it gets from the server.
 * The catalogue (`BUS_IDENTITIES`, in `ticketing/identities.ts`) is the ARCHITECTURE event table as data;
 * the functions here turn an entry into nats-server permissions. The local stack writes them into its server configs and infra/k8s holds the same
 * (a test compares them), so a service that publishes another service's event, or reads another service's
 * consumer, is refused by the server itself.
 */
export interface BusIdentity {
  /** The NATS user name. */
  user: string;
  /** The queue group its listeners share (= durable consumer names); absent when it listens to nothing. */
  queueGroup?: string;
  /** Events it alone may publish. */
  publishes: readonly Subject[];
  /** Events it consumes through durable consumers. */
  listens: readonly Subject[];
  /** auth announces revoked sessions and answers for the list of them; every other service follows them. */
  sessions: 'announce' | 'follow';
}

/** The identity that creates and bounds the streams (deploy or start-up time) and reads dead letters. */
export const BUS_ADMIN_USER = 'admin';

/** Core NATS subjects of session revocation (not events: nothing replays them; auth holds the list). */
const SESSION_SUBJECTS = sessionSubjects();

export interface SubjectPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** Lets the identity answer the requests it receives (auth's list of revoked sessions). */
  allow_responses?: boolean;
}

/** Every subject in its plain and its namespaced form (`events.x` and `<ns>.events.x`). */
const withNamespaces = (subjects: string[]) => subjects.flatMap((s) => [s, `*.${s}`]);

/**
 * The JetStream server's permissions for one service: publish its own events and dead letters; create, read,
 * pull from and ack only its own durable consumers, each bound to the one event it consumes (the server checks
 * the filter named in the create subject against the consumer's config); replies only in its own inbox.
 * Nothing else: no stream API, no other consumer, no other event.
 */
export function jetStreamPermissions(identity: BusIdentity): SubjectPermissions {
  const publish = withNamespaces(identity.publishes.map((s) => `events.${s}`));
  if (identity.queueGroup) publish.push(...withNamespaces([`deadletter.${identity.queueGroup}.>`]));
  for (const subject of identity.listens) {
    const durable = durableName(identity.queueGroup ?? identity.user, subject);
    publish.push(
      ...withNamespaces([`events.${subject}`]).map((filter) => `$JS.API.CONSUMER.CREATE.*.${durable}.${filter}`),
      `$JS.API.CONSUMER.INFO.*.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.*.${durable}`,
      `$JS.ACK.*.${durable}.>`,
    );
  }
  return withSessions(identity, { publish: { allow: publish }, subscribe: { allow: [`${inboxPrefixOf(identity.user)}.>`] } });
}

/**
 * NATS Streaming's protocol runs over fixed request subjects that carry the channel inside the payload, so the
 * server can restrict what a client publishes (`_STAN.pub.<cluster>.<channel>`) but not which channels it
 * subscribes to, and its inboxes are the shared `_INBOX.>`. What can be enforced is: only the owner publishes an
 * event, and only authenticated clients connect at all (README, Security).
 */
export function stanPermissions(identity: BusIdentity, clusterId: string): SubjectPermissions {
  const protocol = ['discover', 'discover.*', 'sub', 'unsub', 'subclose', 'close'].map(
    (s) => `_STAN.${s.replace(/^(\w+)/, `$1.${clusterId}`)}`,
  );
  const channels = identity.publishes.map((s) => `events.${s}`);
  if (identity.queueGroup) channels.push(`deadletter.${identity.queueGroup}.>`);
  const publish = [...protocol, '_INBOX.>', ...withNamespaces(channels).map((c) => `_STAN.pub.${clusterId}.${c}`)];
  // Publish acknowledgements arrive on `_STAN.acks.<client>`; deliveries, heartbeats and replies on `_INBOX`.
  return withSessions(identity, { publish: { allow: publish }, subscribe: { allow: ['_INBOX.>', '_STAN.acks.>'] } });
}

function withSessions(identity: BusIdentity, permissions: SubjectPermissions): SubjectPermissions {
  const announces = identity.sessions === 'announce';
  // Everyone asks for the list (auth too: its replicas resync like every other process); only auth announces.
  permissions.publish.allow.push(
    ...withNamespaces(announces ? [SESSION_SUBJECTS.revoked, SESSION_SUBJECTS.list] : [SESSION_SUBJECTS.list]),
  );
  permissions.subscribe.allow.push(...withNamespaces([SESSION_SUBJECTS.revoked]));
  if (announces) {
    permissions.subscribe.allow.push(...withNamespaces([SESSION_SUBJECTS.list]));
    permissions.allow_responses = true;
  }
  return permissions;
}

/** One `authorization.users` entry of a nats-server config (its JSON-compatible syntax). */
export interface NatsUserEntry {
  user: string;
  password: string;
  permissions?: SubjectPermissions;
}
