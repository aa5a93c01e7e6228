/**
 * The baseline: another commit of this repository, checked out as a git worktree under
 * `.tools/bench/baseline-<sha>` and built there. When its lockfile is the same as this tree's, its
 * node_modules links to every entry of this repository's node_modules except `@ticketing`, whose `common`
 * points at the worktree's own common/ (no install). Otherwise (a dependency added or removed since) it gets
 * its own dependencies, installed from its own lockfile.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, toolsDir } from '@ticketing/stack/paths';

const run = promisify(execFile);

export interface GitInfo {
  sha: string;
  short: string;
  subject: string;
}

export async function git(args: string[], cwd = repoRoot): Promise<string> {
  const { stdout } = await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

export async function resolveCommit(ref: string): Promise<GitInfo> {
  let sha: string;
  try {
    sha = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of this repository`);
  }
  const subject = await git(['log', '-1', '--format=%s', sha]);
  return { sha, short: sha.slice(0, 7), subject };
}

/** What the current tree is: HEAD and whether files differ from it. */
export async function describeWorkingTree(): Promise<{ head: GitInfo; changedFiles: number }> {
  const head = await resolveCommit('HEAD');
  const status = await git(['status', '--porcelain', '--untracked-files=no']);
  return { head, changedFiles: status ? status.split('\n').length : 0 };
}

/** Creates (or reuses) the worktree of `commit` and builds its services; returns its root. */
export async function prepareBaseline(commit: GitInfo, log: (line: string) => void): Promise<string> {
  const dir = path.join(toolsDir, 'bench', `baseline-${commit.short}`);
  if (existsSync(dir)) {
    const head = await git(['rev-parse', 'HEAD'], dir).catch(() => '');
    if (head !== commit.sha) {
      log(`removing stale worktree ${dir}`);
      await git(['worktree', 'remove', '--force', dir]).catch(() => rmSync(dir, { recursive: true, force: true }));
      await git(['worktree', 'prune']);
    }
  }
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    await git(['worktree', 'prune']);
    log(`creating worktree of ${commit.short} in ${path.relative(repoRoot, dir)}`);
    await git(['worktree', 'add', '--detach', dir, commit.sha]);
  }
  await provideNodeModules(dir, log);
  // The services that tree has (payments came later): `startSystem` starts each one it finds.
  const projects = ['common', 'auth', 'tickets', 'orders', 'payments'].filter((name) => existsSync(path.join(dir, name, 'tsconfig.json')));
  log(`building the baseline (tsc -b ${projects.join(' ')} in ${path.relative(repoRoot, dir)})`);
  const started = Date.now();
  try {
    await run(path.join(dir, 'node_modules', '.bin', 'tsc'), ['-b', ...projects], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`the baseline ${commit.short} does not build: ${(e.stdout || e.stderr || e.message).slice(0, 2_000)}`);
  }
  log(`baseline built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

const lockHash = (root: string) => {
  const file = path.join(root, 'package-lock.json');
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'none';
};

/** The worktree's dependencies: this tree's, linked, when the lockfiles match; else its own, installed once. */
async function provideNodeModules(worktree: string, log: (line: string) => void): Promise<void> {
  const wanted = lockHash(worktree);
  const marker = path.join(worktree, 'node_modules', '.installed-from-lock');
  if (wanted === lockHash(repoRoot)) {
    if (existsSync(marker)) rmSync(path.join(worktree, 'node_modules'), { recursive: true, force: true });
    linkNodeModules(worktree);
    return;
  }
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return;
  log('the baseline locks other dependencies than this tree: installing its own (npm install, from its lockfile)');
  // Links from an earlier linked run point into this checkout: npm would install through them.
  for (const dir of ['.', ...workspacesOf(worktree)]) rmSync(path.join(worktree, dir, 'node_modules'), { recursive: true, force: true });
  const started = Date.now();
  try {
    // Scripts off: nothing the services need builds at install (they would download browsers and mongod).
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: worktree, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`the baseline's dependencies did not install: ${(e.stderr || e.message).slice(-2_000)}`);
  }
  writeFileSync(marker, wanted);
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * node_modules of the worktree: a link per entry of ours, and @ticketing/common → the worktree's common. A
 * workspace's own node_modules (a version npm could not hoist, e.g. common's lru-cache) is linked the same
 * way, or that workspace would resolve the root's other version.
 */
function linkNodeModules(worktree: string): void {
  linkEntries(path.join(repoRoot, 'node_modules'), path.join(worktree, 'node_modules'));
  for (const workspace of workspacesOf(worktree)) {
    const own = path.join(repoRoot, workspace, 'node_modules');
    if (existsSync(own)) linkEntries(own, path.join(worktree, workspace, 'node_modules'));
  }
  const target = path.join(worktree, 'node_modules');
  const scope = path.join(target, '@ticketing');
  if (existsSync(scope) && lstatSync(scope).isSymbolicLink()) rmSync(scope);
  mkdirSync(scope, { recursive: true });
  ensureLink(path.join('..', '..', 'common'), path.join(scope, 'common'));
}

/** The workspace folders `root`'s package.json lists (npm's `workspaces`, plain paths). */
function workspacesOf(root: string): string[] {
  try {
    const { workspaces } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: unknown };
    return Array.isArray(workspaces) ? workspaces.filter((w): w is string => typeof w === 'string' && !w.includes('*')) : [];
  } catch {
    return [];
  }
}

/** A link in `target` to every entry of `source` but `@ticketing` (the worktree's own packages). */
function linkEntries(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(source)) {
    if (entry === '@ticketing') continue;
    ensureLink(path.join(source, entry), path.join(target, entry));
  }
}

function ensureLink(to: string, at: string): void {
  try {
    const stat = lstatSync(at);
    if (stat.isSymbolicLink() && readlinkSync(at) === to) return;
    rmSync(at, { recursive: true, force: true });
  } catch {
    // absent: create it
  }
  symlinkSync(to, at);
}
