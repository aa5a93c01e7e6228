import { createLogger } from '@ticketing/common';
import { testJwtKey } from '@ticketing/tools/testing/session';
import { buildApp } from '../src/app';

/** Counts the relay kicks the routes ask for. */
export const changes = { count: 0 };
export const app = buildApp({
  jwtKey: testJwtKey,
  logger: createLogger('tickets-test', 'silent'),
  onChange: () => changes.count++,
  health: { mongo: () => true, nats: () => true },
});
