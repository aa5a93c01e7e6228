import { createLogger } from '@ticketing/common/http';
import { testSessionKeys } from '@ticketing/testkit/session';
import { buildApp } from '../src/app';
import { tickets } from '../src/models/ticket';

export const app = buildApp({
  sessions: { publicKeys: testSessionKeys.publicKeys },
  logger: createLogger('tickets-test', 'silent'),
  health: { mongo: () => true, nats: () => true },
});

/** Message ids the ticket store handed to the relay (a recorder stands in for the relay). */
export const handedOff: string[] = [];
tickets.attach({ handOff: (_model, _id, events) => handedOff.push(...events.map((e) => e.messageId)), sweepSoon: () => {} });
