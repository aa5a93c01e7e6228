import { BadRequestError, isDuplicateKeyError } from '@ticketing/common/errors';
import { validate } from '@ticketing/common/http';
import { type RequestHandler, Router } from 'express';
import { User } from '../models/user';
import type { HashingBudget } from '../services/hashing-budget';
import { hashPassword } from '../services/password';
import type { Sessions } from '../services/session';
import { signupSchema } from './credentials';

/**
 * The per-IP limits (`limits`) run first, and the hash waits in the shared budget's anonymous lane (a
 * signup flood must not starve sign-ins), so a refused attempt costs no hashing and writes nothing.
 */
export function signupRouter(sessions: Sessions, limits: RequestHandler[], hashing: HashingBudget): Router {
  return Router().post('/api/users/signup', ...limits, async (req, res) => {
    const { email, password } = validate(signupSchema, req.body);
    const passwordHash = await hashing.run('anonymous', res, () => hashPassword(password));
    const user = await User.create({ email, passwordHash }).catch((err: unknown) => {
      if (isDuplicateKeyError(err)) throw new BadRequestError('Email in use', 'email');
      throw err;
    });
    sessions.issue(res, { id: user.id, email: user.email });
    res.status(201).json(user);
  });
}
