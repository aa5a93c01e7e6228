import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import madge from 'madge';
import { repoRoot } from './manifests';

/**
 * The repository's dependencies point one way: common ← the services ← tools/launcher ← tools/bench, with
 * tools/stack below the tools and tools/testkit beside the launcher. Checked on the imports themselves (what
 * the code does), not only on the package.json files (what it says).
 */

interface Workspace {
  dir: string;
  name: string;
  dependencies: Set<string>;
}

const workspaces: Workspace[] = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).workspaces as string[]).map(
  (dir) => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    return { dir, name: manifest.name, dependencies: new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) };
  },
);
const byName = new Map(workspaces.map((w) => [w.name, w]));

const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)'(@ticketing\/[^/']+)/g;

/** The workspaces each TypeScript file of `dir/<part>` imports, by file. */
function importsOf(workspace: Workspace, part: 'src' | 'test'): Map<string, Set<string>> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', `${workspace.dir}/${part}`], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => /\.tsx?$/.test(file));
  const result = new Map<string, Set<string>>();
  for (const file of files) {
    const names = new Set<string>();
    for (const match of readFileSync(path.join(repoRoot, file), 'utf8').matchAll(IMPORT)) {
      if (match[1] !== workspace.name && byName.has(match[1])) names.add(match[1]);
    }
    if (names.size > 0) result.set(file, names);
  }
  return result;
}

/** The workspaces' graph from what the sources of each import (what runs; tests are not in it). */
function sourceGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const workspace of workspaces) {
    const edges = new Set<string>();
    for (const names of importsOf(workspace, 'src').values()) for (const name of names) edges.add(name);
    graph.set(workspace.name, edges);
  }
  return graph;
}

/** Every workspace reachable from `start` in `graph`. */
function reachable(graph: Map<string, Set<string>>, start: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const visit = (node: string) => {
    if (seen.has(node)) return;
    seen.add(node);
    for (const next of graph.get(node) ?? []) visit(next);
  };
  for (const node of start) visit(node);
  return seen;
}

const isTool = (name: string) => (byName.get(name)?.dir ?? '').startsWith('tools/');

/** One cycle of `graph` as a path, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('Dependency direction', () => {
  it('When the sources are read, then no workspace imports one that imports it back', () => {
    const graph = sourceGraph();
    expect(findCycle(graph)).toBeUndefined();
    // The check sees edges at all: the launcher runs the services, the services use common.
    expect(graph.get('@ticketing/launcher')).toContain('@ticketing/auth');
    expect(graph.get('@ticketing/orders')).toContain('@ticketing/common');
  });

  it("When a workspace's tests are read, then what they load is that workspace, what it depends on and the tools below the launcher: testing one service never builds another", () => {
    const graph = sourceGraph();
    const strays: string[] = [];
    for (const workspace of workspaces) {
      const own = reachable(graph, [workspace.name]);
      const testImports = [...importsOf(workspace, 'test').values()].flatMap((names) => [...names]);
      for (const name of reachable(graph, testImports)) {
        // A test may use a tool (the test kit, the stack) as long as the tool itself only leads to `own`.
        if (!own.has(name) && !isTool(name)) strays.push(`${workspace.dir}/test → ${name}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('When the product is read (common, the services, the client), then it imports no tool', () => {
    const offenders = workspaces
      .filter((w) => !isTool(w.name))
      .flatMap((w) => [...importsOf(w, 'src')].filter(([, names]) => [...names].some(isTool)).map(([file]) => file));
    expect(offenders).toEqual([]);
  });

  it('When a workspace source imports another workspace, then its package.json declares it', () => {
    const undeclared: string[] = [];
    for (const workspace of workspaces) {
      for (const [file, names] of importsOf(workspace, 'src')) {
        for (const name of names) if (!workspace.dependencies.has(name)) undeclared.push(`${file} → ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('When anything the system runs is read, then nothing imports the test kit: npm start never loads test helpers', () => {
    const offenders = workspaces
      .filter((w) => w.name !== '@ticketing/testkit' && w.name !== '@ticketing/bench')
      .flatMap((w) => [...importsOf(w, 'src')].filter(([, names]) => names.has('@ticketing/testkit')).map(([file]) => file));
    expect(offenders).toEqual([]);
  });

  it('When every source and test file is read, then no file imports one that leads back to it, and the ticketing catalogue in common uses nothing of the generic machinery but the permission builders', async () => {
    const roots = workspaces
      .flatMap((w) => ['src', 'test'].map((part) => path.join(repoRoot, w.dir, part)))
      .concat(['e2e/test', 'infra/test'].map((dir) => path.join(repoRoot, dir)))
      .filter((dir) => existsSync(dir));
    const result = await madge(roots, {
      baseDir: repoRoot,
      fileExtensions: ['ts', 'tsx'],
      tsConfig: path.join(repoRoot, 'tsconfig.json'),
      excludeRegExp: [/node_modules/, /\/dist\//, /\.d\.ts$/],
    });
    const graph = result.obj();
    // It read every file (a wrong configuration would find none, hence no cycle), and it follows the
    // imports between workspaces through their package names.
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...roots], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'));
    expect(Object.keys(graph).sort()).toEqual(expect.arrayContaining(listed));
    expect(graph['orders/src/services/ticket-replica.ts']).toContain('common/src/mongo/index.ts');
    expect(result.circular()).toEqual([]);

    // common's ticketing catalogue stands apart from the generic machinery: it uses the permission builders
    // and nothing else of it, so another team can replace the folder with its own events.
    const catalogue = Object.keys(graph).filter((file) => file.startsWith('common/src/ticketing/'));
    expect(catalogue.length).toBeGreaterThanOrEqual(4);
    const outside = catalogue.flatMap((file) => graph[file].filter((dep) => !dep.startsWith('common/src/ticketing/')));
    expect([...new Set(outside)]).toEqual(['common/src/events/permissions.ts']);
  });
});
