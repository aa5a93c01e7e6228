import { useTestDatabase } from '@ticketing/testkit/mongo';
import request from 'supertest';
import { User } from '../src/models/user';
import { app } from './helpers';

useTestDatabase();

describe('POST /api/users/signup', () => {
  it('When the email and password are valid, then it returns 201 with the user and sets an httpOnly session cookie', async () => {
    const res = await request(app).post('/api/users/signup').send({ email: 'Ann@Example.com ', password: 'long enough' }).expect(201);

    expect(res.body).toEqual({ id: expect.any(String), email: 'ann@example.com' });
    const cookie = res.get('Set-Cookie')?.[0] ?? '';
    expect(cookie).toMatch(/^session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Max-Age=3600/);
  });

  it('When a user signs up, then the password is stored as a salted scrypt hash, never in clear', async () => {
    await request(app).post('/api/users/signup').send({ email: 'a@example.com', password: 'same password' }).expect(201);
    await request(app).post('/api/users/signup').send({ email: 'b@example.com', password: 'same password' }).expect(201);

    const [a, b] = await Promise.all([User.findOne({ email: 'a@example.com' }), User.findOne({ email: 'b@example.com' })]);
    expect(a?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a?.passwordHash).not.toContain('same password');
    expect(a?.passwordHash).not.toEqual(b?.passwordHash);
  });

  it('When the response is serialised, then it exposes neither the hash nor internal fields', async () => {
    const res = await request(app).post('/api/users/signup').send({ email: 'c@example.com', password: 'long enough' }).expect(201);
    expect(Object.keys(res.body).sort()).toEqual(['email', 'id']);
  });

  it('When the email is already in use, then it returns 400 naming the email field', async () => {
    await request(app).post('/api/users/signup').send({ email: 'dup@example.com', password: 'long enough' }).expect(201);
    const res = await request(app).post('/api/users/signup').send({ email: 'DUP@example.com', password: 'other password' }).expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    expect(await User.countDocuments({ email: 'dup@example.com' })).toBe(1);
  });

  it('When ten signups with one email race, then exactly one account is created', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(app)
          .post('/api/users/signup')
          .send({ email: 'race@example.com', password: `password ${i}` }),
      ),
    );

    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    expect(await User.countDocuments({ email: 'race@example.com' })).toBe(1);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', password: 'long enough' }, 'email'],
    ['a missing email', { password: 'long enough' }, 'email'],
    ['a short password', { email: 'd@example.com', password: 'short' }, 'password'],
    ['a missing password', { email: 'd@example.com' }, 'password'],
    ['a numeric password', { email: 'd@example.com', password: 12345678 }, 'password'],
    ['an operator object as email', { email: { $gt: '' }, password: 'long enough' }, 'email'],
    ['an over-long password', { email: 'd@example.com', password: 'x'.repeat(129) }, 'password'],
  ])('When the body has %s, then it returns 400 naming the field and creates nothing', async (_case, body, field) => {
    const res = await request(app).post('/api/users/signup').send(body).expect(400);

    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    expect(await User.countDocuments()).toBe(0);
  });
});
