import { Writable } from 'node:stream';
import { buildServiceApp } from '@ticketing/common/http';
import { Router } from 'express';
import pino from 'pino';
import request from 'supertest';

/** The request log as services write it: one JSON line per request, through `buildServiceApp`. */

interface Line {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
  traceparent?: string;
  responseTime?: number;
  step?: string;
}

const lines: Line[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
    done();
  },
});
const logger = pino({ level: 'info' }, sink);

const app = buildServiceApp({
  jwtKey: 'k'.repeat(32),
  logger,
  prefix: '/api/things',
  health: {},
  routers: [
    Router()
      .get('/api/things/:id', (req, res) => {
        req.log?.info({ step: 'looked up' }, 'inside the handler');
        res.json({ id: req.params.id });
      })
      .get('/api/broken', () => {
        throw new Error('the database said something internal');
      }),
  ],
});

const lineOf = (id: string) => lines.find((l) => l.req?.id === id && l.msg.startsWith('request '));

beforeEach(() => {
  lines.length = 0;
});

describe('the request log', () => {
  it('When a request is answered, then one info line has its id, method, URL, status, time and traceparent, and the handler’s own line carries the same request', async () => {
    const parent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    await request(app).get('/api/things/42?x=1').set('x-request-id', 'req-1').set('traceparent', parent).expect(200);

    const line = lineOf('req-1');
    expect(line).toMatchObject({ level: 30, msg: 'request completed', req: { id: 'req-1', method: 'GET', url: '/api/things/42?x=1' } });
    expect(line?.res).toEqual({ statusCode: 200 });
    expect(line?.responseTime).toBeGreaterThanOrEqual(0);
    // Our span in the caller's trace.
    expect(line?.traceparent?.split('-')[1]).toBe('a'.repeat(32));
    const inside = lines.find((l) => l.msg === 'inside the handler');
    expect(inside).toMatchObject({ step: 'looked up', req: { id: 'req-1' }, traceparent: line?.traceparent });
    expect(lines.filter((l) => l.req?.id === 'req-1' && l.msg.startsWith('request '))).toHaveLength(1);
  });

  it('When a request fails, then its line is a warning for a 4xx and an error for a 5xx', async () => {
    await request(app).get('/api/nothing-here').set('x-request-id', 'req-404').expect(404);
    await request(app).get('/api/broken').set('x-request-id', 'req-500').expect(500);

    expect(lineOf('req-404')).toMatchObject({ level: 40, res: { statusCode: 404 } });
    expect(lineOf('req-500')).toMatchObject({ level: 50, res: { statusCode: 500 } });
  });

  it('When health is probed, then nothing is logged for it', async () => {
    await request(app).get('/api/things/healthz').set('x-request-id', 'probe').expect(200);
    expect(lines.filter((l) => l.req?.id === 'probe')).toEqual([]);
  });
});
