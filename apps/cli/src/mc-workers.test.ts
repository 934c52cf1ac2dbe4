/**
 * `latticediff mc --scheme local|wolff|disconnected` on worker threads: the estimates do not depend on
 * --workers and equal those of the library's runChains on one thread with the same seed; the
 * registry names the module and export a worker imports, for built-in and contributed models.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LatticeModel } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { runChains, summarize } from '@latticediff/monte-carlo';
import { randomMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { disconnectedPoolDraws } from './commands/mc-run';
import { discoverModels } from './registry';
import { expectUsageError, run, runJson, temporaryDirectory } from './test-helpers';

interface Estimate {
  mean: number;
  stdErr: number;
  tauInt: number;
  ess: number;
  windowConverged: boolean;
  exact?: number;
  deviation?: number;
}

interface McJson {
  model: string;
  parameters: Record<string, number | string>;
  scheme: string;
  chains: number;
  steps: number;
  burnIn: number;
  workers: number;
  seed: number;
  acceptanceRate: number;
  effectiveSampleSize: number;
  observables: Record<string, Estimate>;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function mc(args: readonly string[], workers: number, cwd?: string): McJson {
  return runJson<McJson>(['mc', ...args, '--workers', String(workers), '--json'], { cwd });
}

/** Everything of a run that does not depend on timing (seconds, ESS per second, --workers). */
function timeless(r: McJson) {
  const { workers: _workers, ...rest } = r;
  return {
    ...rest,
    seconds: undefined,
    essPerSecond: undefined,
    observables: Object.fromEntries(
      Object.entries(r.observables).map(([name, o]) => [
        name,
        { ...o, essPerSecond: undefined } as Estimate,
      ]),
    ),
  };
}

/** Each estimate of `r` recomputed from the library's runChains on this thread. */
async function expectSameAsRunChains(model: LatticeModel, r: McJson): Promise<void> {
  const names = Object.keys(r.observables);
  const chains = await runChains({
    model: model.create(r.parameters),
    scheme: { kind: r.scheme as 'local' | 'wolff' },
    chains: r.chains,
    steps: r.steps,
    burnIn: r.burnIn,
    seed: r.seed,
    observables: names,
  });
  expect(r.acceptanceRate).toBe(chains.acceptanceRate);
  for (const name of names) {
    const series = chains.series[name]!;
    const perChain = Array.from({ length: r.chains }, (_, c) =>
      series.subarray(c * r.steps, (c + 1) * r.steps),
    );
    const s = summarize(perChain);
    const o = r.observables[name]!;
    expect({ name, mean: o.mean, stdErr: o.stdErr, tauInt: o.tauInt, ess: o.ess }).toEqual({
      name,
      mean: s.mean,
      stdErr: s.stdErr,
      tauInt: s.tauInt,
      ess: s.ess,
    });
  }
}

const ISING = ['ising', '--lx', '4', '--ly', '4', '--steps', '400', '--chains', '7'];

describe('mc local and wolff on worker threads', () => {
  for (const scheme of ['local', 'wolff'] as const) {
    it(`gives the same ${scheme} estimates for --workers 1, 2 and 3, equal to runChains'`, async () => {
      const args = [...ISING, '--scheme', scheme, '--seed', '5'];
      const one = mc(args, 1);
      const two = mc(args, 2);
      const three = mc(args, 3);
      expect(one.workers).toBe(1);
      expect(two.workers).toBe(2);
      expect(timeless(two)).toEqual(timeless(one));
      expect(timeless(three)).toEqual(timeless(one));
      // the default is 2 threads, same result
      const byDefault = runJson<McJson>(['mc', ...args, '--json']);
      expect(byDefault.workers).toBe(2);
      expect(timeless(byDefault)).toEqual(timeless(one));
      await expectSameAsRunChains(isingModel, one);
      // a real run: estimates within 4 error bars of the exact values
      for (const o of Object.values(one.observables)) {
        if (o.deviation !== undefined) expect(Math.abs(o.deviation)).toBeLessThanOrEqual(4);
      }
      // another seed gives other chains
      const other = mc([...ISING, '--scheme', scheme, '--seed', '6'], 2);
      expect(other.observables.energyPerSite!.mean).not.toBe(one.observables.energyPerSite!.mean);
    });
  }

  it('runs the model of a checkpoint (--checkpoint, no model named) on workers', () => {
    const directory = temporaryDirectory();
    const trained = run(
      ['train', 'ising', '--lx', '2', '--ly', '3', '--rounds', '2', '--max-bond-dim', '2'].concat([
        '--out',
        'ising.mps',
      ]),
      { cwd: directory },
    );
    expect(trained.code, trained.stderr).toBe(0);
    const args = [
      '--checkpoint',
      'ising.mps',
      '--scheme',
      'local',
      '--steps',
      '300',
      '--chains',
      '5',
    ];
    const one = mc(args, 1, directory);
    const two = mc(args, 2, directory);
    expect(two.parameters).toMatchObject({ lx: 2, ly: 3 });
    expect(timeless(two)).toEqual(timeless(one));
    // the same chains as naming the model with the checkpoint's parameters
    const named = mc(['ising', '--lx', '2', '--ly', '3', ...args.slice(2)], 2);
    const { checkpoint, ...withoutCheckpoint } = timeless(two) as Record<string, unknown>;
    expect(checkpoint).toBe('ising.mps');
    expect(timeless(named)).toEqual(withoutCheckpoint);
  });

  it('gives the same disconnected estimates for --workers 1, 2 and 3 (chains on threads)', () => {
    const directory = temporaryDirectory();
    const trained = run(
      ['train', 'ising', '--lx', '3', '--ly', '3', '--rounds', '2', '--max-bond-dim', '4'].concat([
        '--out',
        'ising.mps',
      ]),
      { cwd: directory },
    );
    expect(trained.code, trained.stderr).toBe(0);
    // 300 chains: three chunks of proposals, split over the threads at chunk boundaries (2 and
    // 3 threads); one local sweep per step; 40 steps in segments of 2
    const args = ['--checkpoint', 'ising.mps', '--scheme', 'disconnected', '--steps', '40'].concat([
      '--chains',
      '300',
      '--local-sweeps',
      '1',
      '--seed',
      '4',
    ]);
    const one = mc(args, 1, directory);
    const two = mc(args, 2, directory);
    const three = mc(args, 3, directory);
    expect(one.acceptanceRate).toBeGreaterThan(0);
    expect(timeless(two)).toEqual(timeless(one));
    expect(timeless(three)).toEqual(timeless(one));
    // a real run: estimates within 4 error bars of the exact values
    for (const o of Object.values(one.observables)) {
      if (o.deviation !== undefined) expect(Math.abs(o.deviation)).toBeLessThanOrEqual(4);
    }
  });

  it('gives a pool to fewer disconnected chains than a chunk per thread only in long runs', () => {
    // 64 sites at bond 16: sum of l d r about 30,000
    const mps = randomMPS({ length: 64, bondDim: 16, kind: 'born', seed: 1 });
    const run = { chains: 32, steps: 2000, workers: 2 };
    // the default run (2.2e9) is shorter than starting a pool repays
    expect(disconnectedPoolDraws(mps, run)).toBe(false);
    expect(disconnectedPoolDraws(mps, { ...run, steps: 8000 })).toBe(true);
    expect(disconnectedPoolDraws(mps, { ...run, steps: 8000, workers: 1 })).toBe(false);
    // two chunks (200 chains: 128 + 72) for two threads: the chains run whole on the threads
    expect(disconnectedPoolDraws(mps, { ...run, chains: 200, steps: 8000 })).toBe(false);
    expect(disconnectedPoolDraws(mps, { ...run, chains: 100, steps: 8000 })).toBe(true);
  });

  it('gives the same disconnected estimates for --workers 1 and 2 with fewer chains than a chunk (a pool draws them in long runs)', () => {
    const directory = temporaryDirectory();
    const trained = run(['train', 'ising', '--lx', '8', '--ly', '8', '--out', 'ising.mps'], {
      cwd: directory,
    });
    expect(trained.code, trained.stderr).toBe(0);
    // 32 chains x 8,800 steps at bond 16: draws of about 9e9 (rows x sum of l d r), above
    // POOL_MIN_DRAW_WORK, so --workers 2 draws on a pool of 2 and --workers 1 on this thread
    const args = ['--checkpoint', 'ising.mps', '--scheme', 'disconnected', '--steps', '8000'];
    for (const sweeps of [[], ['--local-sweeps', '1']]) {
      const one = mc([...args, ...sweeps], 1, directory);
      const two = mc([...args, ...sweeps], 2, directory);
      expect(one.acceptanceRate).toBeGreaterThan(0);
      expect(timeless(two)).toEqual(timeless(one));
    }
  });

  it('refuses --workers 0 and --workers abc for the local scheme', () => {
    for (const value of ['0', 'abc']) {
      expectUsageError(
        run(['mc', 'ising', '--scheme', 'local', '--workers', value]),
        new RegExp(`--workers.*${value}`),
      );
    }
  });
});

/** A contributed model package in a temporary node_modules (independent spins in a field). */
function coinPackage(packageJson: Record<string, unknown>, exports: string): string {
  const directory = temporaryDirectory();
  const coin = join(directory, 'node_modules', 'latticediff-model-coin');
  mkdirSync(join(coin, 'lib'), { recursive: true });
  writeFileSync(
    join(coin, 'package.json'),
    JSON.stringify({
      name: 'latticediff-model-coin',
      version: '0.1.0',
      type: 'module',
      ...packageJson,
    }),
  );
  writeFileSync(join(coin, 'lib', 'main.js'), `${COIN}\n${exports}\n`);
  return directory;
}

describe('registry: the module and export a worker imports', () => {
  it('names them for the built-in models', async () => {
    for (const id of ['ising', 'fredkin']) {
      const entry = discoverModels(REPO_ROOT).find((e) => e.id === id)!;
      expect(entry.moduleUrl).toMatch(/^file:/);
      const namespace = (await import(entry.moduleUrl)) as Record<string, unknown>;
      expect(namespace[await entry.exportName()]).toBe(await entry.load());
    }
    const ising = discoverModels(REPO_ROOT).find((e) => e.id === 'ising')!;
    expect(await ising.exportName()).toBe('isingModel');
  });

  it('names them for model-potts, a package found from the repository root', async () => {
    const entry = discoverModels(REPO_ROOT).find((e) => e.id === 'potts')!;
    expect(entry.builtin).toBe(false);
    expect(entry.moduleUrl).toBe(
      pathToFileURL(realpathSync(join(REPO_ROOT, 'packages/model-potts/dist/index.js'))).href,
    );
    expect(await entry.exportName()).toBe('pottsModel');
    const namespace = (await import(entry.moduleUrl)) as Record<string, unknown>;
    expect(namespace.pottsModel).toBe(await entry.load());
  });

  it('names the entry file and the single, declared or default LatticeModel export', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ exports: { '.': { import: './lib/main.js' } } }, 'export { coinModel };', 'coinModel'],
      [
        { main: 'lib/main.js', latticediff: { model: 'second' } },
        'export const first = coinModel;\nexport const second = coinModel;',
        'second',
      ],
      [{ module: './lib/main.js' }, 'export default coinModel;', 'default'],
    ];
    for (const [packageJson, exports, exportName] of cases) {
      const directory = coinPackage(packageJson, exports);
      const entry = discoverModels(directory).find((e) => e.id === 'coin')!;
      expect(entry.moduleUrl).toBe(
        pathToFileURL(
          join(realpathSync(directory), 'node_modules/latticediff-model-coin/lib/main.js'),
        ).href,
      );
      expect(await entry.exportName()).toBe(exportName);
      expect((await entry.load()).id).toBe('coin');
    }
  });
});

describe('mc with contributed models on worker threads', () => {
  it('runs potts (a root devDependency) with the same result for --workers 1 and 2', () => {
    const args = ['potts', '--lx', '3', '--ly', '3', '--q', '3', '--scheme', 'local'].concat([
      '--steps',
      '300',
      '--chains',
      '6',
    ]);
    const one = mc(args, 1, REPO_ROOT);
    const two = mc(args, 2, REPO_ROOT);
    expect(one.model).toBe('potts');
    expect(timeless(two)).toEqual(timeless(one));
  });

  it('runs a package from a temporary node_modules with the same result for --workers 1 and 2', () => {
    const directory = coinPackage(
      { main: 'lib/main.js', latticediff: { model: 'second' } },
      'export const first = coinModel;\nexport const second = coinModel;',
    );
    const args = ['coin', '--sites', '5', '--field', '0.4', '--scheme', 'local'].concat([
      '--steps',
      '2000',
      '--chains',
      '4',
    ]);
    const log = join(directory, 'node_modules/latticediff-model-coin/lib/threads.log');
    const one = mc(args, 1, directory);
    expect(existsSync(log)).toBe(false);
    const two = mc(args, 2, directory);
    // two worker threads imported the package
    expect(new Set(readFileSync(log, 'utf8').trim().split('\n')).size).toBe(2);
    expect(timeless(two)).toEqual(timeless(one));
    const m = two.observables.magnetization!;
    expect(Math.abs(m.mean - Math.tanh(0.4))).toBeLessThan(4 * m.stdErr);
  });
});

/**
 * N independent spins in a field h, E = -h sum_i s_i (exact: <s> = tanh h). Imported in a worker
 * thread, it appends the thread's id to threads.log beside itself.
 */
const COIN = `
import { appendFileSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';
if (!isMainThread) appendFileSync(new URL('./threads.log', import.meta.url), threadId + '\\n');
const schema = {
  sites: { type: 'integer', description: 'number of spins', minimum: 1, default: 4 },
  field: { type: 'number', description: 'field h', default: 0 },
};
function create(input = {}) {
  const p = { sites: input.sites ?? 4, field: input.field ?? 0 };
  const n = p.sites;
  const energyOf = (x, o) => { let e = 0; for (let i = 0; i < n; i++) e -= p.field * (2 * x[o + i] - 1); return e; };
  return {
    specificationVersion: 'v1', modelId: 'coin', parameters: p, sites: n, localDimension: 2, beta: 1,
    geometry: { kind: 'chain', shape: [n], periodic: [false], order: 'linear', sites: n, dimension: 1,
      coordinates: Int32Array.from({ length: n }, (_, i) => i), bonds: new Int32Array(0),
      siteIndex: (c) => (c[0] >= 0 && c[0] < n ? c[0] : -1) },
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
const coinModel = {
  specificationVersion: 'v1', id: 'coin', description: 'independent spins in a field',
  parameterSchema: schema, create,
};
`;
