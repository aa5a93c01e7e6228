import { Router } from 'express';
import type { Sessions } from '../services/session';

export function signoutRouter(sessions: Sessions): Router {
  return Router().post('/api/users/signout', (_req, res) => {
    sessions.clear(res);
    res.status(200).json({});
  });
}
