import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest folder above this file whose package.json declares workspaces. */
function findRepoRoot(start: string): string {
  let dir = start;
  while (dir !== path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tools', 'stack', 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the repository root above ${start}`);
}

export const repoRoot = findRepoRoot(__dirname);
/** Git-ignored home of installed servers and their install logs. */
export const toolsDir = process.env.TICKETING_TOOLS_DIR ?? path.join(repoRoot, '.tools');
export const binDir = path.join(toolsDir, 'bin');
export const logDir = path.join(toolsDir, 'logs');
