/**
 * `train --proposal neural --objective nll` through the built command: a MADE trained by forward
 * NLL on Monte Carlo samples for the Fredkin chain (hard constraints, which reverse KL refuses),
 * whose draws land mostly on Dyck paths; `mc` with it within 4 standard errors of the exact
 * values; resume after SIGKILL bit for bit (the state is the learning loop's, learnByMonteCarlo
 * with the network as its learner); the refusals (one line naming the flag and value).
 * Like cli-neural.test.ts, this needs @latticediff/neural (a dev dependency of the CLI).
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectUsageError,
  interruptRun,
  listing,
  run,
  runJson,
  temporaryDirectory,
} from './test-helpers';

const FREDKIN = ['fredkin', '--sites', '16', '--c', '0.55'];
const TRAIN = [
  'train',
  ...FREDKIN,
  '--proposal',
  'neural',
  '--objective',
  'nll',
  '--rounds',
  '6',
  '--epochs',
  '4',
];

interface Report {
  round: number;
  parameters: { sites: number; c: number };
  acceptanceRate: number;
  nllBefore: number;
  nllAfter: number;
  allowedFraction: number;
  samples: number;
  quality: { count: number; allowedFraction: number; kl: number; klStdErr: number };
}

interface TrainJson {
  proposal: string;
  objective: string;
  network: { kind: string; hidden: number; z2: boolean };
  rounds: number;
  chains: number;
  steps: number;
  localSweeps: number;
  epochs: number;
  replay: number;
  anneal: { parameter: string; from: number } | null;
  resumedFromRound: number;
  alreadyComplete: boolean;
  exactEntropy: number;
  final: Report;
  reports: Report[];
}

/** True when a row of digits (1 up, 0 down) is a Dyck path. */
function isDyckPath(digits: readonly number[]): boolean {
  let h = 0;
  for (const x of digits) {
    h += x === 1 ? 1 : -1;
    if (h < 0) return false;
  }
  return h === 0;
}

let directory: string;
let trained: TrainJson;

beforeAll(() => {
  directory = temporaryDirectory();
  trained = runJson<TrainJson>([...TRAIN, '--out', 'fredkin.made.json', '--json'], {
    cwd: directory,
  });
});

describe('train --proposal neural --objective nll', () => {
  it('trains a network for the Fredkin chain whose draws are mostly Dyck paths', () => {
    expect(trained.proposal).toBe('neural');
    expect(trained.objective).toBe('nll');
    expect(trained.network).toEqual({ kind: 'MADE', hidden: 64, z2: false });
    expect(trained).toMatchObject({
      rounds: 6,
      chains: 64,
      steps: 32,
      localSweeps: 100,
      epochs: 4,
      replay: 3,
    });
    // no annealing unless --anneal-from is given: every round samples at the target
    expect(trained.anneal).toBeNull();
    expect(trained.reports).toHaveLength(6);
    for (const r of trained.reports) {
      expect(r.parameters).toEqual({ sites: 16, c: 0.55 });
      expect(r.nllAfter, `round ${r.round}`).toBeLessThan(r.nllBefore);
      expect(r.samples).toBe(Math.min(r.round + 1, 3) * 64 * 32);
    }
    // Measured with seeds 1, 2, 3 (wasm backend, the loop of learnByMonteCarlo): 12-16% of the
    // 2048 quality draws of the network after round 0 are Dyck paths, 89.1-89.7% after the six
    // rounds, acceptance 0.71-0.72, KL(pi || q) 0.14-0.16 (± 0.012-0.014), and the final NLL of
    // the samples 6.80-6.83 nats against the exact entropy 6.672. A run is deterministic, so the
    // margins below only cover another backend's float32 rounding.
    expect(trained.reports[0]!.allowedFraction).toBeLessThan(0.4);
    expect(trained.final.allowedFraction).toBeGreaterThan(0.75);
    expect(trained.final.allowedFraction).toBe(trained.final.quality.allowedFraction);
    expect(trained.final.quality.count).toBe(2048);
    expect(trained.final.quality.kl).toBeGreaterThan(0);
    expect(trained.final.quality.kl).toBeLessThan(0.5);
    expect(trained.final.acceptanceRate).toBeGreaterThan(0.5);
    expect(trained.exactEntropy).toBeCloseTo(6.6719, 3);
    expect(trained.final.nllAfter).toBeGreaterThan(trained.exactEntropy - 0.5);
    expect(trained.final.nllAfter).toBeLessThan(trained.exactEntropy + 1);
    // the checkpoint: a latticediff.made file with the run and the reports in its metadata
    const file = JSON.parse(readFileSync(join(directory, 'fredkin.made.json'), 'utf8')) as {
      format: string;
      training?: unknown;
      metadata: { model: string; run: Record<string, unknown>; complete: boolean };
    };
    expect(file.format).toBe('latticediff.made');
    expect(file.training).toBeUndefined();
    expect(file.metadata).toMatchObject({ model: 'fredkin', complete: true });
    expect(file.metadata.run).toMatchObject({ objective: 'nll', rounds: 6, hidden: 64 });
    expect(file.metadata.run).not.toHaveProperty('betaAnneal');
    expect(existsSync(join(directory, 'fredkin.made.json.state'))).toBe(false);
    const again = run([...TRAIN, '--out', 'fredkin.made.json'], { cwd: directory });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already holds this finished run');
    expect(again.stdout).toMatch(/exact entropy of the target: S = ln Z \+ beta <E> = 6\.67/);
  });

  it('samples of the network land mostly on allowed configurations', () => {
    const r = run(
      ['sample', '--checkpoint', 'fredkin.made.json', '--count', '2000', '--out', 's.csv'],
      { cwd: directory },
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(join(directory, 's.csv'), 'utf8').trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(2000);
    const allowed = rows.filter((row) => isDyckPath(row.split(',').map(Number))).length;
    // the fraction the training reported (from 2048 other draws), within 5 standard errors of
    // the difference of the two binomial fractions
    const p = trained.final.allowedFraction;
    expect(Math.abs(allowed / 2000 - p)).toBeLessThan(
      5 * Math.sqrt(p * (1 - p) * (1 / 2000 + 1 / 2048)),
    );
    expect(allowed / 2000).toBeGreaterThan(0.75);
  });

  it('mc with the network on fredkin N = 16: every estimate within 4 stdErr of the exact value', () => {
    const out = runJson<{
      scheme: string;
      acceptanceRate: number;
      observables: Record<string, { stdErr: number; exact: number; deviation: number }>;
    }>(
      [
        'mc',
        '--checkpoint',
        'fredkin.made.json',
        '--scheme',
        'disconnected',
        '--chains',
        '16',
        '--steps',
        '400',
        '--json',
      ],
      { cwd: directory },
    );
    expect(out.scheme).toBe('disconnected');
    expect(out.acceptanceRate).toBeGreaterThan(0.3);
    expect(Object.keys(out.observables)).toEqual(
      expect.arrayContaining(['energyPerSite', 'midHeight']),
    );
    for (const [name, o] of Object.entries(out.observables)) {
      expect(o.stdErr, name).toBeGreaterThan(0);
      expect(Number.isFinite(o.exact), name).toBe(true);
      expect(Math.abs(o.deviation), name).toBeLessThan(4);
    }
  });

  it('resumes after SIGKILL and ends bit for bit where an uninterrupted run ends', async () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      'fredkin',
      '--sites',
      '8',
      '--c',
      '0.55',
      '--proposal',
      'neural',
      '--objective',
      'nll',
      '--rounds',
      '5',
      '--chains',
      '16',
      '--epochs',
      '2',
      '--anneal-from',
      '0.3',
      '--out',
      'resumed.made.json',
    ];
    const state = join(dir, 'resumed.made.json.state');
    await interruptRun(args, { cwd: dir, state, out: join(dir, 'resumed.made.json') });
    // the learning loop's state (monte-carlo FORMAT.md), the network's checkpoint its trainer
    const saved = JSON.parse(readFileSync(state, 'utf8')) as {
      format: string;
      roundsCompleted: number;
      trainer: string;
      reports: { parameters: { c: number } }[];
    };
    expect(saved.format).toBe('latticediff.learning');
    expect(JSON.parse(saved.trainer).format).toBe('latticediff.made');
    expect(saved.reports).toHaveLength(saved.roundsCompleted);
    // --anneal-from: c from 0.3 to the target in 4 rounds, the last held there
    expect(saved.reports[0]!.parameters.c).toBe(0.3);

    // a state of this run is refused by a run with other options
    copyFileSync(state, join(dir, 'other.made.json.state'));
    const other = args.map((a, i) =>
      args[i - 1] === '--epochs' ? '3' : a === 'resumed.made.json' ? 'other.made.json' : a,
    );
    expectUsageError(
      run(other, { cwd: dir }),
      /cannot resume from "other\.made\.json\.state": it holds the training state of a different run/,
    );
    expect(existsSync(join(dir, 'other.made.json'))).toBe(false);

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from resumed\.made\.json\.state after round \d of 5/);
    expect(resumed.stdout).toMatch(/by NLL on Monte Carlo samples: .* \(resumed after round \d\)/);
    expect(listing(dir)).toEqual(['other.made.json.state', 'resumed.made.json']);

    const uninterrupted = run([...args.slice(0, -1), 'uninterrupted.made.json'], { cwd: dir });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    // the same file, byte for byte: weights and reports
    expect(readFileSync(join(dir, 'resumed.made.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'uninterrupted.made.json'), 'utf8'),
    );
  });

  it('refuses what does not apply to the objective, naming the flag and its value', () => {
    const dir = temporaryDirectory();
    const ising = ['train', 'ising', '--lx', '3', '--ly', '3', '--proposal', 'neural'];
    const nll = TRAIN.slice(0, -4); // without --rounds and --epochs
    const cases: [string[], RegExp][] = [
      [
        [...nll, '--beta-anneal', '0.9'],
        /--beta-anneal 0\.9 applies to --objective reverse-kl, not to --objective nll/,
      ],
      [
        [...ising, '--rounds', '5'],
        /--rounds 5 applies to MPS training and to --objective nll .*, not to reverse-KL training of --proposal neural \(the default\)/,
      ],
      [
        [...ising, '--objective', 'reverse-kl', '--local-sweeps', '3'],
        /--local-sweeps 3 applies to MPS training and to --objective nll .* \(--objective reverse-kl\)/,
      ],
      [
        [...nll, '--max-bond-dim', '4'],
        /--max-bond-dim applies to MPS training, not to --proposal neural \(a MADE or PixelCNN network trained by NLL/,
      ],
      [
        [...nll, '--overlap-rounds'],
        /--overlap-rounds applies to MPS training, not to --proposal neural/,
      ],
      [[...nll, '--epochs', '0'], /invalid value for --epochs: 0 \(expected an integer >= 1/],
      [[...nll, '--anneal-from', '1.5'], /invalid value for --anneal-from: 1\.5: .*c/],
      [['train', 'fredkin', '--objective', 'nll'], /--objective applies to --proposal neural only/],
      [
        [...nll.slice(0, -2), '--objective', 'forward'],
        /invalid value for --objective: "forward" \(expected one of reverse-kl, nll\)/,
      ],
      [
        ['train', 'fredkin', '--sites', '8', '--proposal', 'neural'],
        /--proposal neural trains by reverse KL by default .* fredkin has hard constraints/,
      ],
    ];
    for (const [args, pattern] of cases) {
      expectUsageError(run([...args, '--out', 'x.json'], { cwd: dir }), pattern);
    }
    expect(listing(dir)).toEqual([]);
  });
});
