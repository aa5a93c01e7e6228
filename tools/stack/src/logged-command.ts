import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoggedCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Environment variables worth showing in the log line (the others are inherited and not shown). */
  shownEnv?: Record<string, string>;
  uid?: number;
  gid?: number;
}

/**
 * Runs one step of an install or a start-up and appends the command and its output to `logFile`; resolves
 * with stdout, rejects when the command fails (its output is then in the log).
 */
export async function runLogged(logFile: string, command: string, args: string[], options: LoggedCommandOptions = {}): Promise<string> {
  const { cwd, env, shownEnv = {}, uid, gid } = options;
  const shown = Object.entries(shownEnv).map(([name, value]) => `${name}=${value} `);
  appendFileSync(logFile, `\n$ ${shown.join('')}${command} ${args.join(' ')}${cwd ? `  (in ${cwd})` : ''}\n`);
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      env: { ...(env ?? process.env), ...shownEnv },
      uid,
      gid,
      maxBuffer: 256 * 1024 * 1024,
    });
    appendFileSync(logFile, stdout + stderr);
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    appendFileSync(logFile, `${e.stdout ?? ''}${e.stderr ?? e.message}\n`);
    throw err;
  }
}
