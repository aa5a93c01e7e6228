import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackLog } from './log';
import { runLogged } from './logged-command';
import { binDir, logDir } from './paths';

/** A server we can build from the Go module proxy, pinned to one version. */
export interface GoServer {
  name: 'nats-server' | 'nats-streaming-server' | 'ferretdb' | 'stripe-mock';
  module: string;
  /** Package path of the main package inside the module. */
  mainPackage: string;
  version: string;
  /** Environment variable that points at an existing binary and skips everything else. */
  binEnv: string;
  /** Accept a binary found on PATH if its `--version` output matches. */
  acceptOnPath: RegExp;
  /** A file of the module that its release tooling writes with the version (and a plain build needs), e.g. FerretDB's. */
  versionFile?: string;
  /** The Go release to build with (`GOTOOLCHAIN`, fetched from the module proxy), for a module that newer Go does not build. */
  toolchain?: string;
}

export const NATS_SERVER: GoServer = {
  name: 'nats-server',
  module: 'github.com/nats-io/nats-server/v2',
  mainPackage: '.',
  version: 'v2.12.15',
  binEnv: 'NATS_SERVER_BIN',
  acceptOnPath: /v?2\.1[2-9]\./,
};

export const NATS_STREAMING_SERVER: GoServer = {
  name: 'nats-streaming-server',
  module: 'github.com/nats-io/nats-streaming-server',
  mainPackage: '.',
  version: 'v0.25.6',
  binEnv: 'NATS_STREAMING_SERVER_BIN',
  acceptOnPath: /v?0\.25\./,
};

/**
 * FerretDB 2: the MongoDB wire protocol over PostgreSQL with the DocumentDB extension (see documentdb.ts),
 * unpatched. Its version names the DocumentDB release it needs (`DOCUMENTDB` there).
 */
export const FERRETDB: GoServer = {
  name: 'ferretdb',
  module: 'github.com/FerretDB/FerretDB/v2',
  mainPackage: './cmd/ferretdb',
  version: 'v2.5.0',
  binEnv: 'FERRETDB_BIN',
  acceptOnPath: /v2\.5\.0/,
  versionFile: 'build/version/version.txt',
  // The release's own toolchain (its go.mod): a file of cmd/ferretdb builds only with Go < 1.25 (`setGOMAXPROCS`).
  toolchain: 'go1.24.6',
};

/** Stripe's own API mock (stateless: canned responses, real request validation against Stripe's OpenAPI spec). */
export const STRIPE_MOCK: GoServer = {
  name: 'stripe-mock',
  module: 'github.com/stripe/stripe-mock',
  mainPackage: '.',
  version: 'v0.203.0',
  binEnv: 'STRIPE_MOCK_BIN',
  acceptOnPath: /0\.203\./,
};

/** Used when a pinned server does not build with the machine's Go: the proxy serves this toolchain. */
const FALLBACK_TOOLCHAIN = 'go1.24.11';

export class MissingServerError extends Error {}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function versionOf(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

/**
 * Finds the pinned server: `$<binEnv>`, then our tools folder, then PATH (if the version matches), and
 * otherwise builds it with Go into the tools folder. Every install is logged under `.tools/logs/`.
 */
export async function ensureServer(server: GoServer, log: StackLog): Promise<string> {
  const fromEnv = process.env[server.binEnv];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new MissingServerError(`${server.binEnv}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const installed = path.join(binDir, `${server.name}-${server.version}`);
  if (isExecutable(installed)) return installed;
  const system = onPath(server.name);
  if (system && server.acceptOnPath.test(versionOf(system))) return system;

  const go = onPath('go');
  if (!go) {
    throw new MissingServerError(
      `${server.name} ${server.version} is needed: install Go >= 1.24 (it builds the server into .tools/bin), ` +
        `put ${server.name} ${server.version} on PATH, or set ${server.binEnv} to its path`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `install-${server.name}.log`);
  log(`installing ${server.name} ${server.version} with Go (one time, log: ${path.relative(process.cwd(), logFile)})`);
  // A pinned toolchain, else the machine's Go and then the fallback.
  const toolchains = server.toolchain ? [server.toolchain] : [undefined, FALLBACK_TOOLCHAIN];
  for (const [attempt, toolchain] of toolchains.entries()) {
    if (attempt > 0) log(`${server.name} did not build with the machine's Go; retrying with GOTOOLCHAIN=${toolchain}`);
    try {
      await build(server, installed, logFile, toolchain ? { GOTOOLCHAIN: toolchain } : {});
      log(`installed ${installed}`);
      return installed;
    } catch {
      // the next toolchain, or the error below
    }
  }
  throw new MissingServerError(
    `could not build ${server.name} ${server.version} (see ${logFile}); set ${server.binEnv} to an installed binary`,
  );
}

async function build(server: GoServer, target: string, logFile: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  const go = (args: string[], cwd: string) => runLogged(logFile, 'go', args, { cwd, env, shownEnv: extraEnv });
  const work = mkdtempSync(path.join(os.tmpdir(), `build-${server.name}-`));
  try {
    // Download the pinned module and build its main package from a writable copy. (`go install pkg@v`
    // would do the same, but FerretDB needs build/version/version.txt, which only its release tooling writes.)
    const downloaded = JSON.parse(await go(['mod', 'download', '-json', `${server.module}@${server.version}`], work)) as { Dir: string };
    const source = path.join(work, 'src');
    cpSync(downloaded.Dir, source, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', source]);
    if (server.versionFile) writeFileSync(path.join(source, server.versionFile), `${server.version}\n`);
    const output = path.join(work, server.name);
    await go(['build', '-trimpath', '-o', output, server.mainPackage], source);
    renameOrCopy(output, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    cpSync(from, to);
  }
  chmodSync(to, 0o755);
}
