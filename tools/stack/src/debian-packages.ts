import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runLogged } from './logged-command';
import { logDir } from './paths';

/** Installs Debian packages the stack or a test needs: with apt-get, once, logged under `.tools/logs`. */

export class MissingPackageError extends Error {}

/** The packages of `packages` that dpkg does not list as installed. */
export function missingDebianPackages(packages: readonly string[]): string[] {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format syntax
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...packages], { encoding: 'utf8' });
  // dpkg-query exits 1 when a package is unknown to it, and still lists the ones it knows.
  const installed = new Set(
    (result.stdout ?? '')
      .split('\n')
      .filter((line) => line.endsWith(' installed'))
      .map((line) => line.split(' ')[0]?.split(':')[0]),
  );
  return packages.filter((pkg) => !installed.has(pkg));
}

/**
 * Makes sure `packages` are installed: those missing are installed with apt-get when this runs as root on a
 * Debian-like machine (as CI does); otherwise one line saying what to install. `purpose` names what needs them.
 */
export async function ensureDebianPackages(
  packages: readonly string[],
  purpose: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  const missing = missingDebianPackages(packages);
  if (missing.length === 0) return;
  const command = `apt-get install ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt)
    throw new MissingPackageError(`${purpose} needs Debian packages that are not installed: run \`${command}\` as root`);
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `apt-${missing[0]}.log`);
  log(`installing ${missing.join(' ')} with apt-get for ${purpose} (once, log: ${logFile})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get (another test run, another install) holds the lock for a while: wait for it.
  const apt = (args: string[]) =>
    runLogged(logFile, 'apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { env }).then(
      () => true,
      () => false,
    );
  const install = () => apt(['install', '-y', '--no-install-recommends', ...missing]);
  // The package lists may be missing or stale (a release moved a version): refresh them once and try again.
  if (!(await install()) && !((await apt(['update'])) && (await install()))) {
    throw new MissingPackageError(
      `apt-get could not install ${missing.join(' ')} for ${purpose} (see ${logFile}): run \`${command}\` as root`,
    );
  }
}

/**
 * A program from a Debian package (chromium, nginx): found at one of `paths`, else the package is installed
 * (see `ensureDebianPackages`) and the program must then be at one of them.
 */
export async function ensureDebianProgram(pkg: string, paths: string[], log?: (line: string) => void): Promise<string> {
  const found = paths.find((candidate) => existsSync(candidate));
  if (found) return found;
  await ensureDebianPackages([pkg], `this test (${paths[0]})`, log);
  const installed = paths.find((candidate) => existsSync(candidate));
  if (!installed) throw new MissingPackageError(`apt-get installed ${pkg}, but none of ${paths.join(', ')} exists`);
  return installed;
}
