#!/usr/bin/env node
import { eventBusConfigFromEnv, provisionEventBus } from '../events/event-bus';
import { redactServers } from '../events/transports/nats-endpoint';
/**
 * `ticketing-provision-event-bus`: creates the JetStream streams (events, dead letters) with their bounds, or
 * updates the bounds of existing ones, as the admin identity, before the services start (they may not create
 * streams themselves). Reads what the services read: `NATS_URL`, `NATS_USER`/`NATS_PASSWORD` (the admin),
 * `EVENT_TRANSPORT`, `EVENT_NAMESPACE` and the stream bounds (`EVENTS_MAX_AGE_DAYS`, …). Exits 0 when done,
 * 1 with one line saying why otherwise. Nothing to do on NATS Streaming.
 */
import { ConfigError } from '../support/env';

async function main(): Promise<void> {
  const config = eventBusConfigFromEnv('provision');
  await provisionEventBus(config);
  console.log(`event bus provisioned (${config.transport} at ${redactServers(config.natsUrl)})`);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `event bus not provisioned: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
