/** Starts the services as separate processes behind the gateway: used by `npm start` and the end-to-end tests. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { natsEndpoint, provisionEventBus, STREAM_LIMITS } from '@ticketing/common/events';
import { ManagedProcess } from '@ticketing/stack/managed-process';
import { databaseUrl } from '@ticketing/stack/mongo';
import { type NatsPasswords, serviceNatsEnv } from '@ticketing/stack/nats-auth';
import { repoRoot } from '@ticketing/stack/paths';
import { freePort } from '@ticketing/stack/ports';
import { newSessionKeys, type SessionKeys } from '@ticketing/stack/session-keys';
import { apiDocsHandler } from './api-docs';
import { createGateway, type GatewayRoute } from './gateway';
import { openApiDocument } from './openapi';
import { webClientHandler } from './web-client';

export type ServiceName = 'auth' | 'tickets' | 'orders' | 'payments';

export const SERVICES: ReadonlyArray<{ name: ServiceName; prefix: string }> = [
  { name: 'auth', prefix: '/api/users' },
  { name: 'tickets', prefix: '/api/tickets' },
  { name: 'orders', prefix: '/api/orders' },
  { name: 'payments', prefix: '/api/payments' },
];

export interface SystemOptions {
  /** Which bus the services use; `natsUrl` points at that server. Default jetstream. */
  transport?: 'jetstream' | 'stan';
  /** NATS Streaming cluster id (stan only). */
  clusterId?: string;
  /** With the admin identity's credentials when the server requires them (the stack's `NATS_URL`). */
  natsUrl: string;
  /** Each NATS identity's password (the stack's): each service connects as its own identity; none without auth. */
  natsPasswords?: NatsPasswords;
  /** Copies of each JetStream stream (a cluster's `replicas`); default 1. */
  streamReplicas?: number;
  /** Server URL; each service gets its own database on it. */
  mongoUrl: string;
  /** The ES256 key pair of sessions: auth gets the private key, the others the public one; default a new pair. */
  sessionKeys?: SessionKeys;
  /** The HS256 key of trees from before ES256 sessions (the bench's baseline); default a random one. */
  jwtKey?: string;
  /** Gateway port; 0 picks a free one. */
  gatewayPort?: number;
  /** Interface the gateway listens on; default loopback (`0.0.0.0` for every interface). */
  gatewayHost?: string;
  /** Keeps this system's streams and databases apart from others on the same servers (tests). */
  namespace?: string;
  /** Extra environment per service, e.g. `{ orders: { ORDER_EXPIRATION_SECONDS: '2' } }`. */
  env?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  logDir: string;
  /** Print service output with a `[name]` prefix (npm start). */
  echo?: boolean;
  /** Repository root whose built services (`<root>/<service>/dist`) run; default this repository (the bench runs another commit's). */
  root?: string;
  /** The Stripe API payments uses (stripe-mock's, from the stack) and its key; default STRIPE_API_BASE / STRIPE_SECRET_KEY. */
  stripe?: { apiBase: string; secretKey: string };
}

export interface RunningSystem {
  gatewayUrl: string;
  services: Record<ServiceName, ManagedProcess>;
  /** Each service's database URL (tests read replicas and sources directly). */
  databases: Record<ServiceName, string>;
  /** Each service's own address (health, `/metrics`), bypassing the gateway. */
  urls: Record<ServiceName, string>;
  sessionKeys: SessionKeys;
  /** The HS256 key given to trees from before ES256 sessions. */
  jwtKey: string;
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const jwtKey = options.jwtKey ?? randomBytes(32).toString('hex');
  const sessionKeys = options.sessionKeys ?? newSessionKeys();
  mkdirSync(options.logDir, { recursive: true });
  const services = {} as Record<ServiceName, ManagedProcess>;
  const databases = {} as Record<ServiceName, string>;
  const urls = {} as Record<ServiceName, string>;
  const routes: GatewayRoute[] = [];
  let gateway: Server | undefined;

  const stop = async () => {
    gateway?.close();
    gateway?.closeAllConnections();
    // Longer than the services' own 10 s shutdown bound, so they are never cut short.
    await Promise.allSettled(Object.values(services).map((s) => s.stop('SIGTERM', 15_000)));
  };

  const root = options.root ?? repoRoot;
  const stripe = options.stripe ?? stripeFromEnv();
  // A tree from before payments (the bench's baseline) runs without it.
  const present = SERVICES.filter(({ name }) => existsSync(path.join(root, name, 'package.json')));
  try {
    // Services may not create streams: the admin identity (in `natsUrl`) provisions them first.
    await provisionEventBus({
      transport: options.transport ?? 'jetstream',
      natsUrl: options.natsUrl,
      clientName: 'provision',
      clusterId: options.clusterId ?? 'ticketing',
      namespace: options.namespace,
      limits: { ...STREAM_LIMITS, replicas: options.streamReplicas ?? STREAM_LIMITS.replicas },
    });
    for (const { name, prefix } of present) {
      const port = await freePort();
      urls[name] = `http://127.0.0.1:${port}`;
      databases[name] = databaseUrl(options.mongoUrl, options.namespace ? `${options.namespace}_${name}` : name);
      const service = new ManagedProcess({
        name,
        command: process.execPath,
        args: [path.join(root, name, 'dist', 'index.js')],
        env: {
          ...process.env,
          ...serviceEnv(name, { ...options, port, databaseUrl: databases[name], jwtKey, sessionKeys, stripe }),
          ...options.env?.[name],
        },
        logFile: path.join(options.logDir, `${name}.log`),
        echoPrefix: options.echo ? `[${name}]` : undefined,
        isReady: async () => (await fetch(`http://127.0.0.1:${port}${prefix}/readyz`).catch(() => undefined))?.ok === true,
      });
      services[name] = service;
      await service.start();
      routes.push({ prefix, port });
    }
    const server = createGateway(routes, { apiDocs: apiDocsHandler(openApiDocument()), webClient: webClientHandler() });
    gateway = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.gatewayPort ?? 0, options.gatewayHost ?? '127.0.0.1', resolve);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const address = gateway.address();
  const port = typeof address === 'object' && address ? address.port : options.gatewayPort;
  return { gatewayUrl: `http://127.0.0.1:${port}`, services, databases, urls, sessionKeys, jwtKey, stop };
}

export interface ServiceEnvOptions
  extends Pick<SystemOptions, 'transport' | 'clusterId' | 'natsUrl' | 'natsPasswords' | 'namespace' | 'stripe'> {
  port: number;
  /** The service's own database (see `databaseUrl`). */
  databaseUrl: string;
  jwtKey?: string;
  sessionKeys: SessionKeys;
}

/**
 * What one service reads from its environment (its config.ts) to run on these servers: port, database, its own
 * NATS identity, the session keys (the private one for auth alone), the bus and, for payments, the Stripe API.
 */
export function serviceEnv(name: ServiceName, options: ServiceEnvOptions): Record<string, string> {
  const { natsPasswords, stripe } = options;
  return {
    PORT: String(options.port),
    MONGO_URL: options.databaseUrl,
    // With identities, the URL carries none: the service connects as itself (NATS_USER, NATS_PASSWORD).
    NATS_URL: natsPasswords ? natsEndpoint(options.natsUrl).servers.join(',') : options.natsUrl,
    ...(natsPasswords ? serviceNatsEnv(name, natsPasswords) : {}),
    ...(options.jwtKey ? { JWT_KEY: options.jwtKey } : {}),
    // Only auth can mint sessions; every service verifies them with the public key.
    ...(name === 'auth' ? { JWT_PRIVATE_KEY: options.sessionKeys.privateKey } : { JWT_PUBLIC_KEYS: options.sessionKeys.publicKeys }),
    EVENT_TRANSPORT: options.transport ?? 'jetstream',
    ...(options.clusterId ? { NATS_CLUSTER_ID: options.clusterId } : {}),
    ...(options.namespace ? { EVENT_NAMESPACE: options.namespace } : {}),
    ...(name === 'payments' && stripe ? { STRIPE_API_BASE: stripe.apiBase, STRIPE_SECRET_KEY: stripe.secretKey } : {}),
  };
}

function stripeFromEnv(): SystemOptions['stripe'] {
  const { STRIPE_API_BASE: apiBase, STRIPE_SECRET_KEY: secretKey } = process.env;
  return apiBase && secretKey ? { apiBase, secretKey } : undefined;
}
