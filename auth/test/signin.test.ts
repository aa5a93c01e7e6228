import { useTestDatabase } from '@ticketing/testkit/mongo';
import request from 'supertest';
import { app, signup } from './helpers';

useTestDatabase();

describe('POST /api/users/signin', () => {
  it('When the credentials are right, then it returns 200 with the user and a session cookie', async () => {
    await signup('ann@example.com', 'correct horse');
    const res = await request(app).post('/api/users/signin').send({ email: 'ann@example.com', password: 'correct horse' }).expect(200);

    expect(res.body).toEqual({ id: expect.any(String), email: 'ann@example.com' });
    expect(res.get('Set-Cookie')?.[0]).toMatch(/^session=.+HttpOnly/i);
  });

  it('When the password is wrong or the email unknown, then both get the same 400 and no cookie', async () => {
    await signup('ann@example.com', 'correct horse');
    const wrongPassword = await request(app)
      .post('/api/users/signin')
      .send({ email: 'ann@example.com', password: 'wrong horse' })
      .expect(400);
    const unknownEmail = await request(app)
      .post('/api/users/signin')
      .send({ email: 'bob@example.com', password: 'correct horse' })
      .expect(400);

    expect(wrongPassword.body).toEqual({ errors: [{ message: 'Invalid credentials' }] });
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(wrongPassword.get('Set-Cookie')).toBeUndefined();
    expect(unknownEmail.get('Set-Cookie')).toBeUndefined();
  });

  it('When the body holds operator objects, then it returns 400 and signs nobody in', async () => {
    await signup('ann@example.com', 'correct horse');
    const res = await request(app)
      .post('/api/users/signin')
      .send({ email: { $ne: null }, password: { $ne: null } })
      .expect(400);

    expect(res.body.errors.map((e: { field?: string }) => e.field).sort()).toEqual(['email', 'password']);
    expect(res.get('Set-Cookie')).toBeUndefined();
  });
});
