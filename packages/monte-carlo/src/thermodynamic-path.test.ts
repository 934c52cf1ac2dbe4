import { enumerateConfigurations } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { runChains } from './chains';
import { thermodynamicPath } from './thermodynamic-path';

// Ising 3x3 cylinder: d(beta E)/d beta = E, so F(beta) = Var_beta(E), exact by enumeration
const target = { lx: 3, ly: 3, beta: 0.6 };
const energies = isingModel.create(target).energy(enumerateConfigurations(9, 2));

function exactVariance(beta: number): number {
  let z = 0;
  let m = 0;
  let m2 = 0;
  const shift = Math.min(...energies);
  for (const e of energies) {
    const w = Math.exp(-beta * (e - shift));
    z += w;
    m += w * e;
    m2 += w * e * e;
  }
  m /= z;
  return m2 / z - m * m;
}

const speed = (p: number) => Math.sqrt(exactVariance(p));

/** int_a^b sqrt(F) dp by composite Simpson with 2000 panels (error ~1e-13 here). */
function exactLength(a: number, b: number): number {
  const n = 2000;
  const h = (b - a) / n;
  let sum = speed(a) + speed(b);
  for (let k = 1; k < n; k++) sum += (k % 2 === 1 ? 4 : 2) * speed(a + k * h);
  return (sum * h) / 3;
}

/**
 * Bound on |Lambda - L| of the library's length Lambda (f = sqrt(F) linear within each cell of
 * width h) against the exact length L at any point of [a, b]: the cumulative trapezoid error
 * (b - a) h^2 / 12 max|f''| plus, in the last partial cell, h * (h^2 / 8) max|f''| (the error
 * of linear interpolation of f).
 */
function quadratureBound(a: number, b: number, h: number): number {
  const d = 1e-4;
  let f2 = 0;
  for (let p = a + d; p <= b - d; p += 0.001)
    f2 = Math.max(f2, Math.abs((speed(p + d) - 2 * speed(p) + speed(p - d)) / (d * d)));
  return ((b - a) * h * h * f2) / 12 + (h * h * h * f2) / 8;
}

const betas = (path: { beta?: number | string }[]) => path.map((p) => p.beta as number);

describe('thermodynamicPath with a known Fisher information', () => {
  it('places the points at equal steps of exact thermodynamic length (Ising 3x3, F = Var E)', async () => {
    const from = 0.1;
    const kappa = 0.3;
    const result = await thermodynamicPath({
      model: isingModel,
      target,
      parameter: 'beta',
      from,
      kappa,
      hold: 3,
      fisher: exactVariance,
    });
    const path = betas(result.path);
    const total = exactLength(from, target.beta);
    const bound = quadratureBound(from, target.beta, 0.01);
    // the library's length is the trapezoidal rule on its grid
    expect(result.grid[0]).toBe(from);
    expect(result.grid[result.grid.length - 1]).toBe(target.beta);
    expect(result.grid).toHaveLength(51);
    expect(result.fisher[10]).toBe(exactVariance(result.grid[10]!));
    expect(result.fisherStdErr).toBeUndefined();
    const computed = result.length[result.length.length - 1]!;
    expect(Math.abs(computed - total)).toBeLessThan(bound);
    const moving = Math.ceil(computed / Math.sqrt(2 * kappa)) + 1;
    expect(moving).toBeGreaterThan(3);
    expect(path).toHaveLength(moving + 3);
    expect(path[0]).toBe(from);
    for (const p of result.path.slice(moving - 1)) expect(p).toEqual(target);
    for (let r = 1; r < moving; r++) expect(path[r]!).toBeGreaterThan(path[r - 1]!);
    // equal steps of exact length, each about sqrt(2 kappa)
    const step = total / (moving - 1);
    expect(step).toBeLessThanOrEqual(Math.sqrt(2 * kappa));
    for (let r = 1; r < moving; r++) {
      expect(Math.abs(exactLength(path[r - 1]!, path[r]!) - step)).toBeLessThan(3 * bound);
    }
    expect(bound).toBeLessThan(1e-3 * step);
    // the other parameters are the target's
    for (const p of result.path) expect({ ...p, beta: 0 }).toEqual({ ...target, beta: 0 });
  });

  it('is exact where the trapezoidal rule is: sqrt(F) linear in p, annealing downwards', async () => {
    // sqrt(F) = p: L(p) = (from^2 - p^2) / 2 from above, so p_r^2 = from^2 - r (from^2 - end^2) / (M - 1)
    const from = 1.5;
    const end = 0.25;
    const result = await thermodynamicPath({
      model: isingModel,
      target: { ...target, beta: end },
      parameter: 'beta',
      from,
      kappa: 0.02,
      fisher: (p) => p * p,
    });
    const path = betas(result.path);
    const total = (from * from - end * end) / 2;
    const moving = Math.ceil(total / Math.sqrt(0.04)) + 1;
    expect(path).toHaveLength(moving);
    for (let r = 0; r < moving; r++) {
      const expected = Math.sqrt(from * from - (r / (moving - 1)) * (from * from - end * end));
      expect(path[r]).toBeCloseTo(expected, 12);
    }
  });

  it('caps the moving points at maxRounds, still at equal steps of length', async () => {
    const result = await thermodynamicPath({
      model: isingModel,
      target,
      parameter: 'beta',
      from: 0.1,
      kappa: 1e-3,
      maxRounds: 5,
      hold: 2,
      fisher: exactVariance,
    });
    const path = betas(result.path);
    expect(path).toHaveLength(7);
    expect(path.slice(4)).toEqual([0.6, 0.6, 0.6]);
    const total = exactLength(0.1, 0.6);
    const bound = quadratureBound(0.1, 0.6, 0.01);
    for (let r = 1; r < 5; r++)
      expect(Math.abs(exactLength(path[r - 1]!, path[r]!) - total / 4)).toBeLessThan(3 * bound);
    // without the cap the same kappa asks for many more points
    const free = await thermodynamicPath({
      model: isingModel,
      target,
      parameter: 'beta',
      from: 0.1,
      kappa: 1e-3,
      fisher: exactVariance,
    });
    expect(free.path.length).toBe(Math.ceil(free.length.at(-1)! / Math.sqrt(2e-3)) + 1);
  });
});

describe('thermodynamicPath with the local Metropolis pilot', () => {
  it('estimates F = Var(E) within 4 standard errors of the exact value (one-sided at beta = 0)', async () => {
    const grids: number[] = [];
    const pilot = {
      model: isingModel,
      target: { ...target, beta: 0.4 },
      parameter: 'beta',
      from: 0,
      gridStep: 0.1,
      seed: 3,
    };
    const result = await thermodynamicPath({
      ...pilot,
      onGridPoint: (k, count) => grids.push(k * 10 + count),
    });
    expect(grids).toEqual([5, 15, 25, 35, 45]);
    expect(result.grid.map((p) => Number(p.toFixed(12)))).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    const stdErr = result.fisherStdErr!;
    for (let k = 0; k < result.grid.length; k++) {
      const exact = exactVariance(result.grid[k]!);
      // the error bar is small enough for the comparison to mean something
      expect(stdErr[k]!).toBeGreaterThan(0);
      expect(stdErr[k]!).toBeLessThan(0.05 * exact);
      expect(Math.abs(result.fisher[k]! - exact), `beta = ${result.grid[k]}`).toBeLessThan(
        4 * stdErr[k]!,
      );
    }
    const path = betas(result.path);
    expect(path[0]).toBe(0);
    expect(path.at(-1)).toBe(0.4);
    for (let r = 1; r < path.length; r++) expect(path[r]!).toBeGreaterThan(path[r - 1]!);
    // the same seed gives the same path
    const again = await thermodynamicPath(pilot);
    expect(again.fisher).toEqual(result.fisher);
    expect(again.path).toEqual(result.path);
    // a chain runner runs the pilot's chains: the same path
    const runs: string[] = [];
    const byRunner = await thermodynamicPath({
      ...pilot,
      chainRunner: (o) => {
        runs.push(o.scheme.kind);
        return runChains(o);
      },
    });
    expect(runs).toEqual(['local', 'local', 'local', 'local', 'local']);
    expect(byRunner.fisher).toEqual(result.fisher);
    expect(byRunner.path).toEqual(result.path);
    // a runner that drops the configurations is named, not a TypeError
    await expect(
      thermodynamicPath({
        ...pilot,
        chainRunner: async (o) => {
          const { configurations: _, ...rest } = await runChains(o);
          return rest as never;
        },
      }),
    ).rejects.toThrow(/`chainRunner` passed to `thermodynamicPath`.*configurations/);
  });
});

describe('thermodynamicPath input checks', () => {
  const base = {
    model: isingModel,
    target,
    parameter: 'beta',
    from: 0.1,
    fisher: exactVariance,
  };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown option', { kapa: 0.3 }, /`options\.kapa` passed to `thermodynamicPath`/],
    ['non-numeric parameter', { parameter: 'boundary' }, /`parameter`.*\(got "boundary"\)/],
    ['missing parameter', { parameter: 'temperature' }, /`parameter`.*\(got "temperature"\)/],
    ['from at the target', { from: 0.6 }, /`from`.*different from the target's beta = 0\.6/],
    ['non-finite from', { from: Number.NaN }, /`from`.*a finite number/],
    ['kappa 0', { kappa: 0 }, /`kappa`.*> 0 \(got 0\)/],
    ['negative kappa', { kappa: -1 }, /`kappa`.*\(got -1\)/],
    ['negative hold', { hold: -1 }, /`hold`.*non-negative integer \(got -1\)/],
    ['fractional hold', { hold: 1.5 }, /`hold`.*\(got 1\.5\)/],
    ['a hold beyond the path limit', { hold: 1e7 }, /`hold`.*at most 1000000 .*\(got 10000000\)/],
    [
      'a pilot larger than one run of chains may keep',
      { fisher: undefined, seed: 1, chains: 64, steps: 2 ** 23 },
      /`steps` passed to `thermodynamicPath` must be at most 1864135 for 64 pilot chains of 9 sites/,
    ],
    ['a kappa too small for the length', { kappa: 1e-300 }, /`kappa`.*at most 1000000 points/],
    ['maxRounds 1', { maxRounds: 1 }, /`maxRounds`.*integer >= 2 \(got 1\)/],
    ['gridStep 0', { gridStep: 0 }, /`gridStep`.*> 0 \(got 0\)/],
    ['too fine a grid', { gridStep: 1e-9 }, /`gridStep`.*at most 100000 grid points/],
    ['fisher not a function', { fisher: 3 }, /`fisher`.*a function/],
    ['chainRunner not a function', { chainRunner: 'threads' }, /`chainRunner`.*a function/],
    ['negative fisher', { fisher: () => -1 }, /`fisher\(0\.1\)`.*>= 0 \(got -1\)/],
    ['NaN fisher', { fisher: () => Number.NaN }, /`fisher\(0\.1\)`.*\(got NaN\)/],
    ['one pilot chain', { chains: 1 }, /`chains`.*integer >= 2 \(got 1\)/],
    ['pilot steps', { steps: 0 }, /`steps`.*\(got 0\)/],
    ['pilot burn-in', { burnIn: -1 }, /`burnIn`.*\(got -1\)/],
    ['pilot without a seed', { fisher: undefined }, /`seed`.*non-negative safe integer/],
    ['negative seed', { fisher: undefined, seed: -2 }, /`seed`.*\(got -2\)/],
    ['no model', { model: {} }, /`model`/],
    ['target not an object', { target: 3 }, /`target`/],
  ];
  for (const [name, change, pattern] of cases) {
    it(`refuses ${name}`, async () => {
      const promise = thermodynamicPath({ ...base, ...change } as never);
      await expect(promise).rejects.toThrow(pattern);
      await expect(promise).rejects.toSatisfy((e) => InvalidArgumentError.isInstance(e));
    });
  }

  it('starts the grid at `from` even when the span is far below gridStep', async () => {
    const seen: number[] = [];
    const end = 0.1 + 1e-13;
    const result = await thermodynamicPath({
      ...base,
      target: { ...target, beta: end },
      fisher: (p) => {
        seen.push(p);
        return exactVariance(p);
      },
    });
    expect(result.grid).toEqual([0.1, end]);
    expect(seen).toEqual([0.1, end]);
    expect(betas(result.path)).toEqual([0.1, end]);
  });

  it("passes on the model's own refusal of a start outside its range", async () => {
    await expect(thermodynamicPath({ ...base, from: -0.5 })).rejects.toThrow(/beta/);
  });
});
