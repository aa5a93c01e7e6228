import { BadRequestError } from '@ticketing/common/errors';
import { createLogger, currentUser, errorHandler, notFoundHandler, requireAuth } from '@ticketing/common/http';
import express from 'express';
import request from 'supertest';

function appThatThrows(error: unknown) {
  const logged: unknown[] = [];
  const logger = createLogger('test', 'silent');
  logger.error = ((obj: unknown) => {
    logged.push(obj);
  }) as typeof logger.error;
  const app = express();
  app.use(express.json());
  app.use(currentUser({ jwtKey: 'k'.repeat(32) }));
  app.get('/boom', () => {
    throw error;
  });
  app.get('/async-boom', async () => {
    await Promise.resolve();
    throw error;
  });
  app.get('/private', requireAuth, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return { app, logged };
}

describe('errorHandler', () => {
  it('When a handler throws a typed error, then the client gets its status and the error shape', async () => {
    const { app } = appThatThrows(new BadRequestError('Ticket is reserved', 'ticketId'));
    const res = await request(app).get('/boom').expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is reserved', field: 'ticketId' }] });
  });

  it('When an unexpected error escapes, then the client gets a generic 500 and the details go only to the log', async () => {
    const { app, logged } = appThatThrows(new Error('E11000 duplicate key at db.internal:27017'));
    const res = await request(app).get('/async-boom').expect(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(JSON.stringify(res.body)).not.toContain('27017');
    expect(logged).toHaveLength(1);
  });

  it('When the database is unreachable, then the client gets 503 with Retry-After, not a 500', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoServerSelectionError' });
    const { app, logged } = appThatThrows(outage);
    const res = await request(app).get('/async-boom').expect(503);
    expect(res.body).toEqual({ errors: [{ message: 'Service temporarily unavailable; try again' }] });
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.stringify(res.body)).not.toContain('27017');
    expect(logged).toHaveLength(0);
  });

  it('When the path has a malformed percent-escape, then it returns 400 instead of a 500', async () => {
    const logged: unknown[] = [];
    const logger = createLogger('test', 'silent');
    logger.error = ((obj: unknown) => {
      logged.push(obj);
    }) as typeof logger.error;
    const app = express();
    app.get('/things/:id', (_req, res) => {
      res.json({});
    });
    app.use(errorHandler(logger));

    const res = await request(app).get('/things/%E0%A4%A').expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed URL' }] });
    expect(logged).toHaveLength(0);
  });

  it('When a route needs a user and none is signed in, then it returns 401', async () => {
    const { app } = appThatThrows(new Error('unused'));
    const res = await request(app).get('/private').expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('When no route matches, then it returns 404 in the error shape', async () => {
    const { app } = appThatThrows(new Error('unused'));
    expect((await request(app).get('/nowhere').expect(404)).body).toEqual({ errors: [{ message: 'Route not found' }] });
  });
});
