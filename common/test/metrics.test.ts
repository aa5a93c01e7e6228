import { BadRequestError } from '@ticketing/common/errors';
import { type EventData, type EventTransport, Listener, type MessageContext, Publisher, Subjects } from '@ticketing/common/events';
import { buildServiceApp, createLogger, ServiceMetrics } from '@ticketing/common/http';
import { waitFor } from '@ticketing/stack/wait-for';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { Router } from 'express';
import request from 'supertest';
import { instrumentTransport } from '../src/http/metrics';

/** The value of one sample in Prometheus text output, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

describe('metrics and request logging', () => {
  const metrics = new ServiceMetrics('things');
  const app = buildServiceApp({
    jwtKey: 'k'.repeat(32),
    logger: createLogger('things', 'silent'),
    metrics,
    prefix: '/api/things',
    health: {},
    routers: [
      Router()
        .get('/api/things/:id', (req, res) => {
          if (req.params.id === 'bad') throw new BadRequestError('bad thing');
          res.json({ id: req.params.id });
        })
        .post('/api/things', (_req, res) => {
          res.status(201).json({});
        }),
    ],
  });

  it('When requests are served, then /metrics counts them by route pattern and status, never by raw URL', async () => {
    await request(app).get('/api/things/1').expect(200);
    await request(app).get('/api/things/2').expect(200);
    await request(app).get('/api/things/bad').expect(400);
    await request(app).get('/api/nowhere').expect(404);

    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const count = (route: string, status: string) =>
      sample(res.text, 'http_request_duration_seconds_count', { route, status, service: 'things' });
    expect(count('/api/things/:id', '200')).toBe(2);
    expect(count('/api/things/:id', '400')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
    expect(res.text).not.toContain('/api/things/1"');
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('When a request carries an x-request-id, then it is echoed; otherwise one is generated', async () => {
    const given = await request(app).get('/api/things/1').set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const generated = await request(app).get('/api/things/1').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await request(app).get('/api/things/1').set('x-request-id', 'a b"c').expect(200);
    expect(hostile.headers['x-request-id']).not.toBe('a b"c');
  });
});

describe('event metrics on a real JetStream server', () => {
  class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
    readonly subject = Subjects.TicketCreated;
  }
  class FlakyListener extends Listener<typeof Subjects.TicketCreated> {
    readonly subject = Subjects.TicketCreated;
    readonly queueGroup = 'metrics-service';
    protected override readonly policies = { ackWaitMs: 500 };
    readonly seen: number[] = [];
    constructor(transport: EventTransport) {
      super(transport);
    }
    async onMessage(_data: EventData<typeof Subjects.TicketCreated>, message: MessageContext): Promise<undefined> {
      this.seen.push(message.deliveryCount);
      if (message.deliveryCount === 1) message.nak(10);
      else message.ack();
      return undefined;
    }
  }

  it('When events flow, then published, received, acked, redelivered and dead-lettered are counted by subject', async () => {
    const transports = await connectIsolated(1);
    try {
      const metrics = new ServiceMetrics('flow');
      const bus = instrumentTransport(transports[0], metrics);
      const listener = new FlakyListener(bus);
      await listener.listen();

      await new TicketCreatedPublisher(bus).publish({ id: 't1', version: 0, title: 'A', price: 1, userId: 'u' });
      await bus.publish(Subjects.TicketCreated, new TextEncoder().encode('{"not":"a ticket"}'));

      await waitFor(
        async () => sample(await metrics.registry.metrics(), 'events_dead_lettered_total', { subject: 'ticket:created' }) === 1,
        {
          description: 'the dead letter',
        },
      );
      await waitFor(() => listener.seen.length === 2, { description: 'the redelivery' });
      const text = await metrics.registry.metrics();
      const value = (name: string) => sample(text, name, { subject: 'ticket:created', service: 'flow' });
      expect(value('events_published_total')).toBe(2);
      expect(value('events_received_total')).toBe(3);
      expect(value('events_redelivered_total')).toBe(1);
      await waitFor(async () => sample(await metrics.registry.metrics(), 'events_acked_total', { subject: 'ticket:created' }) === 1, {
        description: 'the ack',
      });
    } finally {
      await closeIsolated(transports);
    }
  });
});
