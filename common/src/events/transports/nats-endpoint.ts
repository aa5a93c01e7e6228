/**
 * Splits a comma-separated server list and takes credentials out of the URLs (`nats://user:password@host`), as
 * other NATS clients accept them; nats.js wants them as options. The first URL with credentials wins.
 */
export function natsEndpoint(servers: string): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const list = servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((server) => {
      const match = /^([a-z]+:\/\/)?([^@/]*)@(.*)$/i.exec(server);
      if (!match) return server;
      const [, scheme = '', userinfo = '', rest = ''] = match;
      const colon = userinfo.indexOf(':');
      if (user === undefined) {
        user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
        pass = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
      }
      return `${scheme}${rest}`;
    });
  return { servers: list, ...(user ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}

/** A server list fit for logs and error messages: passwords replaced. */
export function redactServers(servers: string): string {
  return servers.replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
}

/** Reply subjects of an identity's requests (its JetStream publishes, API calls and pulls) start with this. */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user}`;
}
