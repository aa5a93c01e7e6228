import { Router } from 'express';
import type { SessionRevocations } from '../services/revocations';
import type { Sessions } from '../services/session';

/** Signing out clears the cookie and revokes the token itself, so a copy of it stops working everywhere too. */
export function signoutRouter(sessions: Sessions, revocations: SessionRevocations): Router {
  return Router().post('/api/users/signout', async (req, res) => {
    if (req.currentSession) await revocations.revoke(req.currentSession);
    sessions.clear(res);
    res.status(200).json({});
  });
}
