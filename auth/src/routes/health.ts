import { Router } from 'express';
import mongoose from 'mongoose';

/** Liveness: the process answers. Readiness: the database connection is up. */
export function healthRouter(): Router {
  return Router()
    .get('/api/users/healthz', (_req, res) => {
      res.status(200).json({ status: 'ok' });
    })
    .get('/api/users/readyz', (_req, res) => {
      const isReady = mongoose.connection.readyState === mongoose.ConnectionStates.connected;
      res.status(isReady ? 200 : 503).json({ status: isReady ? 'ready' : 'not ready', mongo: isReady });
    });
}
