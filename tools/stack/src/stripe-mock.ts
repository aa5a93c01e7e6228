import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureServer, STRIPE_MOCK } from './install';
import type { StackLog } from './log';
import { ManagedProcess } from './managed-process';
import { freePort } from './ports';

export interface StripeMockServer {
  /** The API base the payments service is pointed at (`STRIPE_API_BASE`). */
  url: string;
  /** The same API over HTTPS (self-signed), as Stripe's own clients would use it. */
  httpsUrl: string;
  /** A test-mode key made for this run (`STRIPE_SECRET_KEY`): stripe-mock accepts any `sk_test_…`. */
  secretKey: string;
  process: ManagedProcess;
  /** stripe-mock's output: one `Request: <method> <path>` line per request, then its parameters (verbose). */
  logFile: string;
}

/** stripe-mock on two free loopback ports (HTTP and HTTPS), ready once it answers an authenticated request. */
export async function startStripeMock(dir: string, log: StackLog): Promise<StripeMockServer> {
  const binary = await ensureServer(STRIPE_MOCK, log);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const secretKey = `sk_test_${randomBytes(12).toString('hex')}`;
  const logFile = path.join(dir, 'stripe-mock.log');
  const process = new ManagedProcess({
    name: 'stripe-mock',
    command: binary,
    args: ['-http-addr', `127.0.0.1:${httpPort}`, '-https-addr', `127.0.0.1:${httpsPort}`, '-verbose'],
    logFile,
    isReady: async () =>
      (await fetch(`${url}/v1/balance`, { headers: { authorization: `Bearer ${secretKey}` } }).catch(() => undefined))?.ok === true,
  });
  await process.start();
  return { url, httpsUrl: `https://127.0.0.1:${httpsPort}`, secretKey, process, logFile };
}
