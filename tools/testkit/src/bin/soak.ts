/**
 * `npm run test:soak -- N`: the whole suite N times, each on a fresh clone of HEAD with a clean install
 * (`npm ci`), as a new contributor runs it; one line per run. A failure is a defect to find the cause of:
 * the line names the failed tests and keeps that run's log.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, toolsDir } from '@ticketing/stack/paths';
import { vendorDir } from '@ticketing/stack/source-archive';

interface JestReport {
  numTotalTests: number;
  numFailedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ status: string; fullName: string }>; message?: string }>;
}

const runs = Number(process.argv[2] ?? '3');
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run test:soak -- <runs> (a whole number, at least 1)');
  process.exit(2);
}

const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
const logs = mkdtempSync(path.join(os.tmpdir(), 'ticketing-soak-'));
console.log(`soak: ${runs} runs of the whole suite on fresh clones of ${head.slice(0, 7)}; logs in ${logs}`);

/** Runs `command` in `cwd`, appending its output to `log`; resolves with its exit code. */
function step(command: string, args: string[], cwd: string, log: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(log, { flags: 'a' });
    out.write(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('close', (code) => out.end(() => resolve(code ?? 1)));
  });
}

async function soakRun(index: number): Promise<boolean> {
  const started = Date.now();
  const clone = mkdtempSync(path.join(os.tmpdir(), `ticketing-soak-${index}-`));
  const log = path.join(logs, `run-${index}.log`);
  const report = path.join(logs, `run-${index}.json`);
  // The pinned servers are shared: each clone would otherwise build the same binaries again. The clones sit
  // elsewhere, so the local source archives are named by this checkout's folder.
  mkdirSync(toolsDir, { recursive: true });
  const env = { ...process.env, TICKETING_TOOLS_DIR: toolsDir, TICKETING_VENDOR_DIR: vendorDir() };
  const seconds = () => Math.round((Date.now() - started) / 1000);
  try {
    execFileSync('git', ['clone', '--quiet', '--no-local', repoRoot, clone], { stdio: 'ignore' });
    execFileSync('git', ['checkout', '--quiet', head], { cwd: clone, stdio: 'ignore' });
    if ((await step('npm', ['ci', '--no-audit', '--no-fund'], clone, log, env)) !== 0) {
      console.log(`run ${index}/${runs}: npm ci FAILED after ${seconds()} s (log: ${log})`);
      return false;
    }
    const code = await step('npm', ['test', '--', '--json', `--outputFile=${report}`], clone, log, env);
    if (!existsSync(report)) {
      console.log(`run ${index}/${runs}: FAILED with no test report (exit ${code}) after ${seconds()} s (log: ${log})`);
      return false;
    }
    const result = JSON.parse(readFileSync(report, 'utf8')) as JestReport;
    const failed = result.testResults.flatMap((file) => {
      const tests = file.assertionResults.filter((t) => t.status === 'failed').map((t) => t.fullName);
      // A file that failed without a failed test (e.g. its set-up threw) still names the file.
      return tests.length > 0 || !file.message ? tests : [`${path.relative(clone, file.name)}: ${file.message.split('\n')[0]}`];
    });
    const passed = result.numTotalTests - result.numFailedTests;
    if (code === 0 && failed.length === 0) {
      console.log(`run ${index}/${runs}: passed ${passed}/${result.numTotalTests} in ${seconds()} s`);
      return true;
    }
    console.log(
      `run ${index}/${runs}: FAILED ${failed.length} (${passed}/${result.numTotalTests} passed) in ${seconds()} s: ${failed.join(' | ')} (log: ${log})`,
    );
    return false;
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let green = 0;
  for (let i = 1; i <= runs; i++) if (await soakRun(i)) green++;
  console.log(`soak: ${green} of ${runs} runs green`);
  process.exitCode = green === runs ? 0 : 1;
}

void main();
