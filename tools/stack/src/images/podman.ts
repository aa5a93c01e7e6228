/**
 * The container tools of the image builds (Debian's podman, runc, mmdebstrap), installed when missing, and the
 * one way this project runs podman: with the project's own containers.conf.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from '../debian-packages';
import type { StackLog } from '../log';
import { logDir, toolsDir } from '../paths';

/**
 * podman's settings for this machine, in a file of the project's (`CONTAINERS_CONF` points every podman we run at
 * it) rather than in /etc/containers, so nothing on the host changes. crun fails on a cgroups v1/hybrid host:
 * runc it is. runc sets each container's limits itself, and cannot raise one above the machine's hard limit
 * without CAP_SYS_RESOURCE (podman asks for 1048576 open files by default, more than many machines allow): every
 * container gets this machine's hard limits, and at most 32768 processes (podman 4.3 lowers its own process limit
 * to that when it starts, seen here, so runc cannot set more).
 */
export function containersConf(limits: HardLimits = hardLimits()): string {
  return [
    '# Written by tools/stack/src/images/podman.ts; podman and its builds read it through CONTAINERS_CONF.',
    '[containers]',
    `default_ulimits = ["nofile=${limits.openFiles}:${limits.openFiles}", "nproc=${limits.processes}:${limits.processes}"]`,
    '',
    '[engine]',
    'runtime = "runc"',
    '',
  ].join('\n');
}

export interface HardLimits {
  openFiles: number;
  processes: number;
}

/** This process's hard limits (`/proc/self/limits`), within what podman can give a container. */
function hardLimits(): HardLimits {
  const text = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string, ceiling: number) => {
    const value = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(text)?.[1];
    return value === undefined || value === 'unlimited' ? ceiling : Math.min(Number(value), ceiling);
  };
  return { openFiles: hard('Max open files', 1_048_576), processes: hard('Max processes', 32_768) };
}

export const containersConfFile = path.join(toolsDir, 'containers', 'containers.conf');

/**
 * What the builds need from Debian. slirp4netns gives the client container a network of its own with one port
 * forwarded from the host's loopback (nginx's port is fixed at 8080 in its config), without a bridge or
 * iptables rules on the host.
 */
const PACKAGES = ['podman', 'runc', 'mmdebstrap', 'slirp4netns'];

/** podman's environment: ours plus the project's containers.conf. */
export interface Podman {
  env: NodeJS.ProcessEnv;
}

/**
 * Makes sure podman can run here: installs the Debian packages that are missing (as root, with apt; otherwise a
 * one-line error naming them) and writes the containers.conf when its content differs.
 */
export async function ensurePodman(log: StackLog): Promise<Podman> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    // mmdebstrap's root mode makes the base images' files owned by their users; podman's storage is root's.
    throw new Error('Building the images needs root on Linux with podman, runc, mmdebstrap and slirp4netns (Debian packages)');
  }
  await ensureDebianPackages(PACKAGES, 'The image builder (tools/stack/src/images)', log);
  mkdirSync(path.dirname(containersConfFile), { recursive: true });
  let current = '';
  try {
    current = readFileSync(containersConfFile, 'utf8');
  } catch {
    // not written yet
  }
  const wanted = containersConf();
  if (current !== wanted) writeFileSync(containersConfFile, wanted);
  return { env: { ...process.env, CONTAINERS_CONF: containersConfFile } };
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** The output goes to this file under .tools/logs/ (appended) instead of being returned. */
  logName?: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/**
 * Runs a command to its end and returns its stdout; a failure throws with the command, its exit and the end of its
 * output (the whole of it is in the log file when there is one).
 */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const logFile = options.logName ? path.join(logDir, options.logName) : undefined;
  if (logFile) {
    mkdirSync(logDir, { recursive: true });
    appendFileSync(logFile, `\n$ ${command} ${args.join(' ')}\n`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    const take = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString();
      if (isStdout) stdout += text;
      output += text;
      // Only the end is kept in memory for the error; the log file has it all.
      if (output.length > 64_000) output = output.slice(-32_000);
      if (logFile) appendFileSync(logFile, text);
    };
    child.stdout.on('data', (chunk: Buffer) => take(chunk, true));
    child.stderr.on('data', (chunk: Buffer) => take(chunk, false));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const tail = output.trimEnd().split('\n').slice(-15).join('\n');
      const where = logFile ? ` (log: ${logFile})` : '';
      reject(new CommandError(`${command} ${args.slice(0, 3).join(' ')} … exited with ${code ?? signal}${where}:\n${tail}`, output));
    });
  });
}

export function podman(
  tools: Podman,
  args: string[],
  options: Omit<RunOptions, 'env'> & { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return runCommand('podman', args, { ...options, env: { ...tools.env, ...options.env } });
}

/** The value of one label of a local image, or undefined when the image is not there. */
export async function imageLabel(tools: Podman, image: string, label: string): Promise<string | undefined> {
  try {
    const labels = JSON.parse(await podman(tools, ['image', 'inspect', '--format', '{{json .Labels}}', image])) as Record<
      string,
      string
    > | null;
    return labels?.[label];
  } catch (err) {
    if (err instanceof CommandError) return undefined;
    throw err;
  }
}
