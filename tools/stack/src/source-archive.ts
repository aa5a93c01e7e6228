import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackLog } from './log';
import { repoRoot, toolsDir } from './paths';

/** The pinned release source of something the stack builds, as upstream publishes it. */
export interface SourceArchive {
  /** File name, also the name looked for in the vendor folder, e.g. `pgvector-0.8.0.tar.gz`. */
  file: string;
  url: string;
  sha256: string;
}

/**
 * Where local copies of source archives are looked for first: `TICKETING_VENDOR_DIR`, else `../shared/vendor`
 * beside the repository (how CI and the project's machines provide sources that cannot be downloaded there).
 */
export function vendorDir(): string {
  return process.env.TICKETING_VENDOR_DIR ?? path.resolve(repoRoot, '..', 'shared', 'vendor');
}

/**
 * The verified archive: the local copy in the vendor folder if there is one, else a download from upstream
 * (kept in `.tools/downloads`). Either way its SHA-256 must be the pinned one; a mismatch is refused.
 */
export async function sourceArchive(archive: SourceArchive, log: StackLog): Promise<string> {
  const local = path.join(vendorDir(), archive.file);
  if (existsSync(local)) return verified(local, archive);
  const downloaded = path.join(toolsDir, 'downloads', archive.file);
  if (existsSync(downloaded)) return verified(downloaded, archive);

  log(`downloading ${archive.url}`);
  let body: Buffer;
  try {
    const response = await fetch(archive.url, { signal: AbortSignal.timeout(300_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    throw new Error(
      `cannot download ${archive.url} (${(err as Error).message}): put ${archive.file} in ${vendorDir()} or set TICKETING_VENDOR_DIR to a folder that has it`,
    );
  }
  checkSha256(body, archive, archive.url);
  mkdirSync(path.dirname(downloaded), { recursive: true });
  writeFileSync(`${downloaded}.partial`, body);
  renameSync(`${downloaded}.partial`, downloaded);
  return downloaded;
}

function verified(file: string, archive: SourceArchive): string {
  checkSha256(readFileSync(file), archive, file);
  return file;
}

function checkSha256(body: Buffer, archive: SourceArchive, from: string): void {
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== archive.sha256) {
    throw new Error(`${from} has SHA-256 ${actual}, not the pinned ${archive.sha256} of ${archive.file}: refusing to build it`);
  }
}
