/**
 * `npm run dead-letters -- list [--json]`
 * `npm run dead-letters -- replay <sequence>… [--payload '<json>']`
 * `npm run dead-letters -- discard <sequence>…`
 *
 * Lists the dead letters of a JetStream deployment (subject, queue group, reason, delivery count,
 * payload) and replays chosen ones once the cause is fixed: the payload (the original, or the corrected
 * one given with --payload) is validated against the event's schema and published again on its subject,
 * then the dead letter is removed. Every group receives the replay; those that already applied that
 * version ignore it. Reads NATS_URL (and EVENT_NAMESPACE if the system uses one).
 */
import { type DeadLetter, type EventData, EventValidationError, encodeEvent, isSubject, jetStreamNames } from '@ticketing/common/events';
import { JetStreamTransport } from '@ticketing/common/jetstream';

type Listed = DeadLetter & { sequence: number };

export interface DeadLetterCommandResult {
  exitCode: number;
  output: string;
}

function usage(): DeadLetterCommandResult {
  return {
    exitCode: 2,
    output: [
      'usage: dead-letters list [--json]',
      "       dead-letters replay <sequence>... [--payload '<corrected json>']",
      '       dead-letters discard <sequence>...',
      'env:   NATS_URL (required), NATS_USER + NATS_PASSWORD (the admin identity, or in the URL), EVENT_NAMESPACE (optional)',
    ].join('\n'),
  };
}

function format(letters: Listed[]): string {
  if (letters.length === 0) return 'no dead letters';
  return letters
    .map((l) =>
      [
        `#${l.sequence}  ${l.subject}  group=${l.queueGroup}  deliveries=${l.deliveryCount}  at=${l.deadLetteredAt}`,
        `    reason:  ${l.reason}`,
        ...(l.payloadBytes !== undefined
          ? [`    size:    ${l.payloadBytes} bytes, sha256 ${l.payloadSha256}${l.isTruncated ? ' (only its start is kept)' : ''}`]
          : []),
        `    payload: ${l.payload.length > 500 ? `${l.payload.slice(0, 500)}…` : l.payload}`,
      ].join('\n'),
    )
    .join('\n');
}

/** Runs one command against the bus; returns what to print and the exit code (no process.exit here). */
export async function runDeadLetterCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<DeadLetterCommandResult> {
  const [command, ...rest] = args;
  if (!command || !['list', 'replay', 'discard'].includes(command)) return usage();
  if (!env.NATS_URL) return { exitCode: 2, output: 'NATS_URL is required (e.g. nats://127.0.0.1:4222)' };

  const bus = await JetStreamTransport.connect({
    servers: env.NATS_URL,
    // The admin identity: dead letters are the operator's (credentials in the URL work too).
    ...(env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD } : {}),
    provision: false,
    connectionName: 'dead-letters-cli',
    ...jetStreamNames(env.EVENT_NAMESPACE),
  });
  try {
    const letters = await bus.listDeadLetters();
    if (command === 'list') {
      return { exitCode: 0, output: rest.includes('--json') ? JSON.stringify(letters) : format(letters) };
    }

    const payloadIndex = rest.indexOf('--payload');
    const corrected = payloadIndex >= 0 ? rest[payloadIndex + 1] : undefined;
    if (payloadIndex >= 0 && corrected === undefined) return usage();
    const sequenceArgs = payloadIndex >= 0 ? rest.filter((_, i) => i !== payloadIndex && i !== payloadIndex + 1) : rest;
    const sequences = sequenceArgs.map(Number);
    if (sequences.length === 0 || sequences.some((n) => !Number.isInteger(n) || n <= 0)) return usage();
    if (corrected !== undefined && sequences.length !== 1) return { exitCode: 2, output: '--payload applies to exactly one sequence' };

    const lines: string[] = [];
    let failures = 0;
    for (const sequence of sequences) {
      const letter = letters.find((l) => l.sequence === sequence);
      if (!letter) {
        lines.push(`#${sequence}: no such dead letter`);
        failures++;
        continue;
      }
      if (command === 'discard') {
        await bus.deleteDeadLetter(sequence);
        lines.push(`#${sequence}: discarded`);
        continue;
      }
      if (!isSubject(letter.subject)) {
        lines.push(`#${sequence}: unknown subject ${letter.subject}`);
        failures++;
        continue;
      }
      if (letter.isTruncated && corrected === undefined) {
        lines.push(`#${sequence}: not replayed: only the start of its ${letter.payloadBytes} bytes is kept; give --payload`);
        failures++;
        continue;
      }
      try {
        const data = JSON.parse(corrected ?? letter.payload) as EventData<typeof letter.subject>;
        // Validated like any publish: a payload that is still wrong stays a dead letter. Sent without a message
        // id, unlike the services' events: the original's id may still be in JetStream's duplicate window, and a
        // replay is meant to be delivered again.
        await bus.publish(letter.subject, encodeEvent(letter.subject, data));
        await bus.deleteDeadLetter(sequence);
        lines.push(`#${sequence}: replayed on ${letter.subject}`);
      } catch (err) {
        failures++;
        const why =
          err instanceof EventValidationError ? err.reason : err instanceof SyntaxError ? 'payload is not valid JSON' : String(err);
        lines.push(`#${sequence}: not replayed: ${why}`);
      }
    }
    return { exitCode: failures > 0 ? 1 : 0, output: lines.join('\n') };
  } finally {
    await bus.close();
  }
}

if (require.main === module) {
  runDeadLetterCommand(process.argv.slice(2)).then(
    ({ exitCode, output }) => {
      (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
      process.exit(exitCode);
    },
    (err: unknown) => {
      process.stderr.write(`dead-letters: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
