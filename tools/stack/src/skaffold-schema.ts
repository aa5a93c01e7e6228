/** Finds skaffold's own JSON schema for a config apiVersion, inside the pinned skaffold Go module. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The skaffold release whose schemas we validate against: v2.16.1 reads up to `skaffold/v4beta13`. */
export const SKAFFOLD_MODULE = 'github.com/GoogleContainerTools/skaffold/v2';
export const SKAFFOLD_VERSION = 'v2.16.1';

/**
 * Path of `docs-v2/content/en/schemas/<version>.json` for `apiVersion` (e.g. `skaffold/v4beta13`). Go
 * downloads the module once (about 20 s) and serves it from its module cache afterwards.
 */
export async function skaffoldSchemaPath(apiVersion: string): Promise<string> {
  const version = /^skaffold\/(v[0-9a-z]+)$/.exec(apiVersion)?.[1];
  if (!version) throw new Error(`not a skaffold apiVersion: "${apiVersion}" (expected e.g. skaffold/v4beta13)`);
  const moduleDir = await downloadModule(`${SKAFFOLD_MODULE}@${SKAFFOLD_VERSION}`);
  const schema = path.join(moduleDir, 'docs-v2', 'content', 'en', 'schemas', `${version}.json`);
  if (!existsSync(schema)) throw new Error(`skaffold ${SKAFFOLD_VERSION} has no schema for ${apiVersion} (looked for ${schema})`);
  return schema;
}

async function downloadModule(moduleAtVersion: string): Promise<string> {
  let stdout: string;
  try {
    // Outside any module (the temp dir) and workspace, so no go.mod or go.work around us takes part.
    ({ stdout } = await run('go', ['mod', 'download', '-json', moduleAtVersion], {
      cwd: os.tmpdir(),
      env: { ...process.env, GOWORK: 'off' },
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(`Go is needed to fetch skaffold's config schema (go mod download ${moduleAtVersion}): install Go >= 1.24`);
    }
    // On failure `-json` still prints the module with an Error field; that is the useful line.
    const reason = parseDownload(e.stdout)?.Error ?? e.stderr?.trim() ?? e.message;
    throw new Error(`go mod download ${moduleAtVersion} failed: ${reason}`);
  }
  const dir = parseDownload(stdout)?.Dir;
  if (!dir) throw new Error(`go mod download ${moduleAtVersion} did not report a module directory`);
  return dir;
}

function parseDownload(stdout: string | undefined): { Dir?: string; Error?: string } | undefined {
  try {
    return stdout ? (JSON.parse(stdout) as { Dir?: string; Error?: string }) : undefined;
  } catch {
    return undefined;
  }
}
