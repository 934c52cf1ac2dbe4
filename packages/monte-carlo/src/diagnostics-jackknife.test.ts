import { physicsBornMPS } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { createRandom, type RandomGenerator } from '@latticediff/tensor-network';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { runChains } from './chains';
import { jackknife } from './diagnostics-jackknife';

function normal(random: RandomGenerator): number {
  const u = 1 - random.float64();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.float64());
}

/** Rows [chain][step] of a runChains series. */
function rows(series: Float64Array, chains: number): Float64Array[] {
  const steps = series.length / chains;
  return Array.from({ length: chains }, (_, c) => series.subarray(c * steps, (c + 1) * steps));
}

describe('jackknife', () => {
  it('of one mean over whole chains is the standard error of the chain means', () => {
    const random = createRandom(3);
    const chains = Array.from({ length: 7 }, (_, c) =>
      Float64Array.from({ length: 40 }, () => c * 0.1 + normal(random)),
    );
    const result = jackknife({ x: chains }, ({ x }) => x!);
    const means = chains.map((c) => c.reduce((a, b) => a + b, 0) / c.length);
    const grand = means.reduce((a, b) => a + b, 0) / means.length;
    const spread = means.reduce((a, m) => a + (m - grand) ** 2, 0);
    expect(result.units).toBe(7);
    expect(result.value).toBeCloseTo(grand, 14);
    expect(result.stdErr).toBeCloseTo(Math.sqrt(spread / (7 * 6)), 14);
    // a linear estimator has no bias
    expect(Math.abs(result.bias)).toBeLessThan(1e-14);
    // blocks: 2 equal blocks per chain are 14 units, the same identity over block means
    const blocked = jackknife({ x: chains }, ({ x }) => x!, { blocksPerChain: 2 });
    const blockMeans = chains.flatMap((c) =>
      [0, 1].map((b) => c.subarray(b * 20, (b + 1) * 20).reduce((a, v) => a + v, 0) / 20),
    );
    const blockSpread = blockMeans.reduce((a, m) => a + (m - grand) ** 2, 0);
    expect(blocked.units).toBe(14);
    expect(blocked.stdErr).toBeCloseTo(Math.sqrt(blockSpread / (14 * 13)), 14);
  });

  it('gives error bars of a ratio of correlated means that match its spread over repeats', () => {
    // f = <x> / <y>, y = 1 + 0.3 (x - 2) + 0.5 n: correlated inputs. Over 400 repeats the rms of
    // the jackknife error bars and the spread of the estimates agree within the spread's own
    // statistical error (relative 1 / sqrt(2 x 399) = 3.5%; 4 sigma 14%)
    const random = createRandom(11);
    const values: number[] = [];
    let squares = 0;
    const repeats = 400;
    for (let k = 0; k < repeats; k++) {
      const x: Float64Array[] = [];
      const y: Float64Array[] = [];
      for (let c = 0; c < 32; c++) {
        const xc = Float64Array.from({ length: 25 }, () => 2 + normal(random));
        x.push(xc);
        y.push(xc.map((v) => 1 + 0.3 * (v - 2) + 0.5 * normal(random)));
      }
      const result = jackknife({ x, y }, (m) => m.x! / m.y!);
      values.push(result.value);
      squares += result.stdErr ** 2;
    }
    const mean = values.reduce((a, b) => a + b, 0) / repeats;
    const spread = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (repeats - 1));
    expect(Math.abs(Math.sqrt(squares / repeats) / spread - 1)).toBeLessThan(
      4 / Math.sqrt(2 * (repeats - 1)),
    );
    // and the estimates centre on the exact ratio 2 within 4 standard errors of their mean
    expect(Math.abs(mean - 2)).toBeLessThan((4 * spread) / Math.sqrt(repeats));
  });

  it('estimates the Binder cumulant of Ising chains within 4 error bars of the exact value', async () => {
    const model = isingModel.create({ lx: 4, ly: 4, beta: 0.44 });
    const chains = 16;
    const result = await runChains({
      model,
      proposal: physicsBornMPS(model, { maxBondDim: 8 }).mps,
      scheme: { kind: 'disconnected' },
      chains,
      steps: 1500,
      burnIn: 100,
      seed: 5,
      observables: ['magnetizationSquared', 'magnetizationFourth'],
    });
    const binder = jackknife(
      {
        m2: rows(result.series.magnetizationSquared!, chains),
        m4: rows(result.series.magnetizationFourth!, chains),
      },
      ({ m2, m4 }) => 1 - m4! / (3 * m2! ** 2),
    );
    const exact = model.exactObservables!().derived!.binderCumulant!;
    expect(binder.units).toBe(chains);
    expect(binder.stdErr).toBeGreaterThan(0);
    expect(Math.abs(binder.value - exact)).toBeLessThan(4 * binder.stdErr);
  });

  it('refuses bad input, naming the argument', () => {
    const two = [Float64Array.of(1, 2, 3), Float64Array.of(2, 3, 4)];
    const cases: [() => unknown, string][] = [
      [() => jackknife({ x: [Float64Array.of(1, 2, 3)] }, ({ x }) => x!), 'series'],
      [() => jackknife({}, () => 1), 'series'],
      [() => jackknife([] as never, () => 1), 'series'],
      [() => jackknife({ x: two, y: [two[0]!] }, () => 1), 'series.y'],
      [
        () => jackknife({ x: two, y: [two[0]!, Float64Array.of(1, 2)] }, () => 1),
        'series.y[1].length',
      ],
      [() => jackknife({ x: two }, 'f' as never), 'estimator'],
      [() => jackknife({ x: two }, () => Number.NaN), 'estimator'],
      // a ratio whose denominator's mean is 0 with one chain left out
      [
        () =>
          jackknife(
            { x: two, y: [Float64Array.of(0, 0, 0), Float64Array.of(1, 1, 1)] },
            (m) => m.x! / m.y!,
          ),
        'estimator',
      ],
      [() => jackknife({ x: two }, () => 1, { blocksPerChain: 0 }), 'options.blocksPerChain'],
      [() => jackknife({ x: two }, () => 1, { blocksPerChain: 4 }), 'options.blocksPerChain'],
      [() => jackknife({ x: two }, () => 1, { blocks: 2 } as never), 'options.blocks'],
      [() => jackknife({ x: [Float64Array.of(1, Number.NaN)] }, () => 1), 'series.x[0][1]'],
    ];
    for (const [f, argument] of cases) {
      expect(invalidArgumentOf(f).argument, String(f)).toBe(argument);
    }
    // one chain in blocks is enough units
    expect(
      jackknife({ x: [Float64Array.of(1, 2, 3, 4)] }, ({ x }) => x!, { blocksPerChain: 2 }).units,
    ).toBe(2);
  });
});
