import { BUS_ADMIN_USER, type BusIdentity, jetStreamPermissions, type NatsUserEntry, stanPermissions } from '../events/permissions';
import { Subjects } from './subjects';

/** The ticketing services' identities on the bus: what each one publishes, listens to and does with sessions. */
export type ServiceIdentityName = 'auth' | 'tickets' | 'orders' | 'payments';

export const BUS_IDENTITIES: Readonly<Record<ServiceIdentityName, BusIdentity>> = {
  auth: { user: 'auth', publishes: [], listens: [], sessions: 'announce' },
  tickets: {
    user: 'tickets',
    queueGroup: 'tickets-service',
    publishes: [Subjects.TicketCreated, Subjects.TicketUpdated, Subjects.ReservationDecided],
    listens: [Subjects.OrderCreated, Subjects.OrderUpdated],
    sessions: 'follow',
  },
  orders: {
    user: 'orders',
    queueGroup: 'orders-service',
    publishes: [Subjects.OrderCreated, Subjects.OrderUpdated],
    listens: [Subjects.TicketCreated, Subjects.TicketUpdated, Subjects.ReservationDecided, Subjects.PaymentCreated],
    sessions: 'follow',
  },
  payments: {
    user: 'payments',
    queueGroup: 'payments-service',
    publishes: [Subjects.PaymentCreated],
    listens: [Subjects.OrderCreated, Subjects.OrderUpdated],
    sessions: 'follow',
  },
};

/**
 * The `authorization` block for a nats-server config: the admin (everything), the service identities, and on
 * NATS Streaming the streaming server's own internal connection. `passwords` maps user → password (or a bcrypt
 * hash, which nats-server accepts in place of the password).
 */
export function natsAuthorization(
  passwords: Readonly<Record<string, string>>,
  server: { kind: 'jetstream' } | { kind: 'stan'; clusterId: string; internalUser: string },
): { users: NatsUserEntry[] } {
  const password = (user: string) => {
    const value = passwords[user];
    if (!value) throw new Error(`no NATS password for user ${user}`);
    return value;
  };
  const users: NatsUserEntry[] = [{ user: BUS_ADMIN_USER, password: password(BUS_ADMIN_USER) }];
  if (server.kind === 'stan') users.push({ user: server.internalUser, password: password(server.internalUser) });
  for (const identity of Object.values(BUS_IDENTITIES)) {
    users.push({
      user: identity.user,
      password: password(identity.user),
      permissions: server.kind === 'stan' ? stanPermissions(identity, server.clusterId) : jetStreamPermissions(identity),
    });
  }
  return { users };
}
