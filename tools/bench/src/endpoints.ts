/** The HTTP endpoints the bench measures, and the two ways of reaching them. */
import type { ServiceName } from '@ticketing/launcher/system';

export const ENDPOINTS = [
  { key: 'POST /api/tickets', service: 'tickets' },
  { key: 'GET /api/tickets/:id', service: 'tickets' },
  { key: 'GET /api/tickets', service: 'tickets' },
  { key: 'POST /api/orders', service: 'orders' },
  { key: 'POST /api/users/signup', service: 'auth' },
  { key: 'POST /api/users/signin', service: 'auth' },
] as const satisfies ReadonlyArray<{ key: string; service: ServiceName }>;

export type EndpointKey = (typeof ENDPOINTS)[number]['key'];
export type Route = 'direct' | 'gateway';
export const ROUTES: readonly Route[] = ['direct', 'gateway'];
