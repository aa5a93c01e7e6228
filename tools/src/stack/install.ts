import { execFile, execFileSync } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  chmodSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { StackLog } from './log';
import { binDir, logDir } from './paths';

const run = promisify(execFile);

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
  /** Source edits applied before building; the binary's name carries `variant` so an unpatched build is not reused. */
  patches?: SourcePatch[];
  variant?: string;
}

/** One exact text replacement in the module's source, with the reason for it. */
export interface SourcePatch {
  file: string;
  from: string;
  to: string;
  why: string;
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

export const FERRETDB: GoServer = {
  name: 'ferretdb',
  module: 'github.com/FerretDB/FerretDB',
  mainPackage: './cmd/ferretdb',
  version: 'v1.24.2',
  binEnv: 'FERRETDB_BIN',
  acceptOnPath: /v1\.24\./,
  variant: 'idindex-in-natural-untracked',
  patches: [
    {
      // The SQLite handler creates a unique index on `_ferretdb_sjson->"_id"` but filters with
      // `_ferretdb_sjson->'$._id'`; SQLite matches index expressions by their text, so it never uses the
      // index and every look-up or update by _id scans the table (6 ms at 1,000 documents, 210 ms at
      // 100,000). Querying with the index's own expression makes those a B-tree search (about 1 ms at 100,000).
      file: 'internal/backends/sqlite/metadata/metadata.go',
      from: `IDColumn = DefaultColumn + "->'$._id'"`,
      to: 'IDColumn = DefaultColumn + `->"_id"`',
      why: 'query _id with the expression of its unique index, so SQLite uses the index',
    },
    // `{ _id: { $in: [...] } }` (reads grouped per turn, see GroupedReads in @ticketing/common) was not pushed
    // down either: FerretDB read every document and filtered in Go. With this patch a list of up to 1,000
    // ids, each a string or an ObjectId, becomes `_id IN (?, …)` on the same index; FerretDB still applies
    // the whole filter to what SQLite returns, as for every pushdown.
    {
      file: 'internal/backends/sqlite/collection.go',
      from:
        '\t\tcase string, types.ObjectID:\n\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)\n' +
        '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n\t\t}\n',
      to:
        '\t\tcase string, types.ObjectID:\n\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)\n' +
        '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n' +
        '\t\tcase *types.Document:\n' +
        '\t\t\tcond := v.(*types.Document)\n' +
        '\t\t\tin, _ := cond.Get("$in")\n' +
        '\t\t\tif ids, ok := in.(*types.Array); ok && cond.Len() == 1 && ids.Len() > 0 && ids.Len() <= 1000 {\n' +
        '\t\t\t\tinArgs := make([]any, 0, ids.Len())\n' +
        '\t\t\t\tfor i := 0; i < ids.Len(); i++ {\n' +
        '\t\t\t\t\tswitch id := must.NotFail(ids.Get(i)); id.(type) {\n' +
        '\t\t\t\t\tcase string, types.ObjectID:\n' +
        '\t\t\t\t\t\tinArgs = append(inArgs, string(must.NotFail(sjson.MarshalSingleValue(id))))\n' +
        '\t\t\t\t\t}\n' +
        '\t\t\t\t}\n' +
        '\t\t\t\tif len(inArgs) == ids.Len() {\n' +
        '\t\t\t\t\twhereClause = fmt.Sprintf(` WHERE %s IN (?%s)`, metadata.IDColumn, strings.Repeat(`, ?`, len(inArgs)-1))\n' +
        '\t\t\t\t\targs = inArgs\n' +
        '\t\t\t\t}\n' +
        '\t\t\t}\n' +
        '\t\t}\n',
      why: 'push a filter `_id: {$in: [ids]}` down as `_id IN (...)` on the _id index',
    },
    // Newest first without reading the collection: `sort({$natural: -1})` is pushed down to SQLite as
    // `ORDER BY rowid DESC` (rowid is insertion order; a capped collection's record id is the same column),
    // and the documents stream to the limit instead of being collected for an in-memory sort that $natural
    // does not need. FerretDB 1.24 allows $natural only on capped collections and collects every document
    // (20,000 tickets: 727 ms for the newest page sorted by _id, against 15 ms for the oldest page unsorted).
    {
      file: 'internal/backends/sqlite/query.go',
      from: 'return fmt.Sprintf(" ORDER BY %s%s", metadata.RecordIDColumn, order)',
      to: 'return fmt.Sprintf(" ORDER BY rowid%s", order)',
      why: 'order $natural by rowid, which every table has (a capped collection record id is an alias of it)',
    },
    {
      file: 'internal/handler/msg_find.go',
      from: '\t\tif !cInfo.Capped() {',
      to: '\t\tif !cInfo.Capped() && h.DisablePushdown {',
      why: 'accept $natural sort on any collection (it is pushed down)',
    },
    {
      file: 'internal/handler/common/sort_iterator.go',
      from: '\tif sort.Len() == 0 {',
      to: '\tif sort.Len() == 0 || (sort.Len() == 1 && sort.Has("$natural")) {',
      why: 'stream a $natural-sorted query to its limit: the backend already returned it in that order',
    },
    // FerretDB's leak detector: every iterator, cursor and document iterator it creates is added to a pprof
    // profile (a stack trace per object) and given a finalizer that panics if it was never closed. It runs in
    // release builds too, and cost a sixth of FerretDB's CPU on `GET /api/tickets/:id` (profiled with its
    // debug handler). Debug builds of FerretDB keep it; this one tracks nothing.
    {
      file: 'internal/util/resource/resource.go',
      from: 'func Track(obj any, token *Token) {\n',
      to: 'func Track(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n',
      why: 'track resources (a stack trace and a finalizer per iterator) in debug builds only',
    },
    {
      file: 'internal/util/resource/resource.go',
      from: 'func Untrack(obj any, token *Token) {\n',
      to: 'func Untrack(obj any, token *Token) {\n\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n',
      why: 'untrack in debug builds only, as Track',
    },
  ],
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

function isExecutable(file: string): boolean {
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

function versionOf(binary: string): string {
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
  const installed = path.join(binDir, `${server.name}-${server.version}${server.variant ? `-${server.variant}` : ''}`);
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
  try {
    await build(server, installed, logFile);
  } catch {
    log(`${server.name} did not build with the machine's Go; retrying with GOTOOLCHAIN=${FALLBACK_TOOLCHAIN}`);
    try {
      await build(server, installed, logFile, { GOTOOLCHAIN: FALLBACK_TOOLCHAIN });
    } catch {
      throw new MissingServerError(
        `could not build ${server.name} ${server.version} (see ${logFile}); set ${server.binEnv} to an installed binary`,
      );
    }
  }
  log(`installed ${installed}`);
  return installed;
}

async function build(server: GoServer, target: string, logFile: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  const env = { ...process.env, ...extraEnv, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  const work = mkdtempSync(path.join(os.tmpdir(), `build-${server.name}-`));
  const step = async (args: string[], cwd: string) => {
    appendFileSync(logFile, `\n$ ${extraEnv.GOTOOLCHAIN ? `GOTOOLCHAIN=${extraEnv.GOTOOLCHAIN} ` : ''}go ${args.join(' ')}  (in ${cwd})\n`);
    try {
      const { stdout, stderr } = await run('go', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
      appendFileSync(logFile, stdout + stderr);
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      appendFileSync(logFile, `${e.stdout ?? ''}${e.stderr ?? e.message}\n`);
      throw err;
    }
  };
  try {
    // Download the pinned module and build its main package from a writable copy. (`go install pkg@v`
    // would do the same, but FerretDB needs build/version/version.txt, which only its release tooling writes.)
    const downloaded = JSON.parse(await step(['mod', 'download', '-json', `${server.module}@${server.version}`], work)) as {
      Dir: string;
    };
    const source = path.join(work, 'src');
    cpSync(downloaded.Dir, source, { recursive: true });
    chmodWritable(source);
    if (server.name === 'ferretdb') writeFileSync(path.join(source, 'build', 'version', 'version.txt'), `${server.version}\n`);
    for (const patch of server.patches ?? []) applyPatch(source, patch, logFile);
    const output = path.join(work, server.name);
    await step(['build', '-trimpath', '-o', output, server.mainPackage], source);
    renameOrCopy(output, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function applyPatch(source: string, patch: SourcePatch, logFile: string): void {
  const file = path.join(source, patch.file);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(patch.from)) throw new Error(`patch does not apply to ${patch.file}: ${patch.why}`);
  writeFileSync(file, text.replace(patch.from, patch.to));
  appendFileSync(logFile, `\npatched ${patch.file}: ${patch.why}\n`);
}

function chmodWritable(dir: string): void {
  execFileSync('chmod', ['-R', 'u+w', dir]);
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    cpSync(from, to);
  }
  chmodSync(to, 0o755);
}
