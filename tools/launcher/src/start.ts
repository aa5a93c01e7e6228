/**
 * `npm start`: the whole system on this machine. Starts the stack's servers (with stripe-mock), then auth,
 * tickets, orders and payments as separate processes (own port, own database), then the gateway on one origin. Ctrl-C stops
 * everything.
 */
import path from 'node:path';
import { envReader, SessionSigner } from '@ticketing/common/http';
import { stderrLog } from '@ticketing/stack/log';
import type { SessionKeys } from '@ticketing/stack/session-keys';
import { type Stack, startStack } from '@ticketing/stack/stack';
import { type RunningSystem, SERVICES, startSystem } from './system';

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function main(): Promise<void> {
  const gatewayPort = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(gatewayPort) || gatewayPort < 0 || gatewayPort > 65535) {
    throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  }
  const env = envReader();
  const sessionPrivateKey = env.optionalPem('JWT_PRIVATE_KEY');
  if (!sessionPrivateKey) say('JWT_PRIVATE_KEY not set: generated a session key pair for this run (sessions end when you stop)');
  const transport = process.env.EVENT_TRANSPORT ?? 'jetstream';
  if (transport !== 'jetstream' && transport !== 'stan') throw new Error(`EVENT_TRANSPORT must be jetstream or stan, got "${transport}"`);
  // NATS_CLUSTER_SIZE=3: JetStream on three routed servers, streams replicated (JetStream only).
  const natsClusterSize = env.integer('NATS_CLUSTER_SIZE', { default: 1, min: 1, max: 5 });
  if (natsClusterSize > 1 && transport !== 'jetstream')
    throw new Error('NATS_CLUSTER_SIZE applies to JetStream only (EVENT_TRANSPORT=jetstream)');

  let stack: Stack | undefined;
  let system: RunningSystem | undefined;
  let isStopping = false;
  const stopAll = async (code: number) => {
    if (isStopping) return;
    isStopping = true;
    say('stopping…');
    await system?.stop();
    await stack?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    stack = await startStack(stderrLog, { jetstream: transport === 'jetstream', stan: transport === 'stan', natsClusterSize });
    say(`servers: ${stack.describe()}`);
    say(`servers' data and logs (stripe-mock.log among them): ${stack.dir}`);
    for (const member of stack.natsCluster?.members ?? []) {
      say(
        `NATS ${member.name}: ${member.url}, pid ${member.process.pid} (kill it to see the cluster carry on; monitor ${member.monitorUrl})`,
      );
    }
    system = await startSystem({
      transport,
      natsUrl: transport === 'stan' ? stack.env.STAN_URL : stack.env.NATS_URL,
      clusterId: stack.env.STAN_CLUSTER_ID,
      mongoUrl: stack.env.MONGO_URL,
      natsPasswords: stack.natsPasswords,
      // min(3, cluster size) unless EVENTS_REPLICAS says otherwise.
      streamReplicas: env.integer('EVENTS_REPLICAS', { default: stack.natsCluster?.replicas ?? 1, min: 1, max: natsClusterSize }),
      ...(sessionPrivateKey ? { sessionKeys: sessionKeysFrom(sessionPrivateKey, env.optionalPem('JWT_PUBLIC_KEYS')) } : {}),
      gatewayPort,
      // Loopback unless asked: GATEWAY_HOST=0.0.0.0 npm start serves other machines too.
      gatewayHost: process.env.GATEWAY_HOST ?? '127.0.0.1',
      ...(stack.stripe ? { stripe: { apiBase: stack.stripe.url, secretKey: stack.stripe.secretKey } } : {}),
      logDir: path.join(stack.dir, 'logs'),
      echo: true,
    });
    for (const { name } of SERVICES) {
      say(`${name}: ${system.urls[name]} (metrics at /metrics), pid ${system.services[name].pid}, database ${system.databases[name]}`);
    }
    say(`gateway on ${system.gatewayUrl}: ${SERVICES.map((s) => s.prefix).join(', ')}`);
    say(`web client: ${system.gatewayUrl}/  ·  API docs: ${system.gatewayUrl}/api/docs (OpenAPI: /api/docs/openapi.json)`);
    say('ready. Ctrl-C stops everything.');
  } catch (err) {
    say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

/** The pair from the environment: the private key's own public half, plus any earlier public keys. */
function sessionKeysFrom(privateKey: string, earlierPublicKeys = ''): SessionKeys {
  return { privateKey, publicKeys: [new SessionSigner(privateKey).publicKeyPem, earlierPublicKeys].join('\n') };
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
