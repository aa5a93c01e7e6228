import { BadRequestError, isDuplicateKeyError } from '@ticketing/common/errors';
import { validate } from '@ticketing/common/http';
import { type RequestHandler, Router } from 'express';
import { User } from '../models/user';
import { hashPassword } from '../services/password';
import type { Sessions } from '../services/session';
import { signupSchema } from './credentials';

/** The per-IP limits (`limits`) run first, so a refused attempt costs no hashing and writes nothing. */
export function signupRouter(sessions: Sessions, limits: RequestHandler[]): Router {
  return Router().post('/api/users/signup', ...limits, async (req, res) => {
    const { email, password } = validate(signupSchema, req.body);
    const passwordHash = await hashPassword(password);
    const user = await User.create({ email, passwordHash }).catch((err: unknown) => {
      if (isDuplicateKeyError(err)) throw new BadRequestError('Email in use', 'email');
      throw err;
    });
    sessions.issue(res, { id: user.id, email: user.email });
    res.status(201).json(user);
  });
}
