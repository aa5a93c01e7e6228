import { useTestDatabase } from '@ticketing/testkit/mongo';
import request from 'supertest';
import { User } from '../src/models/user';
import { app } from './helpers';

useTestDatabase();

const errorShape = { errors: expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]) };

describe('bad input to auth', () => {
  it('When the JSON is malformed, then it returns 400 in the error shape', async () => {
    const res = await request(app).post('/api/users/signup').set('Content-Type', 'application/json').send('{"email": "a@b.c",').expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON in request body' }] });
  });

  it('When the body is 5 MB, then it returns 413 in the error shape and the app still answers', async () => {
    const huge = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(5 * 1024 * 1024) });
    const res = await request(app).post('/api/users/signup').set('Content-Type', 'application/json').send(huge).expect(413);
    expect(res.body).toEqual({ errors: [{ message: 'Request body too large' }] });
    await request(app).get('/api/users/currentuser').expect(200);
  });

  it('When the content type is not JSON, then it returns 400 and creates nothing', async () => {
    const res = await request(app)
      .post('/api/users/signup')
      .set('Content-Type', 'text/plain')
      .send('email=a@b.c&password=12345678')
      .expect(400);
    expect(res.body).toEqual(errorShape);
    expect(await User.countDocuments()).toBe(0);
  });

  it('When the body is a JSON array or null, then it returns 400', async () => {
    for (const body of ['[]', 'null', '"text"', '42']) {
      const res = await request(app).post('/api/users/signup').set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(errorShape);
    }
  });

  it('When the body carries prototype-pollution keys, then nothing is polluted and the extra keys are ignored', async () => {
    const body =
      '{"email":"p@example.com","password":"long enough","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":true}}}';
    await request(app).post('/api/users/signup').set('Content-Type', 'application/json').send(body).expect(201);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('When the route does not exist, then it returns 404 in the error shape', async () => {
    const res = await request(app).get('/api/users/nothing-here').expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Route not found' }] });
  });
});
