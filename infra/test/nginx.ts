/** A real nginx (Debian's) for the tests of what nginx serves in the cluster: the client image and the ingress. */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDebianProgram } from '@ticketing/stack/debian-packages';
import { waitFor } from '@ticketing/stack/wait-for';
import { repoRoot } from './manifests';

export interface RunningNginx {
  /** The folder of its config and temporary files, removed by `stop`. */
  dir: string;
  stop(): Promise<void>;
}

const TEMP_PATHS = ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

/**
 * Starts nginx in the foreground with the server and upstream blocks `servers` returns (given the run's folder,
 * where it may put what they refer to) in its http block, and resolves once `isUp` says it answers.
 */
export async function startNginx(name: string, servers: (dir: string) => string, isUp: () => Promise<boolean>): Promise<RunningNginx> {
  const binary = await ensureDebianProgram('nginx', ['/usr/sbin/nginx'], (line) => process.stderr.write(`[${name}] ${line}\n`));
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  // Readable by nginx's workers, which run as an unprivileged user when the test runs as root.
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'servers.conf'), servers(dir));
  for (const temp of TEMP_PATHS) mkdirSync(path.join(dir, temp));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  access_log off;',
      ...TEMP_PATHS.map((t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/${t};`),
      `  include ${dir}/servers.conf;`,
      '}',
    ].join('\n'),
  );
  const nginx: ChildProcess = spawn(binary, ['-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const stop = async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(isUp, { description: name, timeoutMs: 10_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, stop };
}

/** The web client's build (`npm run build`). */
export const CLIENT_DIST = path.join(repoRoot, 'client', 'dist');

/**
 * client/nginx.conf as the client image runs it, listening on `port`, serving a copy of the client's build in
 * `dir` with what the Dockerfile copies in next to the docs page.
 */
export function clientSite(dir: string, port: number): string {
  const html = path.join(dir, 'html');
  cpSync(CLIENT_DIST, html, { recursive: true });
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    cpSync(path.join(repoRoot, 'node_modules', 'swagger-ui-dist', file), path.join(html, 'api', 'docs', file));
  }
  const site = readFileSync(path.join(repoRoot, 'client', 'nginx.conf'), 'utf8')
    .replace('listen 8080;', `listen 127.0.0.1:${port};`)
    .replace('root /usr/share/nginx/html;', `root ${html};`);
  if (!site.includes(`listen 127.0.0.1:${port};`) || !site.includes(`root ${html};`)) {
    throw new Error('client/nginx.conf no longer has `listen 8080;` and `root /usr/share/nginx/html;` to replace');
  }
  return site;
}
