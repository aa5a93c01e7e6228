import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { BUS_ADMIN_USER, BUS_IDENTITIES, type natsAuthorization, type ServiceIdentityName } from '@ticketing/common/events';

/** The streaming server's own connection to its embedded NATS server. */
export const STAN_INTERNAL_USER = 'stan';

/** One password per NATS identity, new for every stack (they live only in the stack's temp folder and env). */
export type NatsPasswords = Record<string, string>;

export function newNatsPasswords(): NatsPasswords {
  const users = [BUS_ADMIN_USER, STAN_INTERNAL_USER, ...Object.values(BUS_IDENTITIES).map((i) => i.user)];
  return Object.fromEntries(users.map((user) => [user, randomBytes(18).toString('hex')]));
}

/**
 * Writes a nats-server config file (mode 0600) with the identities and their permissions (common's
 * `natsAuthorization`), plus `extra` lines (e.g. the streaming block). nats-server reads JSON values.
 */
export function writeNatsConfig(file: string, authorization: ReturnType<typeof natsAuthorization>, extra: string[] = []): void {
  const lines = [`authorization: ${JSON.stringify(authorization, null, 2)}`, ...extra];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** `nats://user:password@host:port`: the form tests and tools take credentials in. */
export function urlWithCredentials(url: string, user: string, password: string): string {
  return url.replace('://', `://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);
}

/** The env a service needs to connect as its own identity. */
export function serviceNatsEnv(service: ServiceIdentityName, passwords: NatsPasswords): Record<string, string> {
  const { user } = BUS_IDENTITIES[service];
  const password = passwords[user];
  if (!password) throw new Error(`no NATS password for ${user}`);
  return { NATS_USER: user, NATS_PASSWORD: password };
}

/** The passwords a stack exported (`STACK_NATS_USERS`, for test workers), if any. */
export function natsPasswordsFromEnv(env: NodeJS.ProcessEnv = process.env): NatsPasswords | undefined {
  return env.STACK_NATS_USERS ? (JSON.parse(env.STACK_NATS_USERS) as NatsPasswords) : undefined;
}

/** `url` with the admin identity's credentials, when there are passwords (a server with authentication). */
export function adminUrl(url: string, passwords: NatsPasswords | undefined): string {
  const password = passwords?.[BUS_ADMIN_USER];
  return password ? urlWithCredentials(url, BUS_ADMIN_USER, password) : url;
}
