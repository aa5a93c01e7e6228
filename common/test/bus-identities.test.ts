import { BUS_IDENTITIES, jetStreamPermissions, natsEndpoint, redactServers, stanPermissions } from '@ticketing/common/events';
import { RevokedSessions } from '@ticketing/common/http';

/**
 * The pieces of the bus's identities that are plain logic. What the server does with the permissions (refuse an
 * anonymous client, a forged event, another service's consumer) is tested against the real servers in
 * e2e/test/attack-replay.test.ts.
 */
describe('NATS endpoints', () => {
  it('When a URL carries credentials, then they are taken out of it, decoded, and redacted in messages', () => {
    expect(natsEndpoint('nats://tickets:p%40ss@127.0.0.1:4222, nats://127.0.0.1:4223')).toEqual({
      servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
      user: 'tickets',
      pass: 'p@ss',
    });
    expect(natsEndpoint('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
    expect(natsEndpoint('tls://token@nats:4222')).toEqual({ servers: ['tls://nats:4222'], user: 'token' });
    expect(redactServers('nats://admin:secret@a:1,nats://b:2')).toBe('nats://admin:***@a:1,nats://b:2');
  });
});

describe('service permissions', () => {
  it('When a service publishes, then only its own events and its own dead letters are allowed, plain and namespaced', () => {
    const { publish } = jetStreamPermissions(BUS_IDENTITIES.orders);
    const events = publish.allow.filter((s) => /(^|\.)events\./.test(s) && !s.startsWith('$JS'));
    expect(events.sort()).toEqual(['*.events.order:created', '*.events.order:updated', 'events.order:created', 'events.order:updated']);
    expect(publish.allow).toContain('deadletter.orders-service.>');
    expect(publish.allow.some((s) => s.includes('STREAM'))).toBe(false);
    expect(publish.allow.some((s) => s.includes('tickets-service'))).toBe(false);
  });

  it('When a consumer is created, then only with its own durable name and the one event it listens to', () => {
    const { publish } = jetStreamPermissions(BUS_IDENTITIES.tickets);
    expect(publish.allow.filter((s) => s.startsWith('$JS.API.CONSUMER.CREATE'))).toEqual([
      '$JS.API.CONSUMER.CREATE.*.tickets-service__order_created.events.order:created',
      '$JS.API.CONSUMER.CREATE.*.tickets-service__order_created.*.events.order:created',
      '$JS.API.CONSUMER.CREATE.*.tickets-service__order_updated.events.order:updated',
      '$JS.API.CONSUMER.CREATE.*.tickets-service__order_updated.*.events.order:updated',
    ]);
    expect(jetStreamPermissions(BUS_IDENTITIES.tickets).subscribe.allow).toContain('_INBOX_tickets.>');
  });

  it('When sessions are revoked, then only auth announces and answers for the list; the others follow', () => {
    const auth = jetStreamPermissions(BUS_IDENTITIES.auth);
    const payments = stanPermissions(BUS_IDENTITIES.payments, 'ticketing');
    expect(auth.publish.allow).toContain('sessions.revoked');
    expect(auth.publish.allow).toContain('sessions.revoked.list'); // auth's own processes resync too
    expect(auth.allow_responses).toBe(true);
    expect(payments.publish.allow).not.toContain('sessions.revoked');
    expect(payments.publish.allow).toContain('sessions.revoked.list');
    expect(payments.subscribe.allow).toContain('sessions.revoked');
    expect(payments.publish.allow).toContain('_STAN.pub.ticketing.events.payment:created');
    expect(payments.publish.allow.filter((s) => s.startsWith('_STAN.pub.'))).toHaveLength(4);
  });
});

describe('revoked sessions', () => {
  it('When a revocation expires, then it is forgotten; until then it is known', () => {
    let now = 1_000_000;
    const revoked = new RevokedSessions(() => now);
    revoked.add('a', now + 500);
    revoked.add('gone', now - 1); // the token had expired anyway
    expect(revoked.has('a')).toBe(true);
    expect(revoked.has('gone')).toBe(false);
    expect(revoked.size).toBe(1);
    now += 500;
    expect(revoked.has('a')).toBe(false);
    revoked.add('b', now + 10);
    now += 10;
    revoked.prune();
    expect(revoked.size).toBe(0);
  });
});
