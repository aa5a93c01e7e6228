let turnEnd: Promise<void> | undefined;

/**
 * Resolves at the end of the current turn of the event loop (`setImmediate`), after the I/O callbacks of the
 * turn; every caller during one turn gets the same promise. For work gathered over a turn and sent at once:
 * a NATS client writes what it has to send once per microtask checkpoint, and each I/O callback ends in a
 * checkpoint of its own, so messages started from separate callbacks would each be a socket write.
 */
export function endOfTurn(): Promise<void> {
  turnEnd ??= new Promise((resolve) =>
    setImmediate(() => {
      turnEnd = undefined;
      resolve();
    }),
  );
  return turnEnd;
}
