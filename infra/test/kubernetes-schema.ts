/**
 * Checks manifests against the Kubernetes object schemas of the `kubernetes-models` package, twice: its
 * validators (required fields, types, enums, formats) and its TypeScript types, which also catch unknown
 * fields: the validators let those through, but `kubectl apply` rejects them, and a misspelt optional
 * field (a `volumeMount`) would otherwise just be ignored.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import ts from 'typescript';
import { type LoadedManifest, repoRoot } from './manifests';

/** `kubernetes-models/<apiVersion>/<kind>`: the package is laid out by API group, version and kind. */
function modelModule({ apiVersion, kind }: { apiVersion: string; kind: string }): string | undefined {
  const isPlain = /^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind);
  return isPlain ? `kubernetes-models/${apiVersion}/${kind}` : undefined;
}

// kubernetes-models is ESM only and jest (on Node 20) loads tests as CommonJS, so the validators run in
// a plain node process: documents in on stdin, one error message (or null) per document out.
const VALIDATE_SCRIPT = `
import { readFileSync } from 'node:fs';
const documents = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const { module, object } of documents) {
  const Model = module && (await import(module).then((m) => m[object.kind], () => undefined));
  if (!Model) {
    results.push('no kubernetes-models class for apiVersion ' + object.apiVersion + ', kind ' + object.kind);
    continue;
  }
  try {
    new Model(object).validate();
    results.push(null);
  } catch (err) {
    results.push(err.message);
  }
}
process.stdout.write(JSON.stringify(results));
`;

/** One line per invalid document: `<source> <kind> <name>: <what is wrong>`. Empty when all are valid. */
export function schemaErrors(manifests: LoadedManifest[]): string[] {
  const input = manifests.map(({ object }) => ({ module: modelModule(object), object }));
  const output = execFileSync(process.execPath, ['--input-type=module', '--eval', VALIDATE_SCRIPT], {
    cwd: repoRoot, // where `kubernetes-models` resolves from
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  const results = JSON.parse(output) as Array<string | null>;
  return manifests.flatMap(({ source, object }, i) => (results[i] ? [`${label(source, object)}: ${results[i]}`] : []));
}

/**
 * Type-checks each document as an object literal of its kubernetes-models interface (`IDeployment`, …):
 * besides missing and mistyped fields, TypeScript's excess-property check names fields the schema does
 * not have, at any depth.
 */
export function typeErrors(manifests: LoadedManifest[]): string[] {
  const checked = manifests.filter(({ object }) => modelModule(object));
  // One import and one declaration per line pair, so a diagnostic's line tells which document it is about.
  const source = checked
    .map(
      ({ object }, i) =>
        `import type { I${object.kind} as T${i} } from '${modelModule(object)}';\nexport const m${i}: T${i} = ${JSON.stringify(object)};`,
    )
    .join('\n');
  const fileName = path.join(repoRoot, 'infra', 'test', '__manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const { source: where, object } = checked[Math.floor(line / 2)];
    return `${label(where, object)}: ${message}`;
  });
}

function label(source: string, object: { kind: string; metadata: { name: string } }): string {
  return `${source} ${object.kind} ${object.metadata.name}`;
}
