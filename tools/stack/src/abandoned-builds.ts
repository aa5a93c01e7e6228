import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Removes what an install killed midway left of `target`: installs assemble `<target>.partial-<pid>` and
 * rename it when complete, so a partial one whose process is gone will never be finished.
 */
export function removeAbandonedBuilds(target: string): void {
  const folder = path.dirname(target);
  const partial = `${path.basename(target)}.partial-`;
  for (const name of existsSync(folder) ? readdirSync(folder) : []) {
    const pid = name.startsWith(partial) ? Number(name.slice(partial.length)) : Number.NaN;
    if (Number.isInteger(pid) && !isAlive(pid)) rmSync(path.join(folder, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
