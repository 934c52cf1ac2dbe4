import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectUsageError,
  interruptRun,
  listing,
  run,
  runJson,
  temporaryDirectory,
} from './test-helpers';

interface McJson {
  model: string;
  parameters: Record<string, number | string>;
  scheme: string;
  noiseTime?: number;
  acceptanceRate: number;
  effectiveSampleSize: number;
  seconds: number;
  essPerSecond: number;
  observables: Record<string, { mean: number; stdErr: number; tauInt: number }>;
}

const ISING = ['ising', '--lx', '3', '--ly', '3'];
const FREDKIN = ['fredkin', '--sites', '10', '--c', '0.6'];
let directory: string;

beforeAll(() => {
  directory = temporaryDirectory();
  for (const [args, out] of [
    [ISING, 'ising.mps'],
    [FREDKIN, 'fredkin.mps'],
  ] as const) {
    const r = run(
      ['train', ...args, '--max-bond-dim', '8', '--rounds', '12', '--out', out, '--plots', 'plots'],
      {
        cwd: directory,
      },
    );
    expect(r.code, r.stderr).toBe(0);
  }
});

function checksum(path: string): string {
  const match = /"checksum": "([0-9a-f]+)"/.exec(readFileSync(path, 'utf8'));
  return match![1]!;
}

describe('train', () => {
  it('writes the checkpoint with its metadata, a report and the training plot', () => {
    const text = readFileSync(join(directory, 'ising.mps'), 'utf8');
    const file = JSON.parse(text) as { format: string; metadata: Record<string, unknown> };
    expect(file.format).toBe('latticediff.mps');
    expect(file.metadata).toMatchObject({
      model: 'ising',
      parameters: { lx: 3, ly: 3 },
      bondDim: 8,
      rounds: 12,
      seed: 1,
    });
    expect(file.metadata.reports).toHaveLength(12);
    expect(existsSync(join(directory, 'ising.mps.state'))).toBe(false);
    const svg = readFileSync(join(directory, 'plots', 'training.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<polyline');
    // the exact entropy of the 3x3 target as a reference, and the KL estimated every round
    expect(svg).toContain('exact entropy S');
    expect(svg).toContain('KL(pi || P) estimated');
    const again = run(
      ['train', ...ISING, '--max-bond-dim', '8', '--rounds', '12', '--out', 'ising.mps'],
      {
        cwd: directory,
      },
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already holds this finished run');
    // nothing was written, and it does not say it was (found by an audit)
    expect(again.stdout).not.toMatch(/^wrote /m);
  });

  it('resumes after a kill and reaches the result of an uninterrupted run', async () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      'fredkin',
      '--sites',
      '12',
      '--c',
      '0.6',
      '--max-bond-dim',
      '6',
      '--rounds',
      '250',
      '--chains',
      '32',
      '--steps',
      '16',
      '--workers',
      '1',
      '--seed',
      '5',
      '--out',
      'resumed.mps',
    ];
    const state = join(dir, 'resumed.mps.state');
    await interruptRun(args, { cwd: dir, state, out: join(dir, 'resumed.mps') });

    // a state file of this run is refused by a different run
    copyFileSync(state, join(dir, 'other.mps.state'));
    expectUsageError(
      run(['train', ...ISING, '--out', 'other.mps'], { cwd: dir }),
      /cannot resume from "other\.mps\.state": it holds the training state of a different run/,
    );
    expect(existsSync(join(dir, 'other.mps'))).toBe(false);

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from resumed\.mps\.state after round \d+ of 250/);
    expect(resumed.stdout).toMatch(/resumed after round \d+/);
    expect(listing(dir)).toEqual(['other.mps.state', 'resumed.mps']);

    const uninterrupted = run([...args.slice(0, -1), 'uninterrupted.mps'], { cwd: dir });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(checksum(join(dir, 'resumed.mps'))).toBe(checksum(join(dir, 'uninterrupted.mps')));
  });

  it('trains the same model for --workers 1, 2 and 3 (disconnected chains on threads)', () => {
    const dir = temporaryDirectory();
    const args = (workers: number) => [
      'train',
      'ising',
      '--lx',
      '3',
      '--ly',
      '3',
      '--rounds',
      '2',
      '--max-bond-dim',
      '4',
      '--scheme',
      'disconnected',
      // 150 chains: two chunks of proposals, split over the threads
      '--chains',
      '150',
      '--steps',
      '6',
      '--local-sweeps',
      '2',
      '--workers',
      String(workers),
      '--out',
      `w${workers}.mps`,
    ];
    for (const workers of [1, 2, 3]) {
      const r = run(args(workers), { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(checksum(join(dir, 'w2.mps'))).toBe(checksum(join(dir, 'w1.mps')));
    expect(checksum(join(dir, 'w3.mps'))).toBe(checksum(join(dir, 'w1.mps')));
  });

  it('refuses to overwrite a file that is not a checkpoint', () => {
    const dir = temporaryDirectory();
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    expectUsageError(
      run(['train', ...ISING, '--rounds', '1', '--out', 'notes.txt'], { cwd: dir }),
      /--out "notes.txt" exists and is not a latticediff checkpoint/,
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect(listing(dir)).toEqual(['notes.txt']);
  });
});

describe('sample', () => {
  it('writes CSV with a header of site indices', () => {
    const r = run(
      ['sample', '--checkpoint', 'fredkin.mps', '--count', '40', '--out', 'samples.csv'],
      {
        cwd: directory,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(directory, 'samples.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('0,1,2,3,4,5,6,7,8,9');
    expect(lines).toHaveLength(41);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[01](,[01]){9}$/);
  });

  it('writes JSON lines with log-probabilities, through the noise with --noise-time', () => {
    const r = run(
      [
        'sample',
        '--checkpoint',
        'ising.mps',
        '--count',
        '30',
        '--noise-time',
        '1',
        '--out',
        'samples.jsonl',
      ],
      { cwd: directory },
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(join(directory, 'samples.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { x: number[]; logProbability: number });
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      expect(row.x).toHaveLength(9);
      expect(row.logProbability).toBeLessThanOrEqual(0);
      expect(Number.isFinite(row.logProbability)).toBe(true);
    }
  });

  it('prints CSV on stdout, the same for the same seed', () => {
    const a = run(['sample', '--checkpoint', 'ising.mps', '--count', '5', '--seed', '3'], {
      cwd: directory,
    });
    const b = run(['sample', '--checkpoint', 'ising.mps', '--count', '5', '--seed', '3'], {
      cwd: directory,
    });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.trimEnd().split('\n')).toHaveLength(6);
    const jsonl = run(
      ['sample', '--checkpoint', 'ising.mps', '--count', '2', '--format', 'jsonl'],
      {
        cwd: directory,
      },
    );
    expect(JSON.parse(jsonl.stdout.split('\n')[0]!)).toHaveProperty('logProbability');
  });
});

describe('mc with a trained proposal', () => {
  const cases: [string, string[], string, (string | number)[]][] = [
    [
      'ising connected',
      ['--checkpoint', 'ising.mps', '--scheme', 'connected', '--noise-time', '0.3'],
      'ising',
      ['energyPerSite', 'absMagnetization', 'magnetizationSquared'],
    ],
    [
      'ising disconnected',
      ['--checkpoint', 'ising.mps', '--scheme', 'disconnected'],
      'ising',
      ['energyPerSite', 'absMagnetization', 'magnetizationSquared'],
    ],
    [
      'fredkin connected',
      ['fredkin', '--checkpoint', 'fredkin.mps', '--scheme', 'connected'],
      'fredkin',
      ['energyPerSite', 'midHeight', 'meanHeight'],
    ],
  ];
  for (const [name, args, model, observables] of cases) {
    it(`${name}: JSON fields, estimates within 4 standard errors of the exact values`, () => {
      const out = runJson<McJson>(['mc', ...args, '--steps', '1000', '--chains', '16', '--json'], {
        cwd: directory,
      });
      expect(out.model).toBe(model);
      expect(out.scheme).toBe(args[args.indexOf('--scheme') + 1]);
      expect(out.acceptanceRate).toBeGreaterThan(0);
      expect(out.effectiveSampleSize).toBeGreaterThan(0);
      expect(out.seconds).toBeGreaterThan(0);
      expect(out.essPerSecond).toBeGreaterThan(0);
      const exact =
        model === 'ising'
          ? isingModel.create({ lx: 3, ly: 3 }).exactObservables!()
          : fredkinModel.create({ sites: 10, c: 0.6 }).exactObservables!();
      for (const o of observables as string[]) {
        const e = out.observables[o]!;
        expect(e.tauInt).toBeGreaterThan(0);
        expect(Math.abs(e.mean - (exact.means[o] as number)), o).toBeLessThan(4 * e.stdErr);
      }
    });
  }

  it('writes the autocorrelation, configuration and denoising pictures', () => {
    const r = run(
      [
        'mc',
        '--checkpoint',
        'fredkin.mps',
        '--scheme',
        'connected',
        '--steps',
        '100',
        '--plots',
        'mc-plots',
      ],
      { cwd: directory },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(listing(join(directory, 'mc-plots'))).toEqual([
      'autocorrelation.svg',
      'configurations.svg',
      'denoising.svg',
    ]);
    expect(r.stdout).toMatch(/midHeight/);
  });
});

describe('bad checkpoints: exit code 2, one line, nothing written', () => {
  function corrupted(name: string, edit: (text: string) => string): string {
    const text = readFileSync(join(directory, 'ising.mps'), 'utf8');
    const path = join(directory, name);
    writeFileSync(path, edit(text));
    return name;
  }

  it('rejects a file that is not a checkpoint', () => {
    const file = corrupted('garbage.mps', () => 'this is not a checkpoint\n');
    expectUsageError(
      run(['mc', '--checkpoint', file, '--scheme', 'connected', '--plots', 'p1'], {
        cwd: directory,
      }),
      /"garbage.mps" is not a checkpoint \(an MPS file written by "latticediff train"\): it looks like text of another kind/,
    );
    expect(existsSync(join(directory, 'p1'))).toBe(false);
  });

  it('rejects a truncated checkpoint', () => {
    const file = corrupted('truncated.mps', (t) => t.slice(0, Math.floor(t.length / 2)));
    expectUsageError(
      run(['sample', '--checkpoint', file, '--count', '3', '--out', 'bad.csv'], { cwd: directory }),
      /corrupted or invalid checkpoint "truncated.mps"/,
    );
    expect(existsSync(join(directory, 'bad.csv'))).toBe(false);
  });

  it('rejects a checkpoint whose tensor bytes were changed (checksum)', () => {
    const file = corrupted('flipped.mps', (t) => {
      const at = t.indexOf('"data":"') + 20;
      return t.slice(0, at) + (t[at] === 'A' ? 'B' : 'A') + t.slice(at + 1);
    });
    expectUsageError(
      run(['sample', '--checkpoint', file, '--count', '3'], { cwd: directory }),
      /corrupted or invalid checkpoint "flipped.mps".*checksum/,
    );
  });

  it('rejects an MPS file without a model in its metadata', () => {
    const file = corrupted('bare.mps', (t) => t.replace(/ {2}"metadata": .*\n/, ''));
    expectUsageError(
      run(['mc', '--checkpoint', file, '--scheme', 'connected'], { cwd: directory }),
      /without a model and parameters in its metadata/,
    );
  });

  it('rejects a checkpoint for another model', () => {
    expectUsageError(
      run(['mc', 'fredkin', '--checkpoint', 'ising.mps', '--scheme', 'connected'], {
        cwd: directory,
      }),
      /checkpoint "ising.mps" is for model ising .*not fredkin/,
    );
  });

  it('rejects a checkpoint for other sizes', () => {
    expectUsageError(
      run(['mc', 'ising', '--ly', '4', '--checkpoint', 'ising.mps', '--scheme', 'connected'], {
        cwd: directory,
      }),
      /holds an MPS of 9 sites .* has 12 sites/,
    );
  });

  it('rejects a missing checkpoint and an unknown output format', () => {
    expectUsageError(
      run(['mc', '--checkpoint', 'nothing.mps', '--scheme', 'disconnected'], { cwd: directory }),
      /checkpoint not found: "nothing.mps"/,
    );
    expectUsageError(
      run(['sample', '--checkpoint', 'ising.mps', '--count', '3', '--out', 'x.txt'], {
        cwd: directory,
      }),
      /--out must end in .csv or .jsonl \(got "x.txt"\)/,
    );
    expect(existsSync(join(directory, 'x.txt'))).toBe(false);
  });
});
