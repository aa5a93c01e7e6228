/**
 * `npm start`: the whole system on this machine. Starts the stack's servers, then each service as its
 * own process (own port, own database), then the gateway on one origin. Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createGateway, type GatewayRoute } from './gateway';
import { stderrLog } from './stack/log';
import { ManagedProcess } from './stack/managed-process';
import { databaseUrl } from './stack/mongo';
import { repoRoot } from './stack/paths';
import { freePort } from './stack/ports';
import { startStack } from './stack/stack';

interface ServiceSpec {
  name: string;
  prefix: string;
}

const SERVICES: ServiceSpec[] = [{ name: 'auth', prefix: '/api/users' }];

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function main(): Promise<void> {
  const gatewayPort = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(gatewayPort) || gatewayPort < 0 || gatewayPort > 65535)
    throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const jwtKey = process.env.JWT_KEY ?? randomBytes(32).toString('hex');
  if (!process.env.JWT_KEY) say('JWT_KEY not set: generated one for this run (sessions end when you stop)');

  const stack = await startStack(stderrLog);
  say(`servers: ${stack.describe()}`);
  const logDir = path.join(stack.dir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const services: ManagedProcess[] = [];
  let gateway: Server | undefined;
  const stopAll = async () => {
    gateway?.close();
    await Promise.allSettled(services.map((s) => s.stop()));
    await stack.stop();
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    stopAll().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const routes: GatewayRoute[] = [];
    for (const spec of SERVICES) {
      const port = await freePort();
      const service = new ManagedProcess({
        name: spec.name,
        command: process.execPath,
        args: [path.join(repoRoot, spec.name, 'dist', 'index.js')],
        env: {
          ...process.env,
          PORT: String(port),
          MONGO_URL: databaseUrl(stack.env.MONGO_URL, spec.name),
          NATS_URL: stack.env.NATS_URL,
          JWT_KEY: jwtKey,
        },
        logFile: path.join(logDir, `${spec.name}.log`),
        echoPrefix: `[${spec.name}]`,
        isReady: async () => (await fetch(`http://127.0.0.1:${port}${spec.prefix}/healthz`).catch(() => undefined))?.ok === true,
      });
      services.push(service);
      await service.start();
      routes.push({ prefix: spec.prefix, port });
      say(`${spec.name} on http://127.0.0.1:${port} (pid ${service.pid})`);
    }
    const server = createGateway(routes);
    gateway = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(gatewayPort, resolve);
    });
    const address = server.address();
    const shownPort = typeof address === 'object' && address ? address.port : gatewayPort;
    say(`gateway on http://localhost:${shownPort}: ${routes.map((r) => r.prefix).join(', ')}`);
    say('ready. Ctrl-C stops everything.');
  } catch (err) {
    say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
