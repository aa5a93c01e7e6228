/**
 * The ordering rule every replica follows. An event carries its aggregate's version after the change;
 * the replica holds the last version it applied.
 *
 * - `apply`: the event is the next one (`version == current + 1`, or `0` for an unknown aggregate).
 * - `stale`: already applied (`version <= current`): a duplicate or a late redelivery; ack and ignore.
 * - `gap`: a predecessor is missing (`version > current + 1`): nak so it comes back once the gap fills.
 */
export type VersionVerdict = 'apply' | 'stale' | 'gap';

export function versionVerdict(eventVersion: number, currentVersion: number | undefined): VersionVerdict {
  const expected = currentVersion === undefined ? 0 : currentVersion + 1;
  if (eventVersion === expected) return 'apply';
  if (currentVersion !== undefined && eventVersion <= currentVersion) return 'stale';
  return 'gap';
}

/** What applying an event did; a listener acks for `applied` and `stale`, naks for `gap`. */
export type ApplyResult = 'applied' | 'stale' | 'gap';
