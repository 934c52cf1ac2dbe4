/**
 * Helpers of the end-to-end tests: they run the BUILT command (dist/cli.js) in a child process,
 * as a user would.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANG_GUARD_MS } from '@latticediff/test-kit/vitest';
import { expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  LATTICEDIFF_NO_PROGRESS: '1',
  LATTICEDIFF_DEBUG: '',
};
// a test run inside a scheduler's job array must not turn every mc into a shard
for (const key of ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_MIN']) {
  delete ENV[key];
}
delete ENV.JOB_COMPLETION_INDEX;

/** Runs `latticediff ...args` to completion (`env`: variables added to the environment). */
export function run(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; fileModesBindRoot?: boolean } = {},
): RunResult {
  // fileModesBindRoot: as root, run without the capabilities that let root ignore file modes
  // (util-linux's setpriv), so that a read-only file is read-only; the same user, so the
  // repository and node stay reachable wherever they are
  const asRoot = options.fileModesBindRoot === true && process.getuid?.() === 0;
  const [command, prefix] = asRoot
    ? ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath]]
    : [process.execPath, []];
  const r = spawnSync(command, [...prefix, CLI, ...args], {
    cwd: options.cwd,
    env: { ...ENV, ...options.env },
    encoding: 'utf8',
    // a hang guard only (spawnSync blocks the test's own timers): just inside vitest's
    timeout: HANG_GUARD_MS - 10_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts `latticediff ...args` without waiting (`pipeStderr`: child.stderr can be read; `env`:
 * variables added to the environment).
 */
export function start(
  args: readonly string[],
  options: { cwd?: string; pipeStderr?: boolean; env?: Record<string, string> } = {},
) {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...ENV, ...options.env },
    stdio: ['ignore', 'ignore', options.pipeStderr ? 'pipe' : 'ignore'],
  });
}

/**
 * Waits until `path` exists or the `child` process has ended, whichever comes first (polling every
 * 10 ms, with no time limit: a slow machine is not a failure); true if the file exists.
 */
export async function waitForFile(path: string, child: ChildProcess): Promise<boolean> {
  while (!existsSync(path) && child.exitCode === null && child.signalCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return existsSync(path);
}

/**
 * Starts `latticediff ...args`, waits until the resume state `state` exists (or the run has ended
 * on its own: no time limit, so a slow machine is not a failure), kills the run with SIGKILL and
 * checks that it left its state and no output `out`: an interrupted run to resume.
 */
export async function interruptRun(
  args: readonly string[],
  options: { cwd: string; state: string; out: string },
): Promise<void> {
  const child = start(args, { cwd: options.cwd });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForFile(options.state, child);
  child.kill('SIGKILL');
  await exited;
  expect(existsSync(options.state), `${options.state} after the kill`).toBe(true);
  expect(existsSync(options.out), `${options.out} after the kill`).toBe(false);
}

/** Runs and parses the JSON on stdout (exit code 0 expected). */
export function runJson<T = Record<string, unknown>>(
  args: readonly string[],
  options: { cwd?: string } = {},
): T {
  const r = run(args, options);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A fresh temporary directory. */
export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'latticediff-cli-'));
}

/** Checks a usage error: exit 2, one line on stderr matching `pattern`, no stack trace. */
export function expectUsageError(result: RunResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^latticediff: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/Error:/);
}

/** File names in a directory, sorted. */
export function listing(directory: string): string[] {
  return readdirSync(directory).sort();
}
