import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser (playwright cannot download its own here). */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

/**
 * The system Chromium for the browser tests: found, or installed with apt (`apt-get install chromium`) when
 * this runs as root on a Debian-like machine, as CI does. Otherwise an error saying what to install.
 */
export function ensureChromium(log: (line: string) => void = () => {}): string {
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error("The browser tests need Chromium: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH");
  }
  log('installing chromium with apt-get (once)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 600_000 });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', env, timeout: 900_000 });
  const installed = CANDIDATES.find((candidate) => existsSync(candidate));
  if (!installed) throw new Error('apt-get installed chromium, but no chromium binary was found');
  return installed;
}
