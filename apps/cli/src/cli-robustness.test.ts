/**
 * Bad inputs found by a robustness review: each gives exit 2 (input) or 1 (runtime), one line on
 * stderr naming the problem and the value, no stack trace, and leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expectUsageError,
  listing,
  type RunResult,
  run,
  runJson,
  start,
  temporaryDirectory,
  waitForFile,
} from './test-helpers';

const SMALL_TRAIN = [
  'ising',
  '--lx',
  '3',
  '--ly',
  '3',
  '--rounds',
  '2',
  '--chains',
  '4',
  '--steps',
  '4',
  '--max-bond-dim',
  '2',
  '--workers',
  '1',
];

/** A runtime failure: exit 1, one line, no stack trace. */
function expectRuntimeError(result: RunResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^latticediff: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/internal error/);
}

describe('numbers', () => {
  it('refuses hexadecimal, binary and octal literals', () => {
    for (const text of ['0x10', '0b11', '0o7']) {
      expectUsageError(
        run(['exact', 'ising', '--lx', text]),
        new RegExp(`invalid value for --lx: "${text}" \\(expected an integer >= 1\\)`),
      );
    }
    // decimal forms, exponents included, still work
    const ok = runJson<{ sites: number }>(['exact', 'ising', '--lx', '3e0', '--ly', '4', '--json']);
    expect(ok.sites).toBe(12);
  });
});

describe('sizes', () => {
  it('refuses an Ising lattice with more sites than memory allows (was a RangeError, exit 1)', () => {
    // in the words of the flag typed (it said "`lx` passed to `ising`")
    expectUsageError(
      run(['exact', 'ising', '--lx', '1e9']),
      /^latticediff: invalid value for --lx: 1000000000 \(expected an integer <= 524288 for ly = 8 \(lx \* ly <= 4194304 sites\)\)/,
    );
    expectUsageError(
      run(['mc', 'fredkin', '--sites', '100000000', '--scheme', 'local']),
      /^latticediff: invalid value for --sites: 100000000 \(expected an even integer <= 4194304\)/,
    );
    expectUsageError(
      run(['train', 'fredkin', '--sites', '7', '--out', 'f.mps']),
      /^latticediff: invalid value for --sites: 7 \(expected an even integer >= 2\)/,
    );
  });

  it('refuses exact references that would run for hours (was a hang)', () => {
    // a usage error (exit 2) is the verdict: a run that started would have printed a result
    expectUsageError(
      run(['exact', 'ising', '--lx', '100000', '--ly', '2']),
      // in the flags' words, not the library's (`lx` passed to `isingTransferMatrix`)
      /^latticediff: --lx 100000 is beyond the exact reference of ising: it must be an integer <= 32767 for --ly 2 and --boundary "cylinder"/,
    );
  });

  it('refuses mc runs whose series would not fit in memory (was a RangeError, exit 1)', () => {
    expectUsageError(
      run(['mc', 'ising', '--scheme', 'local', '--chains', '100000', '--steps', '100000']),
      /--chains 100000 x --steps 100000 = 10000000000 recorded values per observable is more than 67108864/,
    );
  });
});

describe('exact at extreme beta', () => {
  it('gives finite ground-state values at very large beta (was null/NaN)', () => {
    const exact = runJson<{
      logPartitionFunction: number;
      observables: Record<string, { mean: number }>;
    }>(['exact', 'ising', '--lx', '3', '--ly', '3', '--beta', '1000', '--json']);
    // two ground states with all 15 bonds satisfied
    expect(exact.logPartitionFunction).toBeCloseTo(Math.log(2) + 1000 * 15, 8);
    expect(exact.observables.energyPerSite!.mean).toBeCloseTo(-15 / 9, 12);
    expect(exact.observables.absMagnetization!.mean).toBeCloseTo(1, 12);
  });

  it('refuses a beta whose ln Z overflows, naming beta', () => {
    expectUsageError(
      run(['exact', 'ising', '--beta', '1e308']),
      /^latticediff: --beta 1e\+308 is beyond the exact reference of ising: it must be small enough that N \* beta \* \(4 \|J\| \+ \|h\|\) is a finite float64/,
    );
  });
});

describe('output paths are checked before any work', () => {
  it('refuses --out below a file, and in an unwritable directory', () => {
    const dir = temporaryDirectory();
    writeFileSync(join(dir, 'a.txt'), 'x');
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', 'a.txt/model.mps'], { cwd: dir }),
      /cannot write --out "a\.txt\/model\.mps": ".*a\.txt" is a file, not a directory/,
    );
    // /proc refuses new files even for root (chmod does not stop root)
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', '/proc/latticediff-test.mps'], { cwd: dir }),
      /cannot write --out "\/proc\/latticediff-test\.mps": directory "\/proc" is not writable/,
    );
    expectUsageError(
      run(['sample', '--checkpoint', 'missing.mps', '--count', '1', '--out', '/proc/s.csv'], {
        cwd: dir,
      }),
      /checkpoint not found/,
    );
    expect(listing(dir)).toEqual(['a.txt']);
  });

  it('refuses --plots and --out-dir naming a file before training (was EEXIST after training)', () => {
    const dir = temporaryDirectory();
    writeFileSync(join(dir, 'plots'), 'x');
    // before any work: each refusal is the only line on stderr (no progress) and nothing was written
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', 'model.mps', '--plots', 'plots'], { cwd: dir }),
      /cannot use --plots "plots": it is a file, not a directory/,
    );
    expectUsageError(
      run(['mc', 'ising', '--lx', '2', '--ly', '2', '--scheme', 'local', '--plots', 'plots/sub'], {
        cwd: dir,
      }),
      /cannot create --plots "plots\/sub": ".*plots" is a file, not a directory/,
    );
    expectUsageError(
      run(['demo', '--out-dir', 'plots'], { cwd: dir }),
      /cannot use --out-dir "plots": it is a file, not a directory/,
    );
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', 'model.mps', '--plots', '/proc/latticediff-plots'], {
        cwd: dir,
      }),
      /cannot create --plots "\/proc\/latticediff-plots": making directory "\/proc\/latticediff-plots" failed/,
    );
    expect(listing(dir)).toEqual(['plots']);
  });

  it('creates missing levels of --plots', () => {
    const dir = temporaryDirectory();
    const r = run(['train', ...SMALL_TRAIN, '--out', 'model.mps', '--plots', 'a/b/c'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'a', 'b', 'c', 'training.svg'))).toBe(true);
  });
});

describe('train', () => {
  it('names --anneal-from when its value is out of the model range', () => {
    const dir = temporaryDirectory();
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', 'model.mps', '--anneal-from', '-1'], { cwd: dir }),
      /invalid value for --anneal-from: -1: .*`beta` passed to `ising` must be a finite number >= 0/,
    );
    expect(listing(dir)).toEqual([]);
  });

  it('reports a diverging training as a runtime failure (exit 1) with a hint, not an input error', () => {
    const dir = temporaryDirectory();
    const r = run(
      [
        'train',
        ...SMALL_TRAIN,
        '--recipe',
        'anneal',
        '--out',
        'model.mps',
        '--learning-rate',
        '1e300',
      ],
      {
        cwd: dir,
      },
    );
    expectRuntimeError(r, /numerical failure: training failed: .*a smaller --learning-rate/);
    expect(existsSync(join(dir, 'model.mps'))).toBe(false);
  });

  it('stops on SIGINT with a resume hint, and the resumed run equals an uninterrupted one', async () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      'ising',
      '--lx',
      '4',
      '--ly',
      '4',
      '--rounds',
      '100',
      '--chains',
      '16',
      '--steps',
      '16',
      '--max-bond-dim',
      '4',
      '--workers',
      '2',
      '--out',
      'interrupted.mps',
    ];
    const child = start(args, { cwd: dir, pipeStderr: true });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const state = join(dir, 'interrupted.mps.state');
    await waitForFile(state, child);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(
      /latticediff: interrupted \(SIGINT\); rerun the same command to resume from interrupted\.mps\.state/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'interrupted.mps'))).toBe(false);

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from interrupted\.mps\.state after round \d+ of 100/);
    expect(listing(dir)).toEqual(['interrupted.mps']);
    const uninterrupted = run([...args.slice(0, -1), 'uninterrupted.mps'], { cwd: dir });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const tensors = (file: string) =>
      JSON.parse(readFileSync(join(dir, file), 'utf8')).tensors as unknown;
    expect(tensors('interrupted.mps')).toEqual(tensors('uninterrupted.mps'));
  });
});

describe('sample --out', () => {
  it('streams into a temporary file and publishes the same text as stdout', () => {
    const dir = temporaryDirectory();
    const trained = run(['train', ...SMALL_TRAIN, '--out', 'model.mps'], { cwd: dir });
    expect(trained.code, trained.stderr).toBe(0);
    mkdirSync(join(dir, 'out'));
    const toFile = run(
      ['sample', '--checkpoint', 'model.mps', '--count', '10000', '--out', 'out/s.jsonl'],
      { cwd: dir },
    );
    expect(toFile.code, toFile.stderr).toBe(0);
    const toStdout = run(
      ['sample', '--checkpoint', 'model.mps', '--count', '10000', '--format', 'jsonl'],
      { cwd: dir },
    );
    expect(readFileSync(join(dir, 'out', 's.jsonl'), 'utf8')).toBe(toStdout.stdout);
    expect(listing(join(dir, 'out'))).toEqual(['s.jsonl']);
    // a rerun replaces its own output; a file of anything else (the checkpoint it reads, a
    // user's data) is refused, and so is a FIFO (it was overwritten, or hung)
    const again = run(
      ['sample', '--checkpoint', 'model.mps', '--count', '5', '--out', 'out/s.jsonl'],
      { cwd: dir },
    );
    expect(again.code, again.stderr).toBe(0);
    writeFileSync(join(dir, 'mine.csv'), 'my,precious,data\n');
    expectUsageError(
      run(['sample', '--checkpoint', 'model.mps', '--count', '2', '--out', 'mine.csv'], {
        cwd: dir,
      }),
      /--out "mine\.csv" exists and is not a sample file of latticediff; refusing to overwrite it/,
    );
    expect(readFileSync(join(dir, 'mine.csv'), 'utf8')).toBe('my,precious,data\n');
    execFileSync('mkfifo', [join(dir, 'fifo.csv')]);
    expectUsageError(
      run(['sample', '--checkpoint', 'model.mps', '--count', '2', '--out', 'fifo.csv'], {
        cwd: dir,
      }),
      /cannot write --out "fifo\.csv": it is not a regular file/,
    );
    expectUsageError(
      run(['sample', '--checkpoint', 'fifo.csv', '--count', '2'], { cwd: dir }),
      /checkpoint "fifo\.csv" is not a regular file/,
    );
    // mc shards: the checkpoint itself as --out was overwritten with the shard
    const before = readFileSync(join(dir, 'model.mps'), 'utf8');
    expectUsageError(
      run(
        [
          'mc',
          '--checkpoint',
          'model.mps',
          '--scheme',
          'disconnected',
          '--steps',
          '20',
          '--chains',
          '2',
          '--shard',
          '0/1',
          '--out',
          'model.mps',
        ],
        { cwd: dir },
      ),
      /--out "model\.mps" exists and is not a shard file of latticediff mc; refusing to overwrite it/,
    );
    expect(readFileSync(join(dir, 'model.mps'), 'utf8')).toBe(before);
    // train: --plots the same path as --out
    expectUsageError(
      run(['train', ...SMALL_TRAIN, '--out', 'z.mps', '--plots', 'z.mps'], { cwd: dir }),
      /--plots "z\.mps" is the --out file/,
    );
    expect(existsSync(join(dir, 'z.mps'))).toBe(false);
  });
});

describe('checkpoints with edited metadata', () => {
  it('name the checkpoint when its stored parameters are refused by the model', () => {
    const dir = temporaryDirectory();
    const trained = run(['train', ...SMALL_TRAIN, '--out', 'model.mps'], { cwd: dir });
    expect(trained.code, trained.stderr).toBe(0);
    // metadata is outside the checksum (FORMAT.md), so such an edit is not detected as corruption
    const document = JSON.parse(readFileSync(join(dir, 'model.mps'), 'utf8'));
    document.metadata.parameters.lx = -1;
    writeFileSync(join(dir, 'edited.mps'), JSON.stringify(document));
    expectUsageError(
      run(['sample', '--checkpoint', 'edited.mps', '--count', '1'], { cwd: dir }),
      /the parameters stored in checkpoint "edited\.mps" are refused by ising: invalid argument: `lx` passed to `ising` must be an integer >= 1 \(got -1\)/,
    );
    expectUsageError(
      run(['mc', 'ising', '--checkpoint', 'model.mps', '--scheme', 'connected', '--beta', '-1'], {
        cwd: dir,
      }),
      /invalid value for --beta: -1/,
    );
  });
});
