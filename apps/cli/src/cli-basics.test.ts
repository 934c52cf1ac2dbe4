import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { describe, expect, it } from 'vitest';
import { expectUsageError, listing, run, runJson, temporaryDirectory } from './test-helpers';

interface ExactJson {
  model: string;
  parameters: Record<string, number | string>;
  logPartitionFunction: number;
  observables: Record<string, { mean: number | number[] }>;
}

interface McJson {
  model: string;
  parameters: Record<string, number | string>;
  scheme: string;
  acceptanceRate: number;
  effectiveSampleSize: number;
  seconds: number;
  essPerSecond: number;
  observables: Record<string, { mean: number; stdErr: number; tauInt: number; exact?: number }>;
}

describe('help and listing', () => {
  it('prints the global help with every command and the model convention', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['models', 'exact', 'train', 'sample', 'mc', 'bench', 'demo']) {
      expect(r.stdout).toContain(`latticediff ${command}`);
    }
    expect(r.stdout).toContain('latticediff-model-<id>');
    expect(r.stdout).toContain('Exit codes');
  });

  it('has --help on every command, with the model parameters when a model is named', () => {
    for (const command of ['models', 'exact', 'train', 'sample', 'mc', 'bench', 'demo']) {
      const r = run([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(`latticediff ${command}`);
      expect(r.stderr).toBe('');
    }
    const ising = run(['exact', 'ising', '--help']);
    for (const flag of ['--lx', '--ly', '--beta', '--coupling', '--field', '--boundary']) {
      expect(ising.stdout).toContain(flag);
    }
    const fredkin = run(['mc', 'fredkin', '-h']);
    expect(fredkin.stdout).toContain('--sites');
    expect(fredkin.stdout).toContain('--c ');
    const trainHelp = run(['help', 'train']).stdout;
    expect(trainHelp).toContain('--max-bond-dim');
    expect(trainHelp).toContain('--bond-dim: deprecated old name');
    expect(run(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('accepts --bond-dim, the deprecated name of --max-bond-dim, and says so', () => {
    const dir = temporaryDirectory();
    const args = ['train', 'ising', '--lx', '3', '--ly', '3', '--rounds', '1', '--chains', '4'];
    const old = run([...args, '--steps', '4', '--bond-dim', '2', '--out', 'old.mps'], { cwd: dir });
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain('--bond-dim is deprecated, use --max-bond-dim');
    const both = run([...args, '--bond-dim', '2', '--max-bond-dim', '2', '--out', 'x.mps'], {
      cwd: dir,
    });
    expectUsageError(
      both,
      /--bond-dim is the deprecated name of --max-bond-dim: give --max-bond-dim only/,
    );
    // the refused run wrote nothing
    expect(listing(dir).filter((f) => f.startsWith('x.mps'))).toEqual([]);
  });

  it('lists the built-in models with their parameters (text and JSON)', () => {
    const text = run(['models']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ising');
    expect(text.stdout).toContain('fredkin');
    const json = runJson<{
      models: {
        id: string;
        builtin: boolean;
        parameters: Record<string, { flag: string; default: unknown }>;
      }[];
    }>(['models', '--json']);
    const ising = json.models.find((m) => m.id === 'ising')!;
    const fredkin = json.models.find((m) => m.id === 'fredkin')!;
    expect(ising.builtin).toBe(true);
    expect(Object.keys(ising.parameters)).toEqual(
      expect.arrayContaining(['lx', 'ly', 'beta', 'coupling', 'field']),
    );
    expect(ising.parameters.coupling!.default).toBe(1);
    expect(ising.parameters.field!.default).toBe(0);
    expect(fredkin.parameters.sites!.flag).toBe('--sites');
    expect(fredkin.parameters.c!.flag).toBe('--c');
  });
});

describe('exact', () => {
  it("gives the Ising model package's exact values", () => {
    const parameters = { lx: 3, ly: 4, beta: 0.3, coupling: 1.2, field: 0.1 };
    const out = runJson<ExactJson>([
      'exact',
      'ising',
      '--lx',
      '3',
      '--ly',
      '4',
      '--beta',
      '0.3',
      '--coupling',
      '1.2',
      '--field',
      '0.1',
      '--json',
    ]);
    const exact = isingModel.create(parameters).exactObservables!();
    expect(out.model).toBe('ising');
    expect(out.parameters).toMatchObject(parameters);
    expect(out.logPartitionFunction).toBe(exact.logPartitionFunction);
    for (const name of ['energyPerSite', 'absMagnetization', 'magnetizationSquared']) {
      expect(out.observables[name]).toEqual({ mean: exact.means[name] });
    }
  });

  it("gives the Fredkin model package's exact values, and a table without --json", () => {
    const out = runJson<ExactJson>(['exact', 'fredkin', '--sites', '12', '--c', '0.6', '--json']);
    const exact = fredkinModel.create({ sites: 12, c: 0.6 }).exactObservables!();
    expect(out.parameters).toEqual({ sites: 12, c: 0.6 });
    for (const name of ['energyPerSite', 'midHeight', 'meanHeight']) {
      expect(out.observables[name]).toEqual({ mean: exact.means[name] });
    }
    const text = run(['exact', 'fredkin', '--sites', '12', '--c', '0.6']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/midHeight\s+[\d.]+/);
  });
});

describe('mc with local and cluster moves', () => {
  const cases: [string, string[], string[]][] = [
    [
      'ising local',
      ['ising', '--lx', '3', '--ly', '3', '--scheme', 'local'],
      ['energyPerSite', 'absMagnetization', 'magnetizationSquared'],
    ],
    [
      'ising wolff',
      ['ising', '--lx', '3', '--ly', '3', '--beta', '0.35', '--scheme', 'wolff'],
      ['energyPerSite', 'absMagnetization', 'magnetizationSquared'],
    ],
    [
      'fredkin local',
      ['fredkin', '--sites', '10', '--c', '0.6', '--scheme', 'local'],
      ['energyPerSite', 'midHeight', 'meanHeight'],
    ],
  ];
  for (const [name, args, observables] of cases) {
    it(`${name}: estimates within 4 standard errors of the exact values`, () => {
      const out = runJson<McJson>(['mc', ...args, '--steps', '1500', '--chains', '16', '--json']);
      expect(out.model).toBe(args[0]);
      expect(out.scheme).toBe(args[args.indexOf('--scheme') + 1]);
      for (const key of ['acceptanceRate', 'effectiveSampleSize', 'seconds', 'essPerSecond']) {
        expect(typeof out[key as keyof McJson], key).toBe('number');
      }
      const exact = (args[0] === 'ising' ? isingModel : fredkinModel).create(
        Object.fromEntries(paramPairs(args)),
      ).exactObservables!();
      for (const o of observables) {
        const e = out.observables[o]!;
        expect(Object.keys(e)).toEqual(expect.arrayContaining(['mean', 'stdErr', 'tauInt']));
        expect(e.stdErr).toBeGreaterThan(0);
        expect(Math.abs(e.mean - (exact.means[o] as number)), o).toBeLessThan(4 * e.stdErr);
      }
    });
  }
});

function paramPairs(args: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let k = 1; k < args.length; k += 2) {
    const flag = args[k]!;
    if (flag === '--scheme') continue;
    out.push([flag.slice(2), Number(args[k + 1])]);
  }
  return out;
}

describe('bad input: exit code 2, one line naming the value, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['unknown command with a suggestion', ['exacts'], /did you mean exact\?/],
    ['unknown flag', ['exact', 'ising', '--bogus', '1'], /unknown flag --bogus/],
    ['unknown flag before the model', ['exact', '--bogus', 'ising'], /unknown flag --bogus/],
    ['unknown model', ['exact', 'nosuchmodel'], /unknown model "nosuchmodel"/],
    ['missing model', ['exact'], /missing <model>/],
    ['missing value', ['exact', 'ising', '--beta'], /missing value for --beta/],
    ['missing value before a flag', ['exact', 'ising', '--lx', '--json'], /missing value for --lx/],
    ['wrong type', ['exact', 'ising', '--beta', 'abc'], /--beta: "abc" \(expected a finite number/],
    ['non-integer size', ['exact', 'ising', '--lx', '2.5'], /--lx: "2.5" \(expected an integer/],
    ['out of range', ['exact', 'ising', '--lx', '0'], /--lx: 0 \(expected an integer >= 1\)/],
    ['odd number of sites', ['exact', 'fredkin', '--sites', '7'], /--sites: 7 .*even/],
    ['c outside (0, 1)', ['exact', 'fredkin', '--c', '1.5'], /--c: 1\.5/],
    ['infinite value', ['exact', 'ising', '--beta', 'Infinity'], /--beta: "Infinity"/],
    ['bad choice', ['exact', 'ising', '--boundary', 'sphere'], /--boundary: "sphere"/],
    ['repeated flag', ['exact', 'ising', '--lx', '3', '--lx', '4'], /--lx is given more than once/],
    ['extra argument', ['exact', 'ising', 'fredkin'], /unexpected argument "fredkin"/],
    ['value for a boolean flag', ['models', '--json=yes'], /--json takes no value/],
    [
      'size too large for exact references',
      ['exact', 'ising', '--ly', '30'],
      /--ly 30 is beyond the exact reference of ising/,
    ],
    ['missing required flag', ['mc', 'ising', '--lx', '3'], /missing required flag --scheme/],
    ['unknown scheme', ['mc', 'ising', '--scheme', 'foo'], /--scheme: "foo"/],
    [
      'DDM scheme without a checkpoint',
      ['mc', 'ising', '--scheme', 'connected'],
      /--scheme connected needs a trained model.*--checkpoint.*latticediff train ising/,
    ],
    [
      'wolff without cluster moves',
      ['mc', 'fredkin', '--scheme', 'wolff'],
      /wolff.*fredkin has none/,
    ],
    [
      'neither model nor checkpoint',
      ['mc', '--scheme', 'local'],
      /missing <model> or --checkpoint/,
    ],
    [
      'noise time for a local scheme',
      ['mc', 'ising', '--scheme', 'local', '--noise-time', '0.3'],
      /--noise-time applies only to --scheme connected/,
    ],
    ['negative steps', ['mc', 'ising', '--scheme', 'local', '--steps', '-5'], /--steps: -5/],
    ['missing --out', ['train', 'ising'], /missing required flag --out/],
    [
      'missing checkpoint file',
      ['sample', '--checkpoint', 'missing.mps', '--count', '5'],
      /checkpoint not found: "missing.mps"/,
    ],
    ['missing --count', ['sample', '--checkpoint', 'missing.mps'], /missing required flag --count/],
    ['single-dash option', ['exact', 'ising', '-x'], /unknown option "-x"/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, () => {
      const directory = temporaryDirectory();
      expectUsageError(run(args, { cwd: directory }), pattern);
      expect(listing(directory)).toEqual([]);
    });
  }

  it('adds a hint naming the help command', () => {
    const r = run(['exact', 'ising', '--beta', 'abc']);
    expect(r.stderr).toContain('run "latticediff exact ising --help"');
  });

  it('refuses --out in a directory that does not exist, before any work', () => {
    const directory = temporaryDirectory();
    expectUsageError(
      run(['train', 'ising', '--lx', '2', '--ly', '2', '--out', 'nowhere/model.mps'], {
        cwd: directory,
      }),
      /cannot write --out "nowhere\/model.mps": directory .* does not exist/,
    );
    expect(listing(directory)).toEqual([]);
  });
});

describe('model discovery', () => {
  function contributedModels(): string {
    const directory = temporaryDirectory();
    const coin = join(directory, 'node_modules', 'latticediff-model-coin');
    mkdirSync(coin, { recursive: true });
    writeFileSync(
      join(coin, 'package.json'),
      JSON.stringify({
        name: 'latticediff-model-coin',
        version: '1.2.3',
        type: 'module',
        exports: { '.': { import: './index.js' } },
      }),
    );
    writeFileSync(join(coin, 'index.js'), COIN_MODEL);
    const broken = join(directory, 'node_modules', '@latticediff', 'model-broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(
      join(broken, 'package.json'),
      JSON.stringify({
        name: '@latticediff/model-broken',
        version: '0.1.0',
        type: 'module',
        main: 'index.js',
      }),
    );
    writeFileSync(join(broken, 'index.js'), "throw new Error('this package is broken');\n");
    return directory;
  }

  it('lists contributed packages by the naming convention', () => {
    const directory = contributedModels();
    const r = runJson<{
      models: {
        id: string;
        package: string;
        builtin: boolean;
        version: string;
        parameters?: Record<string, unknown>;
        error?: string;
      }[];
    }>(['models', '--json'], { cwd: directory });
    const coin = r.models.find((m) => m.id === 'coin')!;
    expect(coin).toMatchObject({
      package: 'latticediff-model-coin',
      builtin: false,
      version: '1.2.3',
    });
    expect(Object.keys(coin.parameters!)).toEqual(['sites', 'field']);
    const broken = r.models.find((m) => m.id === 'broken')!;
    expect(broken.error).toMatch(/this package is broken/);
  });

  it('uses a contributed model in exact and mc, and imports packages only when used', () => {
    const directory = contributedModels();
    const exact = runJson<ExactJson>(
      ['exact', 'coin', '--sites', '4', '--field', '0.5', '--json'],
      {
        cwd: directory,
      },
    );
    expect(exact.observables.magnetization!.mean).toBeCloseTo(Math.tanh(0.5), 14);
    const mc = runJson<McJson>(
      [
        'mc',
        'coin',
        '--sites',
        '4',
        '--field',
        '0.5',
        '--scheme',
        'local',
        '--steps',
        '500',
        '--json',
      ],
      { cwd: directory },
    );
    const m = mc.observables.magnetization!;
    expect(Math.abs(m.mean - Math.tanh(0.5))).toBeLessThan(4 * m.stdErr);
    // the broken package is never imported unless used
    expect(run(['exact', 'ising', '--lx', '2', '--ly', '2'], { cwd: directory }).code).toBe(0);
    expectUsageError(
      run(['exact', 'broken'], { cwd: directory }),
      /cannot load model package @latticediff\/model-broken/,
    );
  });
});

/** A self-contained model package: N independent spins in a field, E = -h sum_i s_i. */
const COIN_MODEL = `
const schema = {
  sites: { type: 'integer', description: 'number of spins', minimum: 1, default: 4 },
  field: { type: 'number', description: 'field h', default: 0 },
};
function create(input = {}) {
  const p = { sites: input.sites ?? 4, field: input.field ?? 0 };
  if (!Number.isInteger(p.sites) || p.sites < 1) throw new Error('bad sites');
  const n = p.sites;
  const energyOf = (x, o) => { let e = 0; for (let i = 0; i < n; i++) e -= p.field * (2 * x[o + i] - 1); return e; };
  const coordinates = Int32Array.from({ length: n }, (_, i) => i);
  return {
    specificationVersion: 'v1', modelId: 'coin', parameters: p, sites: n, localDimension: 2, beta: 1,
    geometry: { kind: 'chain', shape: [n], periodic: [false], order: 'linear', sites: n, dimension: 1,
      coordinates, bonds: new Int32Array(0), siteIndex: (c) => (c[0] >= 0 && c[0] < n ? c[0] : -1) },
    energy: (b) => Float64Array.from({ length: b.count }, (_, k) => energyOf(b.data, k * n)),
    allowed: (b) => new Uint8Array(b.count).fill(1),
    initialConfiguration: () => new Int32Array(n),
    localMoves: {
      count: n,
      deltaEnergy: (x, k) => 2 * p.field * (2 * x[k] - 1),
      apply: (x, k) => { x[k] = 1 - x[k]; },
    },
    observables: [{ name: 'magnetization', description: 'mean spin', size: 1 }],
    observe: (name, b) => Float64Array.from({ length: b.count }, (_, k) => {
      let m = 0; for (let i = 0; i < n; i++) m += 2 * b.data[k * n + i] - 1; return m / n;
    }),
    exactObservables: () => ({
      logPartitionFunction: n * Math.log(2 * Math.cosh(p.field)),
      means: { magnetization: Math.tanh(p.field) },
    }),
  };
}
export const coinModel = {
  specificationVersion: 'v1', id: 'coin', description: 'independent spins in a field',
  parameterSchema: schema, create,
};
`;
