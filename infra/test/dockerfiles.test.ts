import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/launcher/system';
import { repoRoot } from './manifests';

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Instructions grouped by stage, each stage starting with its FROM. */
function stagesOf(instructions: Instruction[]): Instruction[][] {
  return instructions.reduce<Instruction[][]>((stages, instruction) => {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
    return stages;
  }, []);
}

/**
 * The stages as a build with these `--build-arg`s sees them: `$NAME` and `${NAME}` take the value once the
 * stage has declared `ARG NAME`, and stay as written where it has not, as in the build. (RUN gets the value
 * from its shell rather than from the builder; the command that runs is the same.)
 */
function withBuildArgs(stages: Instruction[][], buildArgs: Record<string, string>): Instruction[][] {
  return stages.map((stage) => {
    const declared = new Map<string, string>();
    return stage.map((instruction) => {
      if (instruction.keyword === 'ARG') {
        const [name, fallback] = instruction.args.split('=');
        declared.set(name, buildArgs[name] ?? fallback ?? '');
        return instruction;
      }
      const args = instruction.args.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (reference, braced?: string, bare?: string) => declared.get(braced ?? bare ?? '') ?? reference,
      );
      return { ...instruction, args };
    });
  });
}

const usesService = (instruction: Instruction) => /\$\{?SERVICE\b/.test(instruction.args);

/** The workspaces an `npm ci` instruction names with `--workspace`, in order. */
const workspacesOf = (install: Instruction | undefined) => [...(install?.args ?? '').matchAll(/--workspace[= ](\S+)/g)].map((m) => m[1]);

/**
 * The service images, all from the one Dockerfile at the root with SERVICE naming the workspace: built in one
 * stage, run from a second with only production dependencies, as non-root.
 */
describe('The service Dockerfile', () => {
  const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
  const names = SERVICES.map((s) => s.name);
  const stages = stagesOf(parseDockerfile(read('Dockerfile')));
  const imageOf = (name: string) => withBuildArgs(stages, { SERVICE: name });

  it('When a service image is built, then it comes from the root Dockerfile and no service keeps one of its own', () => {
    expect(existsSync(path.join(repoRoot, 'Dockerfile'))).toBe(true);
    expect(names.filter((name) => existsSync(path.join(repoRoot, name, 'Dockerfile')))).toEqual([]);
  });

  it('When SERVICE is missing or names no service, then the first stage stops before copying anything and says what it expects', () => {
    const [build] = stages;
    const firstCopy = build.findIndex((i) => i.keyword === 'COPY');
    const guard = build.slice(0, firstCopy).find((i) => i.keyword === 'RUN' && usesService(i));
    expect(guard).toBeDefined();
    // No default: with one, a build that forgets the argument would quietly build that service.
    const declarations = stages.flat().filter((i) => i.keyword === 'ARG' && /^SERVICE\b/.test(i.args));
    expect(declarations.map((i) => i.args)).toEqual(declarations.map(() => 'SERVICE'));

    // The guard runs as the build would run it: `/bin/sh -c` with the build argument in the environment.
    const run = (service: string | undefined) =>
      spawnSync('/bin/sh', ['-c', guard?.args ?? 'exit 99'], {
        env: { PATH: process.env.PATH, ...(service === undefined ? {} : { SERVICE: service }) },
        encoding: 'utf8',
      });
    for (const name of names) expect({ name, status: run(name).status }).toEqual({ name, status: 0 });
    for (const wrong of [undefined, '', 'common', 'tools', 'Auth', 'auth ']) {
      const { status, stderr } = run(wrong);
      expect({ wrong, hasFailed: status !== 0 && status !== null }).toEqual({ wrong, hasFailed: true });
      for (const word of ['SERVICE', ...names]) expect(stderr).toContain(word);
    }
  });

  it('When a stage uses SERVICE, then it declares the argument itself first (an ARG does not carry over into the next stage)', () => {
    for (const [index, stage] of stages.entries()) {
      const firstUse = stage.findIndex((i) => i.keyword !== 'ARG' && usesService(i));
      if (firstUse === -1) continue;
      const declaration = stage.findIndex((i) => i.keyword === 'ARG' && /^SERVICE\b/.test(i.args));
      expect({ stage: index, isDeclaredBeforeUse: declaration !== -1 && declaration < firstUse }).toEqual({
        stage: index,
        isDeclaredBeforeUse: true,
      });
    }
  });

  it.each(names)('When the %s image is built, then it compiles in one stage and runs from a second, pinned base', (name) => {
    const image = imageOf(name);
    expect(image.length).toBeGreaterThanOrEqual(2);
    const aliases = image.map(([from]) => /\bAS\s+(\S+)$/i.exec(from.args)?.[1]?.toLowerCase());
    const bases = image.map(([from]) => from.args.split(/\s+/).find((word) => !word.startsWith('--')) ?? '');
    for (const base of bases) {
      if (aliases.includes(base.toLowerCase())) continue; // an earlier stage
      const tag = /^[^@]+:([^/:@]+)$/.exec(base)?.[1];
      expect({ base, isPinned: /@sha256:[0-9a-f]{64}$/.test(base) || (tag !== undefined && tag !== 'latest') }).toEqual({
        base,
        isPinned: true,
      });
    }
    // Same Node in the stage that installs and compiles and the one that runs.
    expect(new Set(bases.filter((base) => !aliases.includes(base.toLowerCase()))).size).toBe(1);
    const build = image.slice(0, -1).flat();
    expect(build.some((i) => i.keyword === 'RUN' && new RegExp(`\\btsc -b ${name}$`).test(i.args))).toBe(true);
  });

  it.each(names)(
    'When the %s image is built, then its dependencies are installed with npm ci from the manifests and the lockfile before the sources are copied',
    (name) => {
      const [build] = imageOf(name);
      const at = (isIt: (i: Instruction) => boolean) => build.findIndex(isIt);
      const install = build.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      // The root's devDependencies bring tsc; common and the one service are the workspaces it compiles.
      expect(install?.args).toMatch(/--include-workspace-root\b/);
      expect(workspacesOf(install)).toEqual(['common', name]);
      const order = [
        at((i) => i.keyword === 'COPY' && i.args === `${name}/package.json ${name}/`),
        at((i) => i === install),
        at((i) => i.keyword === 'COPY' && i.args === `${name}/ ${name}/`),
        at((i) => i.keyword === 'RUN' && new RegExp(`\\btsc -b ${name}$`).test(i.args)),
      ];
      expect(order).not.toContain(-1);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    },
  );

  it.each(names)(
    "When the %s image runs, then it is `npm start`'s command, as a non-root user, with production dependencies only",
    (name) => {
      const final = imageOf(name).at(-1) ?? [];
      const last = (keyword: string) => final.filter((i) => i.keyword === keyword).at(-1)?.args;
      const start = (JSON.parse(read(`${name}/package.json`)) as { scripts: { start: string } }).scripts.start;

      expect(last('USER')).toBeDefined();
      expect(['root', '0'].includes((last('USER') ?? '').split(':')[0])).toBe(false);
      expect(last('WORKDIR')).toBe(`/app/${name}`);
      // Exec form: node itself is PID 1 and gets SIGTERM (a shell or npm in between would swallow it).
      expect(JSON.parse(last('CMD') ?? 'null')).toEqual(start.split(' '));
      expect(start).toBe('node dist/index.js');
      expect(final.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
      const installs = final.filter((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      expect(installs.length).toBeGreaterThan(0);
      for (const install of installs) {
        expect(install.args).toMatch(/--omit=dev\b/);
        expect(workspacesOf(install)).toEqual(['common', name]);
      }
      expect(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=') && i.args.endsWith(` ${name}/dist`))).toBe(true);
      expect(read('Dockerfile')).not.toMatch(/\b(ts-node|tsx)\b/);
    },
  );

  it('When the build context is sent, then dependencies, build output and build-info files stay out of it', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim());
    // A build-info file without its dist/ would make `tsc -b` in the image skip emitting.
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '.tools']));
  });
});

/** The web client's image: Vite's build in a Node stage, served by nginx as a non-root user. */
describe('The web client Dockerfile', () => {
  const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
  const stages = stagesOf(parseDockerfile(read('client/Dockerfile')));

  it('When the client image is built, then Vite builds it in a pinned Node stage, with the client workspace installed from the manifests first', () => {
    const [build] = stages;
    expect(build?.[0]?.args).toBe('node:24.22.3-bookworm-slim AS build');
    const at = (isIt: (i: Instruction) => boolean) => build?.findIndex(isIt) ?? -1;
    const install = build?.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(workspacesOf(install)).toEqual(['client']);
    const order = [
      at((i) => i.keyword === 'COPY' && i.args === 'client/package.json client/'),
      at((i) => i === install),
      at((i) => i.keyword === 'COPY' && i.args === 'client/ client/'),
      at((i) => i.keyword === 'RUN' && /\bnpm run build --workspace client\b/.test(i.args)),
    ];
    expect(order).not.toContain(-1);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('When the client image runs, then it is nginx on a pinned unprivileged base, as a non-root user on 8080, serving only the build and its config', () => {
    const final = stages.at(-1) ?? [];
    const base = final[0]?.args ?? '';
    expect(base).toMatch(/^nginxinc\/nginx-unprivileged:\d+\.\d+\.\d+-alpine$/);
    const last = (keyword: string) => final.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last('USER')).toBe('101');
    expect(last('EXPOSE')).toBe('8080');
    expect(final.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual([
      'client/nginx.conf /etc/nginx/conf.d/default.conf',
      '--from=build /app/client/dist /usr/share/nginx/html',
    ]);
    // The config listens where the image and the Deployment say, and keeps the single-page app's routes.
    const nginx = read('client/nginx.conf');
    expect(nginx).toMatch(/^\s*listen 8080;$/m);
    expect(nginx).toMatch(/try_files \$uri \/index\.html;/);
    expect(nginx).toMatch(/location = \/healthz/);
  });
});
