import { BadRequestError } from '@ticketing/common/errors';
import { validate } from '@ticketing/common/http';
import { type RequestHandler, Router } from 'express';
import { User } from '../models/user';
import { decoyHash, verifyPassword } from '../services/password';
import type { Sessions } from '../services/session';
import { signinSchema } from './credentials';

/** `rateLimit` runs first, so a refused attempt costs no hashing and writes nothing. */
export function signinRouter(sessions: Sessions, rateLimit: RequestHandler): Router {
  return Router().post('/api/users/signin', rateLimit, async (req, res) => {
    const { email, password } = validate(signinSchema, req.body);
    const user = await User.findOne({ email });
    // Same answer, and about the same time, for an unknown email and a wrong password.
    const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
    if (!user || !matches) throw new BadRequestError('Invalid credentials');
    sessions.issue(res, { id: user.id, email: user.email });
    res.status(200).json(user);
  });
}
