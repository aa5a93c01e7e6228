/**
 * Runs one Publisher/Listener measurement (figure 6) in a process of its own, so that neither the raw client
 * nor the project's classes share a heap, a garbage collector or an event loop with the bench (which holds
 * the gateway, the seeded ids and every figure so far): the first versions measured in the bench process,
 * where the Listener's allocations met a collector busy with the bench's own heap.
 *
 * `measureInChild` starts `node pubsub-process.js`; the child connects to NATS (`NATS_URL`), runs the one
 * measurement `BENCH_PUBSUB` names and prints its events/s as JSON.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { loadCommon } from './common-api';
import { projectConsume, projectPublish, rawConsume, rawPublish } from './pubsub';

export type PubSubMeasurement = 'raw publish' | 'raw consume' | 'Publisher' | 'Listener';

interface Request {
  measurement: PubSubMeasurement;
  /** The tree whose `common/dist` provides the Publisher and Listener. */
  root: string;
  count: number;
}

/** Events per second of one measurement, run in a new Node process. */
export async function measureInChild(natsUrl: string, request: Request): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [__filename], {
    env: { ...process.env, NATS_URL: natsUrl, BENCH_PUBSUB: JSON.stringify(request) },
    maxBuffer: 1024 * 1024,
    timeout: 180_000,
  });
  const { eventsPerSecond } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { eventsPerSecond?: unknown };
  if (typeof eventsPerSecond !== 'number')
    throw new Error(`the ${request.measurement} measurement printed no figure: ${stdout.slice(-500)}`);
  return eventsPerSecond;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.env.BENCH_PUBSUB ?? '') as Request;
  const natsUrl = String(process.env.NATS_URL);
  const nc = await connect({ servers: natsUrl, name: 'bench-pubsub' });
  try {
    const ctx = { natsUrl, js: jetstream(nc), jsm: await jetstreamManager(nc) };
    const api = () => loadCommon(request.root);
    const measure = {
      'raw publish': () => rawPublish(ctx, request.count),
      'raw consume': () => rawConsume(ctx, request.count),
      Publisher: () => projectPublish(ctx, api(), request.count),
      Listener: () => projectConsume(ctx, api(), request.count),
    }[request.measurement];
    process.stdout.write(`${JSON.stringify({ eventsPerSecond: await measure() })}\n`);
  } finally {
    await nc.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
