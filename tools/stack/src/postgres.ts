import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { removeAbandonedBuilds } from './abandoned-builds';
import { ensurePostgresWithDocumentDb, type PostgresInstall } from './documentdb';
import type { StackLog } from './log';
import { runLogged } from './logged-command';
import { ManagedProcess } from './managed-process';
import { toolsDir } from './paths';
import { freePort } from './ports';

const run = promisify(execFile);

/** A private PostgreSQL cluster with DocumentDB, its data in the stack's folder. */
export interface PostgresServer {
  /** For FerretDB's `--postgresql-url`: the superuser over loopback TCP, trusted (nothing else can reach it). */
  url: string;
  process: ManagedProcess;
  /** e.g. `PostgreSQL 15.14 + DocumentDB 0.106.0` (as the running server reports them). */
  description: string;
}

/**
 * Settings for a throwaway test cluster, beside FerretDB's (from DocumentDB's own image, packaging/10-preload.sh).
 *
 * `fsync = off` and `full_page_writes = off`: every commit still hands its WAL to the kernel before it is
 * acknowledged (`synchronous_commit` stays on), so a crash or SIGKILL of PostgreSQL loses nothing; only a crash
 * of the machine could, and the cluster is deleted with the stack anyway. This spares the disk flush on every
 * write, which on a shared disk is most of a write's time.
 *
 * `autovacuum_naptime = 1s` (default 1 min): the planner's statistics follow the data within a second or two,
 * as they do on a server that runs for days. Tests load thousands of documents and query them at once; with
 * the statistics of the empty collection, PostgreSQL reads and sorts the whole collection for a page sorted
 * by `_id` (tickets/test/list-depth.test.ts: 118 ms against 31 ms for 20,000 tickets) instead of walking
 * the `_id` index backwards.
 */
const SETTINGS = `
# Written by the stack (tools/stack/src/postgres.ts); each cluster appends its port.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
full_page_writes = off
autovacuum_naptime = 1s

shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = 'postgres'
documentdb.enableCompact = true
documentdb.enableLetAndCollationForQueryMatch = true
documentdb.enableNowSystemVariable = true
documentdb.enableSortbyIdPushDownToPrimaryKey = true
documentdb.enableSchemaValidation = true
documentdb.enableBypassDocumentValidation = true
documentdb.enableUserCrud = true
documentdb.maxUserLimit = 100
# DocumentDB schedules its index builds with pg_cron every 2 seconds by default, a schedule Debian's pg_cron 1.4
# refuses (CREATE EXTENSION fails). FerretDB 2.5 builds indexes in the request, so nothing waits on this job.
documentdb.indexBuildScheduleInSec = 60
`;

/**
 * Starts a cluster of its own in `dir/postgresql` on a loopback port: a copy of the cluster template (see
 * `clusterTemplate`). PostgreSQL refuses to run as root: as root, the cluster and its server belong to the
 * `postgres` user that Debian's package creates.
 */
export async function startPostgres(dir: string, log: StackLog): Promise<PostgresServer> {
  const install = await ensurePostgresWithDocumentDb(log);
  const owner = serverUser(dir);
  const logFile = path.join(dir, 'postgresql.log');
  const template = await clusterTemplate(install, owner, logFile);
  const dataDir = path.join(dir, 'postgresql');
  // `cp -a` keeps the owner and the modes PostgreSQL insists on (a data folder only its owner may read).
  await runLogged(logFile, 'cp', ['-a', template, dataDir]);
  const port = await freePort();
  appendFileSync(path.join(dataDir, 'postgresql.conf'), `port = ${port}\n`);
  const server = postgresProcess(install, owner, dataDir, port, logFile);
  await server.start();
  try {
    const [version, documentDb] = (
      await psql(install, port, logFile, "SELECT current_setting('server_version'), documentdb_api.binary_version()")
    )
      .trim()
      .split('|');
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      process: server,
      description: `PostgreSQL ${version?.split(' ')[0]} + DocumentDB ${documentDb}`,
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * A cluster with the settings and DocumentDB created, made once per installation, settings and user (in
 * `.tools/postgresql-templates`), which each stack copies: initdb alone takes seconds of CPU (9 s on this
 * busy 2-core machine), a copy of its 40 MB a fraction of one.
 */
async function clusterTemplate(install: PostgresInstall, owner: ServerUser | undefined, logFile: string): Promise<string> {
  const key = createHash('sha256')
    .update(`${install.binDir}\n${SETTINGS}\n${owner?.uid ?? process.getuid?.()}`)
    .digest('hex')
    .slice(0, 16);
  const template = path.join(toolsDir, 'postgresql-templates', key);
  if (existsSync(path.join(template, 'PG_VERSION'))) return template;

  removeAbandonedBuilds(template);
  const partial = `${template}.partial-${process.pid}`;
  mkdirSync(path.dirname(template), { recursive: true });
  mkdirSync(partial, { mode: 0o700 });
  if (owner) chownSync(partial, owner.uid, owner.gid);
  try {
    await runLogged(
      logFile,
      path.join(install.binDir, 'initdb'),
      ['-D', partial, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-locale', '-E', 'UTF8'],
      owner,
    );
    const port = await freePort();
    appendFileSync(path.join(partial, 'postgresql.conf'), `${SETTINGS}port = ${port}\n`);
    const server = postgresProcess(install, owner, partial, port, logFile);
    await server.start();
    try {
      await psql(install, port, logFile, 'CREATE EXTENSION documentdb CASCADE');
    } finally {
      await server.stop();
    }
    try {
      renameSync(partial, template);
    } catch (err) {
      // Another process made it first: use theirs.
      if (!existsSync(path.join(template, 'PG_VERSION'))) throw err;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return template;
}

function postgresProcess(
  install: PostgresInstall,
  owner: ServerUser | undefined,
  dataDir: string,
  port: number,
  logFile: string,
): ManagedProcess {
  return new ManagedProcess({
    name: 'postgres',
    command: path.join(install.binDir, 'postgres'),
    args: ['-D', dataDir],
    logFile,
    ...owner,
    // Fast shutdown: PostgreSQL's default (SIGTERM) waits for every client to disconnect.
    stopSignal: 'SIGINT',
    isReady: async () => {
      try {
        await run(path.join(install.binDir, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], {
          timeout: 5_000,
        });
        return true;
      } catch {
        return false;
      }
    },
  });
}

/** Runs `sql` as the superuser in the `postgres` database; resolves its output (unaligned, tuples only). */
function psql(install: PostgresInstall, port: number, logFile: string, sql: string): Promise<string> {
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres'];
  return runLogged(logFile, path.join(install.binDir, 'psql'), [...args, '-c', sql]);
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** The user the server runs as when we are root (else undefined: it runs as we do). */
function serverUser(dir: string): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'PostgreSQL does not run as root and there is no user postgres to run it as: create one (Debian: apt-get install postgresql-common)',
    );
  }
  // It must reach its data folder inside ours: passing through is enough, listing stays private.
  chmodSync(dir, 0o711);
  return { uid, gid };
}
