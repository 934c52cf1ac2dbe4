import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fredkinModel } from '@latticediff/model-fredkin';
import { thermodynamicPath } from '@latticediff/monte-carlo';
import { createRandom } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import {
  expectUsageError,
  interruptRun,
  listing,
  run,
  runJson,
  temporaryDirectory,
} from './test-helpers';

interface TrainJson {
  rounds: number;
  kind: string;
  training: string;
  path: string;
  reports: { round: number; parameters: Record<string, number>; validationNll?: number }[];
}

const FREDKIN = ['fredkin', '--sites', '8', '--c', '0.6'];
const SMALL = ['--chains', '16', '--steps', '8', '--max-bond-dim', '4', '--workers', '1'];

function checksum(path: string): string {
  const match = /"checksum": "([0-9a-f]+)"/.exec(readFileSync(path, 'utf8'));
  return match![1]!;
}

function metadataRun(path: string): Record<string, unknown> {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { metadata: { run: object } };
  return file.metadata.run as Record<string, unknown>;
}

describe('train --recipe restart', () => {
  it('anneals on the thermodynamic path of the pilot (seeded from --seed) and records the recipe', async () => {
    const dir = temporaryDirectory();
    const rounds = 9;
    const out = runJson<TrainJson>(
      [
        'train',
        ...FREDKIN,
        ...SMALL,
        '--recipe',
        'restart',
        '--validation-fraction',
        '0.25',
        '--rounds',
        String(rounds),
        '--seed',
        '4',
        '--out',
        'recipe.mps',
        '--json',
      ],
      { cwd: dir },
    );
    expect(out).toMatchObject({ kind: 'born', training: 'sweeps', path: 'thermodynamic', rounds });
    // the library's path with the CLI's pilot stream of the seed, padded with the target
    const { path } = await thermodynamicPath({
      model: fredkinModel,
      target: { sites: 8, c: 0.6 },
      parameter: 'c',
      from: 0.3,
      kappa: 0.3,
      maxRounds: rounds - Math.floor(rounds / 3),
      seed: createRandom(4).split(2_000_000),
    });
    expect(path.length).toBeGreaterThan(2);
    const values = out.reports.map((r) => r.parameters.c);
    expect(values).toHaveLength(rounds);
    expect(values.slice(0, path.length)).toEqual(path.map((p) => p.c));
    expect(values.slice(path.length - 1)).toEqual(Array(rounds - path.length + 1).fill(0.6));
    for (let r = 1; r < path.length; r++) expect(values[r]!).toBeGreaterThan(values[r - 1]!);
    // early stopping on held-out chains is on
    for (const r of out.reports) expect(Number.isFinite(r.validationNll)).toBe(true);
    expect(metadataRun(join(dir, 'recipe.mps'))).toMatchObject({
      kind: 'born',
      restart: true,
      replayRounds: 4,
      sweepsPerRound: 4,
      localSweeps: 20,
      scheme: 'disconnected',
      validationFraction: 0.25,
      path: { kind: 'thermodynamic', kappa: 0.3 },
    });
    // explicit flags override the recipe, and the run record shows it
    const linear = run(
      [
        'train',
        ...FREDKIN,
        ...SMALL,
        '--recipe',
        'restart',
        '--path',
        'linear',
        '--replay',
        '2',
        '--rounds',
        '3',
        '--out',
        'linear.mps',
      ],
      { cwd: dir },
    );
    expect(linear.code, linear.stderr).toBe(0);
    const record = metadataRun(join(dir, 'linear.mps'));
    expect(record.replayRounds).toBe(2);
    expect(record.path).toBeUndefined();
    expect(record.restart).toBe(true);
  });

  it('resumes after a kill bit for bit and refuses the state of a run with other options', async () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      ...FREDKIN,
      ...SMALL,
      '--recipe',
      'restart',
      '--rounds',
      '120',
      '--seed',
      '5',
      '--out',
      'resumed.mps',
    ];
    const state = join(dir, 'resumed.mps.state');
    await interruptRun(args, { cwd: dir, state, out: join(dir, 'resumed.mps') });

    // the same command with one learning option changed is another run: its state is refused
    // (--local-sweeps is not part of the learning loop's own fingerprint; --kappa is refused
    // before the pilot)
    for (const [flag, value] of [
      ['--local-sweeps', '5'],
      ['--kappa', '0.2'],
      ['--replay', '3'],
    ]) {
      copyFileSync(state, join(dir, 'other.mps.state'));
      expectUsageError(
        run([...args.slice(0, -1), 'other.mps', flag!, value!], { cwd: dir }),
        /cannot resume from "other\.mps\.state": it holds the training state of a different run/,
      );
      expect(existsSync(join(dir, 'other.mps'))).toBe(false);
    }

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from resumed\.mps\.state after round \d+ of 120/);
    expect(listing(dir)).toEqual(['other.mps.state', 'resumed.mps']);

    const uninterrupted = run([...args.slice(0, -1), 'uninterrupted.mps'], { cwd: dir });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(checksum(join(dir, 'resumed.mps'))).toBe(checksum(join(dir, 'uninterrupted.mps')));
    expect(metadataRun(join(dir, 'resumed.mps'))).toEqual(
      metadataRun(join(dir, 'uninterrupted.mps')),
    );
  });
});

describe('train learning flags', () => {
  it('keeps the run record of a run without the new flags (old checkpoints stay valid)', () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      ...FREDKIN,
      ...SMALL,
      '--recipe',
      'anneal',
      '--rounds',
      '2',
      '--out',
      'plain.mps',
    ];
    expect(run(args, { cwd: dir }).code).toBe(0);
    expect(Object.keys(metadataRun(join(dir, 'plain.mps')))).toEqual([
      'model',
      'parameters',
      'bondDim',
      'rounds',
      'seed',
      'chains',
      'steps',
      'epochs',
      'learningRate',
      'noiseTime',
      'anneal',
    ]);
    // the defaults written out are the same run
    const explicit = run(
      [
        ...args,
        '--kind',
        'linear',
        '--training',
        'adam',
        '--replay',
        '1',
        '--local-sweeps',
        '1',
        '--scheme',
        'connected',
        '--path',
        'linear',
      ],
      { cwd: dir },
    );
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(explicit.stdout).toContain('already holds this finished run');
  });

  const cases: [string, string[], RegExp][] = [
    [
      'sweeps of a linear MPS',
      ['--training', 'sweeps'],
      /^latticediff: --training sweeps needs --kind born/,
    ],
    [
      'the recipe with a linear MPS',
      ['--recipe', 'restart', '--kind', 'linear'],
      /--training sweeps \(from --recipe restart\) needs --kind born/,
    ],
    ['--restart with Adam', ['--restart'], /--restart applies to --training sweeps only/],
    [
      '--restart of the recipe with Adam',
      ['--recipe', 'restart', '--training', 'adam'],
      /--restart \(from --recipe restart\) applies to --training sweeps only/,
    ],
    [
      '--sweeps with Adam',
      ['--kind', 'born', '--training', 'adam', '--sweeps', '3'],
      /--sweeps 3 applies to --training sweeps only/,
    ],
    [
      '--validation-fraction with Adam',
      ['--validation-fraction', '0.1'],
      /--validation-fraction 0\.1 applies to --training sweeps only/,
    ],
    [
      '--learning-rate-decay with Adam',
      ['--learning-rate-decay', '0.9'],
      /--learning-rate-decay 0\.9 applies to --training sweeps only/,
    ],
    [
      'the learn recipe with Adam',
      ['--recipe', 'learn', '--training', 'adam', '--kind', 'linear'],
      /--sweeps 2 \(from --recipe learn\) applies to --training sweeps only/,
    ],
    [
      'a learning-rate decay above 1',
      ['--kind', 'born', '--learning-rate-decay', '1.5'],
      /invalid value for --learning-rate-decay: 1\.5/,
    ],
    ['a cutoff of 1', ['--kind', 'born', '--cutoff', '1'], /invalid value for --cutoff: 1/],
    [
      '--epochs with sweeps',
      ['--kind', 'born', '--epochs', '3'],
      /--epochs applies to --training adam only/,
    ],
    [
      '--noise-time with disconnected proposals',
      ['--scheme', 'disconnected', '--noise-time', '0.2'],
      /--noise-time applies to --scheme connected only/,
    ],
    [
      '--kappa on a linear path',
      ['--kappa', '0.2'],
      /--kappa applies to --path thermodynamic only/,
    ],
    [
      'a validation fraction of 1',
      ['--kind', 'born', '--validation-fraction', '1'],
      /invalid value for --validation-fraction: 1 \(expected a number >= 0 and < 1\)/,
    ],
    [
      'a validation fraction of 0',
      ['--kind', 'born', '--validation-fraction', '0'],
      /invalid value for --validation-fraction: 0/,
    ],
    [
      'no chains left to train on',
      ['--kind', 'born', '--validation-fraction', '0.97', '--chains', '16'],
      /invalid value for --validation-fraction: 0\.97 .*holds out 16 of the 16 chains/,
    ],
    [
      'a thermodynamic path of one round',
      ['--path', 'thermodynamic', '--rounds', '1'],
      /--rounds 1 is too few for --path thermodynamic/,
    ],
    [
      'a thermodynamic path with nothing to anneal',
      ['--path', 'thermodynamic', '--anneal-from', '0.6'],
      /--path thermodynamic: nothing to anneal \(c starts at its target 0\.6\)/,
    ],
    [
      'an unknown kind',
      ['--kind', 'mps'],
      /invalid value for --kind: "mps" \(expected one of linear, born\)/,
    ],
    ['an unknown recipe', ['--recipe', 'fast'], /invalid value for --recipe: "fast"/],
    ['a negative --local-sweeps', ['--local-sweeps', '-1'], /invalid value for --local-sweeps: -1/],
    ['--replay 0', ['--replay', '0'], /invalid value for --replay: 0/],
    ['a value for --restart', ['--restart=yes'], /--restart takes no value/],
    [
      'a start outside the range of c',
      ['--anneal-from', '1.5'],
      /invalid value for --anneal-from: 1\.5: .*`c`/,
    ],
  ];
  it('refuses a start too far for the pilot of --path thermodynamic, naming --anneal-from (exit 2, nothing written)', () => {
    const dir = temporaryDirectory();
    const ising = ['ising', '--lx', '2', '--ly', '2'];
    for (const [flags, pattern] of [
      [
        ['--beta', '0.4', '--anneal-from', '1000.5'],
        /^latticediff: invalid value for --anneal-from: 1000\.5: --path thermodynamic measures beta every 0\.01 .* at most 100000 points/,
      ],
      [
        ['--beta', '1300'],
        /^latticediff: the default start of the annealing path \(beta = 260\): --path thermodynamic/,
      ],
    ] as const) {
      expectUsageError(
        run(
          [
            'train',
            ...ising,
            ...flags,
            '--path',
            'thermodynamic',
            '--out',
            'x.mps',
            '--plots',
            'p',
          ],
          { cwd: dir },
        ),
        pattern,
      );
    }
    expect(listing(dir)).toEqual([]);
  });

  for (const [name, flags, pattern] of cases) {
    it(`refuses ${name} (exit 2, nothing written)`, () => {
      const dir = temporaryDirectory();
      expectUsageError(
        run(
          [
            'train',
            ...FREDKIN,
            // the learning recipe's checks (the physics recipe has its own)
            ...(flags.includes('--recipe') ? [] : ['--recipe', 'anneal']),
            ...flags,
            '--out',
            'x.mps',
            '--plots',
            'plots',
          ],
          { cwd: dir },
        ),
        pattern,
      );
      expect(listing(dir)).toEqual([]);
    });
  }
});

describe('train --recipe physics (the default for models with local factors)', () => {
  const ISING = ['ising', '--lx', '4', '--ly', '4', '--max-bond-dim', '16'];
  it('starts from the physics-built Born MPS (exact at chi 16 for Ly = 4: every proposal accepted)', () => {
    const dir = temporaryDirectory();
    const out = runJson<TrainJson & { final: { acceptanceRate: number } }>(
      ['train', ...ISING, ...SMALL.slice(0, 4), '--workers', '1', '--out', 'm.mps', '--json'],
      { cwd: dir },
    );
    expect(out.kind).toBe('born');
    expect(out.training).toBe('sweeps');
    expect(out.rounds).toBe(2);
    expect(out.reports.map((r) => r.round)).toEqual([0, 1]);
    expect(out.final.acceptanceRate).toBeGreaterThan(0.99);
    expect(metadataRun(join(dir, 'm.mps'))).toMatchObject({
      bondDim: 16,
      anneal: null,
      kind: 'born',
      scheme: 'disconnected',
      validationFraction: 0.25,
      initial: 'physics',
    });
  });

  it('gives way to the anneal recipe when a learning-only flag is given, and refuses --anneal-from', () => {
    const dir = temporaryDirectory();
    expect(
      run(
        [
          'train',
          ...ISING,
          ...SMALL.slice(0, 4),
          '--rounds',
          '1',
          '--kind',
          'linear',
          '--out',
          'a.mps',
        ],
        {
          cwd: dir,
        },
      ).code,
    ).toBe(0);
    expect(metadataRun(join(dir, 'a.mps')).initial).toBeUndefined();
    expectUsageError(
      run(['train', ...ISING, '--recipe', 'physics', '--anneal-from', '0.1', '--out', 'b.mps'], {
        cwd: dir,
      }),
      /--anneal-from applies to the learning recipes \(anneal, restart\): --recipe physics starts at the target/,
    );
    expectUsageError(
      run(['train', ...ISING, '--recipe', 'physics', '--kind', 'linear', '--out', 'b.mps'], {
        cwd: dir,
      }),
      /--training sweeps \(from --recipe physics\) needs --kind born/,
    );
    expect(listing(dir)).toEqual(['a.mps']);
  });
});

describe('sample reports the allowed mass and can keep only allowed samples', () => {
  it('says these are samples of the trained MPS and counts the draws that satisfy the constraints', () => {
    const dir = temporaryDirectory();
    // a deliberately small bond dimension: the truncated Fredkin MPS leaks mass off the Dyck paths
    expect(
      run(
        [
          'train',
          'fredkin',
          '--sites',
          '16',
          '--c',
          '0.55',
          '--max-bond-dim',
          '2',
          ...SMALL.slice(0, 4),
          '--workers',
          '1',
          '--out',
          'f.mps',
        ],
        {
          cwd: dir,
        },
      ).code,
    ).toBe(0);
    const all = run(['sample', '--checkpoint', 'f.mps', '--count', '400', '--out', 'all.csv'], {
      cwd: dir,
    });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(
      /samples of the MPS, not of pi\) to all\.csv; [\d.]+% of the draws satisfy the constraints of fredkin/,
    );
    const kept = run(
      ['sample', '--checkpoint', 'f.mps', '--count', '400', '--allowed-only', '--out', 'kept.csv'],
      { cwd: dir },
    );
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/kept only the allowed ones \(400 of \d+ draws/);
    const rows = readFileSync(join(dir, 'kept.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(400);
    const instance = fredkinModel.create({ sites: 16, c: 0.55 });
    for (const row of rows) {
      const x = Int32Array.from(row.split(','), Number);
      expect(instance.allowed({ data: x, count: 1 })[0]).toBe(1);
    }
  });
});

/**
 * A contributed model package without localFactors(): an open Ising chain with an optional
 * three-site term, E = -sum s_i s_{i+1} - h sum s_i + k sum n_i n_{i+1} n_{i+2} (n = digit).
 */
function chainPackage(): string {
  const directory = temporaryDirectory();
  const root = join(directory, 'node_modules', 'latticediff-model-chain');
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({
      name: 'latticediff-model-chain',
      version: '0.1.0',
      type: 'module',
      main: 'main.js',
    }),
  );
  writeFileSync(
    join(root, 'main.js'),
    `
const schema = {
  sites: { type: 'integer', description: 'number of spins', minimum: 3, default: 6 },
  field: { type: 'number', description: 'field h', default: 0.3 },
  three: { type: 'number', description: 'three-site coupling k', default: 0 },
};
function create(input = {}) {
  const p = { sites: input.sites ?? 6, field: input.field ?? 0.3, three: input.three ?? 0 };
  const n = p.sites;
  const energyOf = (x, o) => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const s = 2 * x[o + i] - 1;
      e -= p.field * s;
      if (i + 1 < n) e -= s * (2 * x[o + i + 1] - 1);
      if (i + 2 < n) e += p.three * x[o + i] * x[o + i + 1] * x[o + i + 2];
    }
    return e;
  };
  const energy = (b) => Float64Array.from({ length: b.count }, (_, k) => energyOf(b.data, k * n));
  return {
    specificationVersion: 'v1', modelId: 'chain', parameters: p, sites: n, localDimension: 2, beta: 0.5,
    geometry: { kind: 'chain', shape: [n], periodic: [false], order: 'linear', sites: n, dimension: 1,
      coordinates: Int32Array.from({ length: n }, (_, i) => i), bonds: new Int32Array(0),
      siteIndex: (c) => (c[0] >= 0 && c[0] < n ? c[0] : -1) },
    energy,
    allowed: (b) => new Uint8Array(b.count).fill(1),
    initialConfiguration: () => new Int32Array(n),
    localMoves: {
      count: n,
      deltaEnergy: (x, k) => {
        const y = Int32Array.from(x); y[k] = 1 - y[k];
        return energyOf(y, 0) - energyOf(x, 0);
      },
      apply: (x, k) => { x[k] = 1 - x[k]; },
    },
    observables: [{ name: 'magnetization', description: 'mean spin', size: 1 }],
    observe: (name, b) => Float64Array.from({ length: b.count }, (_, k) => {
      let m = 0; for (let i = 0; i < n; i++) m += 2 * b.data[k * n + i] - 1; return m / n;
    }),
  };
}
export const chainModel = {
  specificationVersion: 'v1', id: 'chain', description: 'open Ising chain (test)',
  parameterSchema: schema, create,
};
`,
  );
  return directory;
}

describe('train, a model without local factors', () => {
  it('probes a pairwise energy for its factors and starts from the exact Born MPS', () => {
    const dir = chainPackage();
    const result = run(
      [
        'train',
        'chain',
        '--sites',
        '8',
        ...SMALL.slice(0, 4),
        '--workers',
        '1',
        '--out',
        'c.mps',
        '--json',
      ],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as TrainJson & { final: { acceptanceRate: number } };
    expect(out.training).toBe('sweeps');
    // an open chain needs bond dimension 2: the start is exact, every proposal is accepted
    expect(out.final.acceptanceRate).toBeGreaterThan(0.99);
    expect(metadataRun(join(dir, 'c.mps')).initial).toBe('physics');
    const text = run(
      ['train', 'chain', '--sites', '8', ...SMALL.slice(0, 4), '--workers', '1', '--out', 'd.mps'],
      { cwd: dir },
    );
    expect(text.stderr).toContain('were found by probing its energy');
  });

  it('learns an energy with three-site terms by default, and refuses --recipe physics for it', () => {
    const dir = chainPackage();
    const three = ['train', 'chain', '--sites', '8', '--three', '0.5'];
    const result = run([...three, ...SMALL, '--rounds', '1', '--out', 'c.mps'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    // the default is --recipe learn: the flags it stands for, except those given
    const record = metadataRun(join(dir, 'c.mps')) as Record<string, unknown>;
    expect(record.initial).toBeUndefined();
    expect(record).toMatchObject({
      kind: 'born',
      sweepsPerRound: 2,
      replayRounds: 4,
      scheme: 'disconnected',
      validationFraction: 0.25,
      learningRateDecay: 0.88,
      cutoff: 1e-8,
      chains: 16,
      steps: 8,
      rounds: 1,
    });
    // and the same run as --recipe learn given explicitly (the state of one resumes the other)
    const explicit = run(
      [...three, ...SMALL, '--rounds', '1', '--recipe', 'learn', '--out', 'e.mps'],
      { cwd: dir },
    );
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(metadataRun(join(dir, 'e.mps'))).toEqual(record);
    expectUsageError(
      run([...three, '--recipe', 'physics', '--out', 'p.mps'], { cwd: dir }),
      /--recipe physics: model chain does not expose its energy as local factors \(localFactors\), and its energy is not a sum of site and pair terms/,
    );
    expect(existsSync(join(dir, 'p.mps'))).toBe(false);
  });
});
