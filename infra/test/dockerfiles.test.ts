import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@ticketing/tools/system';
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

/** The service images: built in one stage, run from a second with only production dependencies, as non-root. */
describe('Service Dockerfiles', () => {
  const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

  it.each(SERVICES.map((s) => s.name))(
    'When the %s image is built, then it compiles in one stage and runs from a second, pinned base',
    (name) => {
      const stages = stagesOf(parseDockerfile(read(`${name}/Dockerfile`)));
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const aliases = stages.map(([from]) => /\bAS\s+(\S+)$/i.exec(from.args)?.[1]?.toLowerCase());
      const bases = stages.map(([from]) => from.args.split(/\s+/).find((word) => !word.startsWith('--')) ?? '');
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
      const build = stages.slice(0, -1).flat();
      expect(build.some((i) => i.keyword === 'RUN' && new RegExp(`\\btsc -b ${name}\\b`).test(i.args))).toBe(true);
    },
  );

  it.each(SERVICES.map((s) => s.name))(
    "When the %s image runs, then it is `npm start`'s command, as a non-root user, with production dependencies only",
    (name) => {
      const text = read(`${name}/Dockerfile`);
      const final = stagesOf(parseDockerfile(text)).at(-1) ?? [];
      const last = (keyword: string) => final.filter((i) => i.keyword === keyword).at(-1)?.args;
      const start = (JSON.parse(read(`${name}/package.json`)) as { scripts: { start: string } }).scripts.start;

      expect(last('USER')).toBeDefined();
      expect(['root', '0'].includes((last('USER') ?? '').split(':')[0])).toBe(false);
      expect(last('WORKDIR')).toBe(`/app/${name}`);
      // Exec form: node itself is PID 1 and gets SIGTERM (a shell or npm in between would swallow it).
      expect(JSON.parse(last('CMD') ?? 'null')).toEqual(start.split(' '));
      expect(start).toBe('node dist/index.js');
      expect(final.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
      const installs = final.filter((i) => i.keyword === 'RUN' && /\bnpm (install|ci)\b/.test(i.args));
      expect(installs.length).toBeGreaterThan(0);
      for (const install of installs) expect(install.args).toMatch(/--omit=dev\b/);
      expect(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=') && i.args.includes(`${name}/dist`))).toBe(true);
      expect(text).not.toMatch(/\b(ts-node|tsx)\b/);
    },
  );

  it('When the three Dockerfiles are compared, then they differ only in the service name', () => {
    const [first, ...others] = SERVICES.map(({ name }) => read(`${name}/Dockerfile`).replaceAll(name, '<service>'));
    for (const other of others) expect(other).toBe(first);
  });

  it('When the build context is sent, then dependencies, build output and build-info files stay out of it', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim());
    // A build-info file without its dist/ would make `tsc -b` in the image skip emitting.
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '**/*.tsbuildinfo', '.git', '.tools']));
  });
});
