/** Shared helpers of the package tests: the repository root and its published packages. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { workspacePackages } from '../../../scripts/changesets.mjs';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

export interface WorkspacePackage {
  name: string;
  version: string;
  private: boolean;
  dir: string;
  manifest: Record<string, unknown> & {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    scripts?: Record<string, string>;
  };
}

/** Every workspace package (from pnpm-workspace.yaml). */
export function allPackages(): WorkspacePackage[] {
  return workspacePackages(ROOT) as WorkspacePackage[];
}

/** The packages that are published (not private). */
export function publishedPackages(): WorkspacePackage[] {
  return allPackages().filter((p) => !p.private);
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (asynchronously, so several can run at once). */
export function exec(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A failed command as a readable message. */
export function describeFailure(what: string, result: ProcessResult): string {
  return `${what} exited with ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}
