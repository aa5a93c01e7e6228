import { readFileSync } from 'node:fs';
import path from 'node:path';
import { asyncApiDocument, BUS_IDENTITIES, type EventData, Subjects } from '@ticketing/common/events';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const packageDir = path.join(__dirname, '..');
const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
const published = JSON.parse(readFileSync(path.join(packageDir, 'asyncapi.json'), 'utf8')) as ReturnType<typeof asyncApiDocument>;

/** One valid event of each kind, as the services publish them. */
const id = '6b0265849290d2ee2dcb8509';
const samples: { [S in (typeof Subjects)[keyof typeof Subjects]]: EventData<S> } = {
  'ticket:created': { id, version: 0, title: 'Concert', price: 40, userId: id },
  'ticket:updated': { id, version: 1, title: 'Concert', price: 40, userId: id, orderId: id },
  'order:created': {
    id,
    version: 0,
    status: 'created',
    userId: id,
    expiresAt: '2026-11-22T04:02:10.428Z',
    ticket: { id, price: 40, version: 0, placement: 1 },
  },
  'order:updated': {
    id,
    version: 1,
    status: 'cancelled',
    reason: 'cancelled by buyer',
    userId: id,
    expiresAt: '2026-11-22T04:02:10.428Z',
    ticket: { id, price: 40, version: 0, placement: 1 },
  },
  'reservation:decided': { id, version: 0, outcome: 'accepted', ticket: { id, version: 1 } },
  'payment:created': { id, version: 0, orderId: id, stripeId: 'pi_123' },
} as never;

describe('AsyncAPI document of the events', () => {
  it('When the published asyncapi.json is compared with the catalogue, then it is what asyncApiDocument() makes of it (run `npm run asyncapi` after changing an event)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(asyncApiDocument(version))));
  });

  it('When the document is checked against the AsyncAPI 3.0.0 JSON Schema, then it is valid', () => {
    // The spec's schema carries its own copy of the draft-07 meta-schema: ajv's would clash with it.
    const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
    addFormats(ajv);
    const { schemas } = require('@asyncapi/specs') as { schemas: Record<string, object> };
    const validate = ajv.compile(schemas['3.0.0'] as object);
    expect({ valid: validate(published), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });

  it("When a real event of each kind is checked against its message's payload schema, then it passes, and without its version it does not", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const messages = published.components.messages as Record<string, { name: string; payload: object }>;
    expect(
      Object.values(messages)
        .map((m) => m.name)
        .sort(),
    ).toEqual(Object.values(Subjects).sort());
    for (const message of Object.values(messages)) {
      const validate = ajv.compile(message.payload);
      const sample = samples[message.name as keyof typeof samples] as Record<string, unknown>;
      expect({ event: message.name, valid: validate(sample), errors: validate.errors ?? null }).toEqual({
        event: message.name,
        valid: true,
        errors: null,
      });
      const { version: _dropped, ...withoutVersion } = sample;
      expect({ event: message.name, valid: validate(withoutVersion) }).toEqual({ event: message.name, valid: false });
    }
  });

  it('When the operations are listed, then each service sends what it publishes and receives what it listens to', () => {
    const expected = Object.entries(BUS_IDENTITIES).flatMap(([service, identity]) => [
      ...identity.publishes.map((s) => `${service} send ${s}`),
      ...identity.listens.map((s) => `${service} receive ${s}`),
    ]);
    const channels = published.channels as Record<string, { title: string }>;
    const actual = Object.entries(published.operations as Record<string, { action: string; channel: { $ref: string } }>).map(
      ([name, op]) => `${name.split('.')[0]} ${op.action} ${channels[op.channel.$ref.split('/').pop() ?? '']?.title}`,
    );
    expect(actual.sort()).toEqual(expected.sort());
  });
});
