/**
 * An annealing path in equal steps of thermodynamic length. Along a path p of one numeric
 * model parameter the distributions pi_p(x) ∝ exp(-beta E_p(x)) have the Fisher information
 * F(p) = Var_pi_p(d(beta E)/dp), and neighbouring points p, p + dp differ by
 * KL(pi_p || pi_{p+dp}) = F(p) dp^2 / 2 to second order. Points at equal steps of the
 * thermodynamic length L(p) = int sqrt(F) dp therefore move the target by the same KL divergence
 * `kappa` each round: small steps where the distribution changes fast (near a transition), large
 * ones where it barely moves. F is either given or estimated by a pilot of local Metropolis chains
 * annealed over a grid, from central differences of the model's beta * energy (only the model's
 * energy is used, no exact reference).
 */
import type { LatticeModel, LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import { LatticeDiffError, type SeedOrGenerator, toRandom } from '@latticediff/tensor-network';
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  optionKeys,
} from '@latticediff/tensor-network/internal';
import { type ChainRunner, MAX_SERIES_ENTRIES, MAX_STATE_ENTRIES, runChains } from './chains';

/** Options of {@link thermodynamicPath}. */
export interface ThermodynamicPathOptions {
  /** The lattice model (the contract object, e.g. `isingModel`). */
  model: LatticeModel;
  /** The target point; the path ends here. */
  target: ParameterValues;
  /** Name of the numeric parameter that moves (e.g. `beta`); the others stay at the target's values. */
  parameter: string;
  /** Value of `parameter` where the path starts (different from the target's). */
  from: number;
  /**
   * KL divergence between neighbouring points of the path, to second order: F dp^2 / 2 (default
   * 0.3). The moving rounds are ceil(L / sqrt(2 kappa)) + 1 points (at least 2: `from` and the
   * target), L the total thermodynamic length.
   */
  kappa?: number;
  /** Extra points at the target appended after the moving ones (default 0). */
  hold?: number;
  /**
   * Upper bound of the moving points (`from` ... target, at least 2; default: no bound). When the
   * bound applies the steps stay equal in thermodynamic length but exceed `kappa`.
   */
  maxRounds?: number;
  /** Grid spacing of the Fisher information in units of the parameter (default 0.01). */
  gridStep?: number;
  /**
   * A known Fisher information F(p) >= 0 (e.g. an exact variance) to use instead of the pilot.
   * Evaluated once at every grid point.
   */
  fisher?: (value: number) => number;
  /** Pilot: local Metropolis chains (default 64). */
  chains?: number;
  /** Pilot: recorded sweeps per chain and grid point (default 1000). */
  steps?: number;
  /** Pilot: sweeps discarded at every grid point before recording (default 300). */
  burnIn?: number;
  /**
   * Pilot seed or generator (required unless `fisher` is given). Grid point k uses stream k of
   * it, so the same seed gives the same path.
   */
  seed?: SeedOrGenerator;
  /** Called after the pilot's chains of each grid point (k from 0, of `count`). */
  onGridPoint?: (k: number, count: number) => void;
  /**
   * Runs the pilot's local chains in place of `runChains` (e.g. `chainsOnWorkers` of
   * `@latticediff/monte-carlo/node`, which runs them on worker threads): the same path, since a
   * runner gives runChains's result.
   */
  chainRunner?: ChainRunner;
}

/** Result of {@link thermodynamicPath}. */
export interface ThermodynamicPathResult {
  /** Parameter points: the moving ones from `from` to the target, then `hold` copies of the target. */
  path: ParameterValues[];
  /** Values of the parameter where F was evaluated, from `from` to the target's value. */
  grid: number[];
  /** F at the grid points (the pilot's estimates or the given function's values). */
  fisher: number[];
  /**
   * Standard errors of the pilot's estimates (batch means over the independent chains, one
   * batch per chain); absent when `fisher` was given.
   */
  fisherStdErr?: number[];
  /** Thermodynamic length int sqrt(F) dp from `from` to each grid point (trapezoidal rule). */
  length: number[];
}

/** Largest number of grid points (|target - from| / gridStep). */
const MAX_GRID_POINTS = 100_000;
/** Largest number of moving points of a path without `maxRounds`. */
const MAX_PATH_POINTS = 1_000_000;

/**
 * Points from `from` to the target's value of `parameter` in equal steps of thermodynamic length
 * (KL `kappa` between neighbours), then `hold` points at the target: a path for
 * `learnByMonteCarlo`. With a pilot its cost is `chains * (burnIn + steps)` local sweeps at each
 * of the |target - from| / gridStep + 1 grid points, and it keeps the pilot's configurations of
 * one grid point in memory (chains * steps * sites digits).
 */
export async function thermodynamicPath(
  options: ThermodynamicPathOptions,
): Promise<ThermodynamicPathResult> {
  const fn = 'thermodynamicPath';
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object');
  assertKnownOptions(
    fn,
    options,
    optionKeys<ThermodynamicPathOptions>()([
      'model',
      'target',
      'parameter',
      'from',
      'kappa',
      'hold',
      'maxRounds',
      'gridStep',
      'fisher',
      'chains',
      'steps',
      'burnIn',
      'seed',
      'onGridPoint',
      'chainRunner',
    ]),
  );
  const { model, target, parameter, from } = options;
  if (!model || typeof model.create !== 'function')
    invalidArgument(fn, 'model', model, 'a lattice model (e.g. isingModel)');
  if (typeof target !== 'object' || target === null || Array.isArray(target))
    invalidArgument(fn, 'target', target, 'an object of parameter values');
  if (typeof parameter !== 'string')
    invalidArgument(fn, 'parameter', parameter, 'the name of a numeric parameter of the target');
  const end = target[parameter];
  if (typeof end !== 'number' || !Number.isFinite(end))
    invalidArgument(
      fn,
      'parameter',
      parameter,
      `the name of a numeric parameter of the target (target.${parameter} is ${JSON.stringify(end)})`,
    );
  assertFinite(fn, 'from', from);
  if (from === end)
    invalidArgument(fn, 'from', from, `a value different from the target's ${parameter} = ${end}`);
  const kappa = options.kappa ?? 0.3;
  assertFinite(fn, 'kappa', kappa, Number.MIN_VALUE);
  const hold = options.hold ?? 0;
  assertInteger(fn, 'hold', hold, 0);
  if (hold > MAX_PATH_POINTS)
    invalidArgument(fn, 'hold', hold, `at most ${MAX_PATH_POINTS} (points of the path)`);
  const maxRounds = options.maxRounds ?? Number.POSITIVE_INFINITY;
  if (options.maxRounds !== undefined) assertInteger(fn, 'maxRounds', maxRounds, 2);
  const gridStep = options.gridStep ?? 0.01;
  assertFinite(fn, 'gridStep', gridStep, Number.MIN_VALUE);
  const span = Math.abs(end - from);
  if (span / gridStep > MAX_GRID_POINTS)
    invalidArgument(
      fn,
      'gridStep',
      gridStep,
      `at least |target - from| / ${MAX_GRID_POINTS} = ${span / MAX_GRID_POINTS} (at most ${MAX_GRID_POINTS} grid points)`,
    );
  const given = options.fisher;
  if (given !== undefined && typeof given !== 'function')
    invalidArgument(fn, 'fisher', given, 'a function of the parameter value returning F >= 0');
  const chains = options.chains ?? 64;
  const steps = options.steps ?? 1000;
  const burnIn = options.burnIn ?? 300;
  assertInteger(fn, 'chains', chains, 2);
  assertInteger(fn, 'steps', steps, 2);
  assertInteger(fn, 'burnIn', burnIn, 0);
  if (given === undefined && options.seed === undefined)
    invalidArgument(
      fn,
      'seed',
      undefined,
      'a non-negative safe integer or a RandomGenerator (the pilot is random)',
    );
  const root = options.seed === undefined ? undefined : toRandom(fn, options.seed);
  if (options.onGridPoint !== undefined && typeof options.onGridPoint !== 'function')
    invalidArgument(fn, 'onGridPoint', options.onGridPoint, 'a function');
  if (options.chainRunner !== undefined && typeof options.chainRunner !== 'function')
    invalidArgument(
      fn,
      'chainRunner',
      options.chainRunner,
      'a function with the contract of runChains (e.g. chainsOnWorkers(...))',
    );
  const runPilot = options.chainRunner ?? runChains;
  // both ends must be valid points of the model (its own error names the bad parameter)
  const at = (value: number): LatticeModelInstance =>
    model.create({ ...target, [parameter]: value });
  const first = at(from);
  const last = at(end);
  if (first.sites !== last.sites || first.localDimension !== last.localDimension)
    invalidArgument(
      fn,
      'parameter',
      parameter,
      'a parameter that does not change the lattice size along the path',
    );
  // the pilot keeps one grid point's configurations: refuse a size runChains would refuse, here,
  // naming this function's option, before any grid point is run
  if (given === undefined) {
    const maxSteps = Math.floor(
      Math.min(MAX_SERIES_ENTRIES / chains, MAX_STATE_ENTRIES / (chains * first.sites)),
    );
    if (steps > maxSteps)
      invalidArgument(
        fn,
        'steps',
        steps,
        `at most ${maxSteps} for ${chains} pilot chains of ${first.sites} sites (the pilot keeps chains * steps configurations of a grid point)`,
      );
  }

  // the grid: from, from ± gridStep, ..., then the end (the last cell may be shorter)
  const direction = Math.sign(end - from);
  const grid: number[] = [];
  // (at least one cell: a span far below gridStep still starts the grid at `from`)
  const cells = Math.max(1, Math.ceil(span / gridStep - 1e-9));
  for (let k = 0; k < cells; k++) grid.push(from + direction * k * gridStep);
  grid.push(end);

  const fisher: number[] = [];
  let fisherStdErr: number[] | undefined;
  if (given) {
    for (const p of grid) {
      const value = given(p);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        invalidArgument(fn, `fisher(${p})`, value, 'a finite number >= 0');
      fisher.push(value);
      options.onGridPoint?.(fisher.length - 1, grid.length);
    }
  } else {
    fisherStdErr = [];
    let states: { data: Int32Array; count: number } | undefined;
    for (let k = 0; k < grid.length; k++) {
      const p = grid[k]!;
      const instance = k === 0 ? first : k === grid.length - 1 ? last : at(p);
      const run = await runPilot({
        model: instance,
        scheme: { kind: 'local' },
        chains,
        steps,
        burnIn,
        seed: root!.split(k),
        keepConfigurations: true,
        observables: [],
        ...(states ? { initial: states } : {}),
      });
      if (!(run?.configurations instanceof Int32Array) || run.final === undefined) {
        invalidArgument(
          fn,
          'chainRunner',
          'a runner whose result has no configurations',
          "a function with the contract of runChains (the pilot asks for keepConfigurations and reads the result's configurations and final states)",
        );
      }
      states = run.final;
      const estimate = pilotFisher(fn, at, parameter, p, run.configurations, chains, steps);
      fisher.push(estimate.value);
      fisherStdErr.push(estimate.stdErr);
      options.onGridPoint?.(k, grid.length);
    }
  }

  // cumulative length by the trapezoidal rule, i.e. sqrt(F) linear within each cell; a point
  // at length t solves the cell's quadratic length exactly (exact where sqrt(F) is linear)
  const length = [0];
  for (let k = 1; k < grid.length; k++) {
    const dp = Math.abs(grid[k]! - grid[k - 1]!);
    length.push(length[k - 1]! + 0.5 * (Math.sqrt(fisher[k]!) + Math.sqrt(fisher[k - 1]!)) * dp);
  }
  const total = length[length.length - 1]!;
  const moving = Math.min(maxRounds, Math.max(2, Math.ceil(total / Math.sqrt(2 * kappa)) + 1));
  if (moving > MAX_PATH_POINTS)
    invalidArgument(
      fn,
      'kappa',
      kappa,
      `a value that gives at most ${MAX_PATH_POINTS} points (thermodynamic length ${total}), or set maxRounds`,
    );
  const path: ParameterValues[] = [{ ...target, [parameter]: from }];
  let k = 1;
  for (let r = 1; r < moving - 1; r++) {
    const t = (r / (moving - 1)) * total;
    while (k < grid.length - 1 && length[k]! < t) k++;
    const f = cellFraction(
      Math.sqrt(fisher[k - 1]!),
      Math.sqrt(fisher[k]!),
      t - length[k - 1]!,
      Math.abs(grid[k]! - grid[k - 1]!),
    );
    path.push({ ...target, [parameter]: grid[k - 1]! + f * (grid[k]! - grid[k - 1]!) });
  }
  for (let h = 0; h <= hold; h++) path.push({ ...target });
  return { path, grid, fisher, ...(fisherStdErr ? { fisherStdErr } : {}), length };
}

/**
 * The fraction s / h of a cell of width h where the length of sqrt(F) = f0 + (f1 - f0) s / h,
 * f0 s + (f1 - f0) s^2 / (2 h), reaches `target` (in [0, 1]).
 */
function cellFraction(f0: number, f1: number, target: number, h: number): number {
  if (!(target > 0)) return 0;
  const a = (f1 - f0) / (2 * h);
  const root = Math.sqrt(Math.max(0, f0 * f0 + 4 * a * target));
  // the stable root of a s^2 + f0 s - target = 0
  const s = f0 + root > 0 ? (2 * target) / (f0 + root) : h;
  return Math.min(1, Math.max(0, s / h));
}

/**
 * Var(g) over the pilot's configurations, g = d(beta E)/dp by central differences (one-sided
 * where p ± eps leaves the parameter's range), and its standard error from the spread of the
 * per-chain variances (the chains are independent; each chain is one batch).
 */
function pilotFisher(
  fn: string,
  at: (value: number) => LatticeModelInstance,
  parameter: string,
  p: number,
  configurations: Int32Array,
  chains: number,
  steps: number,
): { value: number; stdErr: number } {
  const eps = 1e-4 * Math.max(1, Math.abs(p));
  const tryAt = (value: number) => {
    try {
      return at(value);
    } catch (error) {
      if (LatticeDiffError.isInstance(error)) return undefined;
      throw error;
    }
  };
  let above = tryAt(p + eps);
  let below = tryAt(p - eps);
  let width = 2 * eps;
  if (!above && below) {
    above = at(p);
    width = eps;
  } else if (above && !below) {
    below = at(p);
    width = eps;
  } else if (!above && !below) {
    invalidArgument(
      fn,
      'parameter',
      parameter,
      `a parameter the model accepts at ${p} ± ${eps} (for the derivative of beta * energy)`,
    );
  }
  const batch = { data: configurations, count: chains * steps };
  const up = above!.energy(batch);
  const down = below!.energy(batch);
  // moments of g - shift (the first value) to avoid cancellation in E[g^2] - E[g]^2
  const derivative = (b: number) => (above!.beta * up[b]! - below!.beta * down[b]!) / width;
  const shift = derivative(0);
  let m = 0;
  let m2 = 0;
  const perChain = new Float64Array(chains);
  for (let c = 0; c < chains; c++) {
    let cm = 0;
    let cm2 = 0;
    for (let s = 0; s < steps; s++) {
      const b = c * steps + s;
      const g = derivative(b) - shift;
      if (!Number.isFinite(g))
        invalidArgument(
          fn,
          'parameter',
          parameter,
          `a parameter with a finite derivative of beta * energy on the allowed configurations (got ${g + shift} at ${parameter} = ${p})`,
        );
      cm += g;
      cm2 += g * g;
    }
    m += cm;
    m2 += cm2;
    cm /= steps;
    perChain[c] = Math.max(0, cm2 / steps - cm * cm);
  }
  m /= chains * steps;
  const value = Math.max(0, m2 / (chains * steps) - m * m);
  let mean = 0;
  for (let c = 0; c < chains; c++) mean += perChain[c]!;
  mean /= chains;
  let spread = 0;
  for (let c = 0; c < chains; c++) spread += (perChain[c]! - mean) ** 2;
  const stdErr = Math.sqrt(spread / (chains - 1) / chains);
  return { value, stdErr };
}
