import { BadRequestError } from '@ticketing/common/errors';
import { validate } from '@ticketing/common/http';
import { type RequestHandler, Router } from 'express';
import { User } from '../models/user';
import { decoyHash, verifyPassword } from '../services/password';
import type { AccountLockout } from '../services/rate-limiter';
import type { Sessions } from '../services/session';
import { signinSchema } from './credentials';

/**
 * The per-IP limits (`limits`: attempts per minute, password checks in flight) and the account's lockout run
 * before the password is checked, so a refused attempt costs no hashing and writes nothing.
 */
export function signinRouter(sessions: Sessions, limits: RequestHandler[], lockout: AccountLockout): Router {
  return Router().post('/api/users/signin', ...limits, async (req, res) => {
    const { email, password } = validate(signinSchema, req.body);
    await lockout.check(email, res);
    const user = await User.findOne({ email });
    // Same answer, and about the same time, for an unknown email and a wrong password.
    const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
    if (!user || !matches) {
      await lockout.failed(email);
      throw new BadRequestError('Invalid credentials');
    }
    await lockout.succeeded(email);
    sessions.issue(res, { id: user.id, email: user.email });
    res.status(200).json(user);
  });
}
