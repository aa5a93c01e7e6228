import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { jetStreamNames, Subjects } from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';
import { repoRoot } from '@ticketing/stack/paths';
import { waitFor } from '@ticketing/stack/wait-for';
import { Types } from 'mongoose';
import { type Client, signedUpClient, type TicketBody } from './client';
import { startTestSystem, type TestSystem, ticketPair } from './system';

const run = promisify(execFile);

/**
 * A malformed event published by hand: it lands in the dead letters with its reason, the events behind
 * it keep flowing, and the `dead-letters` command replays it once corrected.
 */
let system: TestSystem;
let seller: Client;
let bus: JetStreamTransport;

beforeAll(async () => {
  system = await startTestSystem();
  seller = await signedUpClient(system.gatewayUrl, 'seller');
  bus = await JetStreamTransport.connect({ servers: String(process.env.NATS_URL), ...jetStreamNames(system.namespace) });
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await system?.shutdown();
});

/** Runs the real command (compiled, as `npm run dead-letters` does) against this system's bus. */
async function deadLetters(...args: string[]) {
  const env = { ...process.env, EVENT_NAMESPACE: system.namespace };
  const script = path.join(repoRoot, 'tools', 'launcher', 'dist', 'dead-letters.js');
  return run(process.execPath, [script, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('dead letters end to end', () => {
  it('When a malformed event is published by hand, then it is dead-lettered, the flow continues, and replay after a fix applies it', async () => {
    const id = new Types.ObjectId().toHexString();
    const malformed = { id, version: 0, title: 'Hand-made', price: 'twenty', userId: new Types.ObjectId().toHexString() };
    await bus.publish(Subjects.TicketCreated, new TextEncoder().encode(JSON.stringify(malformed)));

    // The flow behind it continues.
    const ticket = (await seller.post<TicketBody>('/api/tickets', { title: 'Regular', price: 20 })).body;
    await waitFor(async () => (await ticketPair(system, ticket.id)).replica?.version === 0, {
      description: 'the regular ticket in the replica',
    });

    const listed = await waitFor(
      async () => {
        const { stdout } = await deadLetters('list', '--json');
        const letters = JSON.parse(stdout) as Array<{
          sequence: number;
          subject: string;
          queueGroup: string;
          reason: string;
          payload: string;
          deliveryCount: number;
        }>;
        return letters.length === 1 ? letters : undefined;
      },
      { description: 'the dead letter' },
    );
    expect(listed[0]).toMatchObject({ subject: 'ticket:created', queueGroup: 'orders-service', deliveryCount: 1 });
    expect(listed[0].reason).toMatch(/price/);
    expect(JSON.parse(listed[0].payload)).toEqual(malformed);
    expect((await ticketPair(system, id)).replica).toBeNull();

    // Replaying it unchanged is refused: it is still invalid, and it stays a dead letter.
    const refused = await deadLetters('replay', String(listed[0].sequence));
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/not replayed: .*price/);

    const fixed = JSON.stringify({ ...malformed, price: 20 });
    const replayed = await deadLetters('replay', String(listed[0].sequence), '--payload', fixed);
    expect(replayed.stdout).toMatch(/replayed on ticket:created/);

    await waitFor(async () => (await ticketPair(system, id)).replica?.price === 20, { description: 'the replayed ticket in the replica' });
    expect(JSON.parse((await deadLetters('list', '--json')).stdout)).toEqual([]);
  });

  it('When an event names an aggregate that cannot exist or an id that is not one, then it is dead-lettered at its first delivery', async () => {
    const before = JSON.parse((await deadLetters('list', '--json')).stdout).length as number;
    const oid = () => new Types.ObjectId().toHexString();
    const ghostOrder = {
      id: oid(),
      version: 0,
      status: 'created',
      userId: oid(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      ticket: { id: oid(), price: 10, version: 0, placement: 1 },
    };
    await bus.publish(Subjects.OrderCreated, new TextEncoder().encode(JSON.stringify(ghostOrder)));
    await bus.publish(
      Subjects.TicketCreated,
      new TextEncoder().encode(JSON.stringify({ id: 'not-an-id', version: 0, title: 'Bad id', price: 10, userId: oid() })),
    );

    const letters = await waitFor(
      async () => {
        const all = JSON.parse((await deadLetters('list', '--json')).stdout) as Array<{
          subject: string;
          reason: string;
          deliveryCount: number;
        }>;
        return all.length >= before + 2 ? all : undefined;
      },
      { description: 'the dead letters' },
    );
    const about = (subject: string) => letters.filter((l) => l.subject === subject);
    expect(about('order:created').find((l) => /unknown ticket/.test(l.reason))).toMatchObject({ deliveryCount: 1 });
    expect(about('ticket:created').find((l) => /not an ObjectId/.test(l.reason))).toMatchObject({ deliveryCount: 1 });
    for (const letter of letters) expect(letter.reason).not.toMatch(/^handler failed/);
  });
});
