import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApiDocument } from '@ticketing/launcher/openapi';

const root = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

/**
 * The OpenAPI document committed for the client's image (client/public/api/docs/openapi.json, which Kubernetes
 * serves at /api/docs/openapi.json) is the one the routes' schemas make.
 */
it('When the committed OpenAPI document is compared with the routes’ schemas, then it is the same document (run `npm run openapi` after changing a route)', () => {
  const committed = JSON.parse(readFileSync(path.join(root, 'client', 'public', 'api', 'docs', 'openapi.json'), 'utf8'));
  expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
});

/**
 * The web client's API types (client/src/api/schema.d.ts) are openapi-typescript's output for the OpenAPI
 * document the routes' schemas make: regenerated here the way `npm run openapi` does, they must be the committed file.
 */
it('When the OpenAPI document is turned into TypeScript types, then they are the web client’s committed types (run `npm run openapi` after changing a route)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'client-types-'));
  try {
    writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(openApiDocument(), null, 2));
    execFileSync(bin('openapi-typescript'), [path.join(dir, 'openapi.json'), '-o', path.join(dir, 'schema.d.ts')], { stdio: 'pipe' });
    // Formatted as the committed file is (biome, reading the text as if it were that file).
    const generated = execFileSync(bin('biome'), ['format', '--stdin-file-path=client/src/api/schema.d.ts'], {
      input: readFileSync(path.join(dir, 'schema.d.ts')),
      cwd: root,
      encoding: 'utf8',
    });
    expect(generated).toBe(readFileSync(path.join(root, 'client', 'src', 'api', 'schema.d.ts'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
