import { BadRequestError } from '@ticketing/common/errors';
import { validate } from '@ticketing/common/http';
import { type RequestHandler, Router } from 'express';
import { User } from '../models/user';
import type { DeviceCookies } from '../services/device-cookies';
import type { HashingBudget } from '../services/hashing-budget';
import { decoyHash, verifyPassword } from '../services/password';
import type { SigninLockout } from '../services/rate-limiter';
import type { Sessions } from '../services/session';
import { signinSchema } from './credentials';

export interface SigninGuards {
  /** Per-IP limits (attempts per minute, password checks in flight), before the body is read. */
  limits: RequestHandler[];
  devices: DeviceCookies;
  /** Failures counted per account for clients auth does not know, per device for those it does. */
  lockouts: { accounts: SigninLockout; devices: SigninLockout };
  hashing: HashingBudget;
}

/**
 * Every refusal (per-IP limits, lockout, a full hashing queue) comes before the database lookup and the
 * password check, so it costs no hashing and writes nothing. A client with a device cookie for the account
 * is judged by its own failures and waits ahead of anonymous clients (see `DeviceCookies`).
 */
export function signinRouter(sessions: Sessions, { limits, devices, lockouts, hashing }: SigninGuards): Router {
  return Router().post('/api/users/signin', ...limits, async (req, res) => {
    const { email, password } = validate(signinSchema, req.body);
    const device = devices.recognize(req, email);
    const [lockout, key] = device ? [lockouts.devices, device] : [lockouts.accounts, email];
    await lockout.check(key, res);
    const { user, matches } = await hashing.run(device ? 'remembered' : 'anonymous', res, async () => {
      const user = await User.findOne({ email });
      // Same answer, and about the same time, for an unknown email and a wrong password.
      return { user, matches: await verifyPassword(password, user?.passwordHash ?? (await decoyHash)) };
    });
    if (!user || !matches) {
      await lockout.failed(key);
      throw new BadRequestError('Invalid credentials');
    }
    await lockout.succeeded(key);
    sessions.issue(res, { id: user.id, email: user.email });
    devices.issue(res, email);
    res.status(200).json(user);
  });
}
