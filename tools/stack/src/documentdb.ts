/**
 * Installs what FerretDB 2 runs on: PostgreSQL 15 with the DocumentDB extension and the extensions it
 * requires, as a private PostgreSQL tree in `.tools` (nothing of ours is written into the system's PostgreSQL).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeAbandonedBuilds } from './abandoned-builds';
import { ensureDebianPackages } from './debian-packages';
import { isExecutable } from './install';
import type { StackLog } from './log';
import { runLogged } from './logged-command';
import { logDir, toolsDir } from './paths';
import { type SourceArchive, sourceArchive } from './source-archive';

export const POSTGRES_MAJOR = 15;

/** FerretDB's build of DocumentDB, the release FerretDB v2.5.0 names as the one it requires. */
export const DOCUMENTDB: SourceArchive & { version: string } = {
  version: '0.106.0-ferretdb-2.5.0',
  file: 'documentdb-0.106.0-ferretdb-2.5.0.tar.gz',
  url: 'https://github.com/FerretDB/documentdb/archive/refs/tags/v0.106.0-ferretdb-2.5.0.tar.gz',
  sha256: '3ba0408eee7c3bc67933da50034092ee77e2aa79b61234c1216b0a1ffac21df1',
};

/** pgvector, which DocumentDB requires and Debian 12 does not package for PostgreSQL 15. */
export const PGVECTOR: SourceArchive & { version: string } = {
  version: '0.8.0',
  file: 'pgvector-0.8.0.tar.gz',
  url: 'https://github.com/pgvector/pgvector/archive/refs/tags/v0.8.0.tar.gz',
  sha256: '93df40ccdaaaa267d1275c1e6e773004a0e5ff8e14227934a4ec7e8205d0f608',
};

/**
 * Debian 12's packages for the build and for DocumentDB's other required extensions (pg_cron, rum, PostGIS;
 * `tsm_system_rows` comes with PostgreSQL). DocumentDB's own install scripts download these sources instead.
 */
const DEBIAN_PACKAGES = [
  'build-essential',
  'pkg-config',
  `postgresql-${POSTGRES_MAJOR}`,
  `postgresql-server-dev-${POSTGRES_MAJOR}`,
  `postgresql-${POSTGRES_MAJOR}-cron`,
  `postgresql-${POSTGRES_MAJOR}-rum`,
  `postgresql-${POSTGRES_MAJOR}-postgis-3`,
  'libbson-dev',
  'libpcre2-dev',
  'libintelrdfpmath-dev',
  'libicu-dev',
  'libkrb5-dev',
  'libxml2-dev',
];

/** Set to a PostgreSQL `bin` folder whose installation has DocumentDB and its extensions: nothing is installed then. */
const BIN_DIR_ENV = 'DOCUMENTDB_PG_BINDIR';

export interface PostgresInstall {
  /** Holds `initdb`, `postgres`, `psql`, `pg_isready`. */
  binDir: string;
  /** What runs, for the log: e.g. `PostgreSQL 15.14 + DocumentDB 0.106.0-ferretdb-2.5.0`. */
  description: string;
}

/** Where the tree of these pinned versions lives; its `installed.json` is written last, when it is complete. */
const prefix = path.join(toolsDir, `postgresql-${POSTGRES_MAJOR}-documentdb-${DOCUMENTDB.version}-pgvector-${PGVECTOR.version}`);

/**
 * PostgreSQL with DocumentDB: `DOCUMENTDB_PG_BINDIR`, else the private tree in `.tools`, built on first use
 * (a few minutes, logged in `.tools/logs/install-documentdb.log`): Debian's packages with apt-get, then
 * pgvector and DocumentDB from their pinned release sources (see `sourceArchive`).
 *
 * PostgreSQL 15 finds extensions only in its own folders, computed from where its binary is. So the tree is
 * a copy of Debian's PostgreSQL 15 (binaries, libraries, shared files: about 120 MB, with pg_cron, rum and
 * PostGIS in it) into which pgvector and DocumentDB are installed; `.tools` removed, nothing is left behind.
 */
export async function ensurePostgresWithDocumentDb(log: StackLog): Promise<PostgresInstall> {
  const fromEnv = process.env[BIN_DIR_ENV];
  if (fromEnv) {
    if (!isExecutable(path.join(fromEnv, 'postgres'))) throw new Error(`${BIN_DIR_ENV}=${fromEnv} has no postgres binary`);
    return { binDir: fromEnv, description: `PostgreSQL from ${fromEnv}` };
  }
  const installed = readInstalled();
  if (installed) {
    // The tree links to Debian's libraries (PostGIS's, ICU): put back a package removed since (a no-op otherwise).
    await ensureDebianPackages(DEBIAN_PACKAGES, `FerretDB 2 (PostgreSQL ${POSTGRES_MAJOR} + DocumentDB)`, log);
    return installed;
  }

  if (process.platform !== 'linux' || !existsSync('/etc/debian_version')) {
    throw new Error(
      `FerretDB 2 needs PostgreSQL ${POSTGRES_MAJOR} with DocumentDB ${DOCUMENTDB.version}: the stack builds it on Debian only; ` +
        `set ${BIN_DIR_ENV} to the bin folder of such an installation, or MONGO_URL to a MongoDB`,
    );
  }
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'install-documentdb.log');
  const started = Date.now();
  log(`installing PostgreSQL ${POSTGRES_MAJOR} + DocumentDB ${DOCUMENTDB.version} into ${prefix} (one time, log: ${logFile})`);
  await ensureDebianPackages(DEBIAN_PACKAGES, `FerretDB 2 (PostgreSQL ${POSTGRES_MAJOR} + DocumentDB)`, log);
  const [documentDbArchive, pgvectorArchive] = [await sourceArchive(DOCUMENTDB, log), await sourceArchive(PGVECTOR, log)];

  // Assembled beside its final place and renamed when complete: a build that fails or another process
  // building at the same time never leaves a half tree where the stack looks for it.
  const partial = `${prefix}.partial-${process.pid}`;
  removeAbandonedBuilds(prefix);
  const work = mkdtempSync(path.join(os.tmpdir(), 'build-documentdb-'));
  try {
    const system = systemPostgres();
    copySystemTree(system, partial);
    const pgConfig = privatePgConfig(system, work);
    const stage = path.join(work, 'stage');
    const make = (dir: string, args: string[], shownEnv: Record<string, string> = {}) =>
      runLogged(logFile, 'make', [`-j${Math.min(4, os.availableParallelism())}`, '-C', dir, `PG_CONFIG=${pgConfig}`, ...args], {
        shownEnv,
      });
    const step = (what: string) =>
      appendFileSync(logFile, `\n# ${what} (${Math.round((Date.now() - started) / 1000)} s into the install)\n`);

    step('pgvector');
    const pgvector = extract(pgvectorArchive, work);
    await make(pgvector, []);
    await make(pgvector, ['install', `DESTDIR=${stage}`]);

    const documentDb = extract(documentDbArchive, work);
    // Debian's libraries differ from those DocumentDB's scripts build, in two ways (no source is edited): the
    // Intel decimal library has no pkg-config file, so one is written; libbson 1.23 lacks
    // BSON_SUBTYPE_SENSITIVE (8 in later libbson), so it is defined, and a `case` of it, outside 1.23's
    // enumeration, stays a warning instead of an error. (pg_cron's is the third: see postgres.ts.)
    const pkgConfigDir = path.join(work, 'pkgconfig');
    mkdirSync(pkgConfigDir);
    writeFileSync(
      path.join(pkgConfigDir, 'intelmathlib.pc'),
      'Name: intelmathlib\nDescription: Intel decimal floating-point math library (Debian libintelrdfpmath-dev)\nVersion: 2.0\nLibs: -lbidgcc000\nCflags:\n',
    );
    const buildEnv = { PKG_CONFIG_PATH: pkgConfigDir };
    // On make's command line, where it replaces the CPPFLAGS of Debian's Makefile.global: theirs are repeated.
    const cppFlags =
      'CPPFLAGS=-DBSON_SUBTYPE_SENSITIVE=8 -Wno-error=switch -Wdate-time -D_FORTIFY_SOURCE=2 -D_GNU_SOURCE -I/usr/include/libxml2';
    step('DocumentDB');
    await make(path.join(documentDb, 'pg_documentdb_core'), [cppFlags], buildEnv);
    await make(path.join(documentDb, 'pg_documentdb'), [cppFlags], buildEnv);
    await make(documentDb, ['install-no-distributed', cppFlags, `DESTDIR=${stage}`], buildEnv);

    cpSync(path.join(stage, prefix), partial, { recursive: true });
    const postgresVersion = execFileSync(path.join(partial, relative(system.binDir, system), 'postgres'), ['--version'], {
      encoding: 'utf8',
    })
      .trim()
      .replace(/^postgres \(PostgreSQL\) /, '');
    writeFileSync(
      path.join(partial, 'installed.json'),
      `${JSON.stringify({ binDir: relative(system.binDir, system), postgres: postgresVersion, documentdb: DOCUMENTDB.version, pgvector: PGVECTOR.version }, null, 2)}\n`,
    );
    try {
      renameSync(partial, prefix);
    } catch (err) {
      // Another process finished first: use its tree.
      if (!readInstalled()) throw err;
    }
  } catch (err) {
    throw new Error(`could not build PostgreSQL + DocumentDB (${(err as Error).message.split('\n')[0]}); see ${logFile}`);
  } finally {
    rmSync(partial, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  const done = readInstalled();
  if (!done) throw new Error(`the DocumentDB install in ${prefix} is incomplete; see ${logFile}`);
  log(`installed ${done.description} in ${Math.round((Date.now() - started) / 1000)} s`);
  return done;
}

function readInstalled(): PostgresInstall | undefined {
  try {
    const info = JSON.parse(readFileSync(path.join(prefix, 'installed.json'), 'utf8')) as { binDir: string; postgres: string };
    return {
      binDir: path.join(prefix, info.binDir),
      description: `PostgreSQL ${info.postgres} + DocumentDB ${DOCUMENTDB.version} (pgvector ${PGVECTOR.version})`,
    };
  } catch {
    return undefined;
  }
}

/** The folders of Debian's PostgreSQL that a server uses, and the folder they all share (`/usr`). */
interface SystemPostgres {
  pgConfig: string;
  binDir: string;
  pkgLibDir: string;
  shareDir: string;
  root: string;
}

function systemPostgres(): SystemPostgres {
  const pgConfig = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_config`;
  const ask = (option: string) => execFileSync(pgConfig, [option], { encoding: 'utf8' }).trim();
  const [binDir, pkgLibDir, shareDir] = [ask('--bindir'), ask('--pkglibdir'), ask('--sharedir')];
  let root = binDir;
  while (![pkgLibDir, shareDir].every((dir) => dir.startsWith(`${root}/`))) root = path.dirname(root);
  return { pgConfig, binDir, pkgLibDir, shareDir, root };
}

/** `dir` (one of the system's PostgreSQL folders) relative to their common root, as it is placed in our tree. */
function relative(dir: string, system: SystemPostgres): string {
  return path.relative(system.root, dir);
}

/**
 * PostgreSQL computes its library and share folders from where its binary is, keeping their relative layout
 * (`lib/postgresql/15/bin` → `share/postgresql/15`), so the copy keeps that layout, and the binaries are real
 * copies (a link to the system's binary would make PostgreSQL find the system's folders again). Links among
 * the files stay links: PostGIS's hundreds of upgrade scripts are links to one file (copied, 900 MB).
 */
function copySystemTree(system: SystemPostgres, target: string): void {
  rmSync(target, { recursive: true, force: true });
  for (const dir of [system.binDir, system.pkgLibDir, system.shareDir]) {
    cpSync(dir, path.join(target, relative(dir, system)), { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * A `pg_config` that answers as the system's, except that the library and share folders are our tree's: the
 * extension builds install there (through DESTDIR, then copied) and link DocumentDB to the core library
 * in our tree (its run path).
 */
function privatePgConfig(system: SystemPostgres, work: string): string {
  const file = path.join(work, 'pg_config');
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      'case "$1" in',
      `  --pkglibdir) echo '${path.join(prefix, relative(system.pkgLibDir, system))}' ;;`,
      `  --sharedir) echo '${path.join(prefix, relative(system.shareDir, system))}' ;;`,
      `  *) exec '${system.pgConfig}' "$@" ;;`,
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return file;
}

/** Unpacks `archive` (one top folder, as upstream's release archives have) into `work`; returns that folder. */
function extract(archive: string, work: string): string {
  const top = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')[0]
    ?.split('/')[0];
  if (!top) throw new Error(`${archive} is empty`);
  execFileSync('tar', ['-xzf', archive, '-C', work]);
  return path.join(work, top);
}
