/**
 * The gaps a robustness audit left: Ctrl-C while train builds its first MPS, the size limit of
 * that build, output files written before a failing plot, file-system errors that name the flag,
 * exact's refusals in terms of the flags, and merge's check of edited shard summaries.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listing, start, temporaryDirectory } from './test-helpers';

/** Resolves with the exit code once `child` has ended; collects its stderr. */
function watch(child: ChildProcess): { exited: Promise<number | null>; stderr: () => string } {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { exited, stderr: () => stderr };
}

/** Waits until `text` appears on the child's stderr or the child has ended; true if it appeared. */
async function waitForStderr(
  child: ChildProcess,
  stderr: () => string,
  text: string,
): Promise<boolean> {
  while (!stderr().includes(text) && child.exitCode === null && child.signalCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return stderr().includes(text);
}

describe('train: Ctrl-C while the first MPS is built', () => {
  // ising 16x16 at bond dimension 512: the physics build alone would take hours (one synchronous
  // call), so a run that does not stop on the signal never ends here (the hang guard fails it)
  const args = [
    'train',
    'ising',
    '--lx',
    '16',
    '--ly',
    '16',
    '--max-bond-dim',
    '512',
    '--workers',
    '1',
    '--out',
    'big.mps',
  ];

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`stops on ${signal} during the build with one line and exit code ${code}, writing nothing`, async () => {
      const dir = temporaryDirectory();
      const child = start(args, {
        cwd: dir,
        pipeStderr: true,
        env: { LATTICEDIFF_TEST_HOOKS: '1' },
      });
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      const { exited, stderr } = watch(child);
      expect(await waitForStderr(child, stderr, 'latticediff-test: building MPS'), stderr()).toBe(
        true,
      );
      child.kill(signal);
      expect(await exited, stderr()).toBe(code);
      const lines = stderr().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^latticediff-test: building MPS/);
      expect(lines.slice(1)).toEqual([
        `latticediff: interrupted (${signal}); no round had finished yet`,
      ]);
      expect(listing(dir)).toEqual([]);
    });
  }
});
