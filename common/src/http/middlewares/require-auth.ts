import type { Request, RequestHandler } from 'express';
import { NotAuthorizedError } from '../../errors/not-authorized-error';
import type { UserPayload } from './current-user';

export const requireAuth: RequestHandler = (req, _res, next) => {
  if (!req.currentUser) throw new NotAuthorizedError();
  next();
};

/** The signed-in user of a request that passed `requireAuth`; throws 401 otherwise. */
export function userOf(req: Request): UserPayload {
  if (!req.currentUser) throw new NotAuthorizedError();
  return req.currentUser;
}
