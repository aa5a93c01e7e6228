import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A program some tests need from Debian (chromium, nginx): found at one of `paths`, or installed with apt when
 * this runs as root on a Debian-like machine, as CI does. Otherwise an error saying what to install.
 */
export function ensureDebianPackage(pkg: string, paths: string[], log: (line: string) => void = () => {}): string {
  const found = paths.find((candidate) => existsSync(candidate));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) throw new Error(`This test needs ${pkg}: install Debian's ${pkg} package (apt-get install ${pkg})`);
  log(`installing ${pkg} with apt-get (once)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 600_000 });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env, timeout: 900_000 });
  const installed = paths.find((candidate) => existsSync(candidate));
  if (!installed) throw new Error(`apt-get installed ${pkg}, but none of ${paths.join(', ')} exists`);
  return installed;
}
