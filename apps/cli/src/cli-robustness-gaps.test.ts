/**
 * The gaps a robustness audit left: Ctrl-C while train builds its first MPS, the size limit of
 * that build, output files written before a failing plot, file-system errors that name the flag,
 * exact's refusals in terms of the flags, and merge's check of edited shard summaries.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectUsageError, listing, run, start, temporaryDirectory } from './test-helpers';

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
  // ising 24x24 at bond dimension 192: the physics build alone (one synchronous call) takes far
  // longer than the hang guard, so a run that does not stop on the signal fails by it; its memory
  // (about 0.4 GiB, build-size.ts) is within the size limit of small machines, and its 42 million
  // entries within what a checkpoint can hold
  const args = [
    'train',
    'ising',
    '--lx',
    '24',
    '--ly',
    '24',
    '--max-bond-dim',
    '192',
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

/** Runs `latticediff ...args` to the end without blocking (the test's hang guard stays in force). */
async function runAsync(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(args, { cwd, pipeStderr: true });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const { exited, stderr } = watch(child);
  const code = await exited;
  return { code, stdout: '', stderr: stderr() };
}

describe('train: the size limit of the first MPS', () => {
  it('refuses, before any work, a constraint MPS that cannot fit in memory (fredkin, 10^5 sites)', async () => {
    const dir = temporaryDirectory();
    const r = await runAsync(['train', 'fredkin', '--sites', '100000', '--out', 'f.mps'], dir);
    expectUsageError(
      r,
      /^latticediff: fredkin with --sites 100000 is too large for train: its first MPS \(the exact constraint MPS of its 100000 sites, before compression\) needs more memory than (?:this machine has|this process's container allows) \([\d.]+ GiB\); choose a smaller --sites$/,
    );
    expect(listing(dir)).toEqual([]);
  });

  it('refuses an MPS too large for memory, naming the size flags and --max-bond-dim', async () => {
    const dir = temporaryDirectory();
    const r = await runAsync(
      ['train', 'ising', '--lx', '1000', '--ly', '1000', '--max-bond-dim', '512', '--out', 'i.mps'],
      dir,
    );
    // 10^6 sites x 512 x 2 x 512 float64: about 3906 GiB
    expectUsageError(
      r,
      /ising with --lx 1000 --ly 1000 is too large for train: its first MPS \(1000000 sites at --max-bond-dim 512\) needs about 3906 GiB of memory, more than (?:this machine has|this process's container allows) \([\d.]+ GiB\); choose a smaller --lx\/--ly or --max-bond-dim$/,
    );
    expect(listing(dir)).toEqual([]);
  });

  it('refuses an MPS too large to save, before any work (it failed at the first save)', async () => {
    const dir = temporaryDirectory();
    const r = await runAsync(
      ['train', 'ising', '--lx', '24', '--ly', '24', '--max-bond-dim', '256', '--out', 'i.mps'],
      dir,
    );
    // 576 sites, bonds up to 256: about 74 million float64 entries, 790 million base64 characters
    expectUsageError(
      r,
      /^latticediff: ising with --lx 24 --ly 24 at --max-bond-dim 256 is too large for train: its MPS \(about 74 million float64 entries\) could not be saved \(a checkpoint is one text of at most 2\^29 characters, about 49 million entries\); choose a smaller --lx\/--ly or --max-bond-dim$/,
    );
    expect(listing(dir)).toEqual([]);
  });
});

describe('outputs: a failing write names its flag and path', () => {
  const MC = ['mc', 'ising', '--lx', '3', '--ly', '3', '--scheme', 'local', '--chains', '2'];
  const MC_RUN = [...MC, '--steps', '200', '--workers', '1', '--plots', 'plots'];

  it('mc prints its estimates before a picture that cannot be written, then fails naming --plots', () => {
    const dir = temporaryDirectory();
    // a directory where the second picture goes: the run is done before its write fails
    mkdirSync(join(dir, 'plots', 'configurations.svg'), { recursive: true });
    const text = run(MC_RUN, { cwd: dir });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/energyPerSite\s+-?\d/);
    expect(text.stdout).toContain(`wrote ${join(dir, 'plots', 'autocorrelation.svg')}`);
    const last = text.stderr.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      `latticediff: cannot write --plots ${JSON.stringify(join(dir, 'plots', 'configurations.svg'))}: illegal operation on a directory (EISDIR, rename)`,
    );
    expect(text.stderr).not.toMatch(/\n\s+at /);

    const json = run([...MC_RUN, '--json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(1);
    const parsed = JSON.parse(json.stdout) as { observables: object; plots: string[] };
    expect(Object.keys(parsed.observables)).toContain('energyPerSite');
    expect(parsed.plots).toEqual([join(dir, 'plots', 'autocorrelation.svg')]);
    expect(json.stderr.trimEnd().split('\n')).toEqual([last]);
  });

  it('train keeps --out and names --plots when its picture cannot be written', () => {
    const dir = temporaryDirectory();
    mkdirSync(join(dir, 'plots', 'training.svg'), { recursive: true });
    const r = run(
      [
        'train',
        'ising',
        '--lx',
        '3',
        '--ly',
        '3',
        '--rounds',
        '1',
        '--chains',
        '4',
        '--steps',
        '4',
        '--max-bond-dim',
        '2',
        '--workers',
        '1',
        '--out',
        'model.mps',
        '--plots',
        'plots',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `latticediff: cannot write --plots ${JSON.stringify(join(dir, 'plots', 'training.svg'))}: illegal operation on a directory (EISDIR, rename)`,
    ]);
    expect(existsSync(join(dir, 'model.mps'))).toBe(true);
  });

  it('reuses a read-only --out that holds this finished run (it is not written)', () => {
    const dir = temporaryDirectory();
    const args = ['train', 'ising', '--lx', '3', '--ly', '3', '--rounds', '1', '--chains', '4'];
    const first = run([...args, '--steps', '4', '--max-bond-dim', '2', '--out', 'm.mps'], {
      cwd: dir,
    });
    expect(first.code, first.stderr).toBe(0);
    const bytes = readFileSync(join(dir, 'm.mps'), 'utf8');
    chmodSync(join(dir, 'm.mps'), 0o444);
    const again = run([...args, '--steps', '4', '--max-bond-dim', '2', '--out', 'm.mps'], {
      cwd: dir,
      fileModesBindRoot: true,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('already holds this finished run');
    expect(readFileSync(join(dir, 'm.mps'), 'utf8')).toBe(bytes);
    // another run to the same read-only file is refused before any work
    const other = run([...args, '--steps', '5', '--max-bond-dim', '2', '--out', 'm.mps'], {
      cwd: dir,
      fileModesBindRoot: true,
    });
    expectUsageError(
      other,
      /^latticediff: cannot write --out "m\.mps": it exists and is not writable \(EACCES\)$/,
    );
  });
});
