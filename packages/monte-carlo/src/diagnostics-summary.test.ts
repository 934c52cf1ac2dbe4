import { createRandom, InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { ar1, ar1TauInt } from './diagnostics-ar1.test-helper';
import {
  autocorrelation,
  automaticWindow,
  integratedAutocorrelationTime,
} from './diagnostics-autocorrelation';
import { binningAnalysis } from './diagnostics-binning';
import {
  createSummary,
  finalizeSummary,
  type MergeableSummary,
  mergeSummaries,
  type ObservableSummary,
  summarize,
  summarizeChains,
} from './diagnostics-summary';

/** The quantities that merge exactly. */
function exactPart(s: ObservableSummary) {
  return {
    mean: s.mean,
    variance: s.variance,
    naiveStdErr: s.naiveStdErr,
    sampleCount: s.sampleCount,
    chainCount: s.chainCount,
    binning: s.binning,
  };
}

function expectReestimatedClose(a: ObservableSummary, b: ObservableSummary) {
  expect(a.window).toBe(b.window);
  for (const key of ['tauInt', 'tauIntError', 'stdErr', 'ess'] as const) {
    expect(Math.abs(a[key] - b[key])).toBeLessThanOrEqual(1e-12 * Math.abs(b[key]));
  }
  expect(a.autocorrelation.length).toBe(b.autocorrelation.length);
  for (let t = 0; t < a.autocorrelation.length; t++) {
    expect(Math.abs(a.autocorrelation[t]! - b.autocorrelation[t]!)).toBeLessThan(1e-12);
  }
}

describe('summarize', () => {
  it('reports mean, stdErr = sqrt(2 tau var / N), ESS = N / (2 tau) and ESS per second', () => {
    const series = ar1(0.5, 100_000, 1, 10);
    const s = summarize(series, { elapsedSeconds: 2 });
    expect(s.sampleCount).toBe(100_000);
    expect(s.chainCount).toBe(1);
    expect(s.stdErr).toBeCloseTo(Math.sqrt((2 * s.tauInt * s.variance) / 100_000), 15);
    expect(s.ess).toBeCloseTo(100_000 / (2 * s.tauInt), 9);
    expect(s.essPerSecond).toBeCloseTo(s.ess / 2, 9);
    expect(s.naiveStdErr).toBe(s.binning.levels[0]!.stdErr);
    expect(Math.abs(s.mean - 10)).toBeLessThan(4 * s.stdErr);
    expect(Math.abs(s.tauInt - 1.5)).toBeLessThan(4 * s.tauIntError);
    expect(summarize(series).essPerSecond).toBeUndefined();
  });

  it('gives tau ≈ 1/2, ESS ≈ N and binning error ≈ naive error for i.i.d. data', () => {
    const random = createRandom(77);
    const series = random.fill(new Float64Array(1 << 17));
    const s = summarize(series);
    expect(Math.abs(s.tauInt - 0.5)).toBeLessThan(4 * s.tauIntError);
    expect(Math.abs(s.ess / s.sampleCount - 1)).toBeLessThan(8 * (s.tauIntError / s.tauInt));
    expect(Math.abs(s.binning.plateau.stdErr / s.naiveStdErr - 1)).toBeLessThan(
      (4 * s.binning.plateau.stdErrError) / s.naiveStdErr,
    );
    expect(Math.abs(s.stdErr / s.naiveStdErr - 1)).toBeLessThan(0.02);
  });

  it('matches the scatter of the mean over independent AR(1) replicas', () => {
    const replicas = 400;
    const n = 4096;
    const random = createRandom(2024);
    const means: number[] = [];
    let reportedSquares = 0;
    for (let r = 0; r < replicas; r++) {
      const s = summarize(ar1(0.5, n, random));
      means.push(s.mean);
      reportedSquares += s.stdErr ** 2;
    }
    const grand = means.reduce((a, b) => a + b, 0) / replicas;
    const empirical = Math.sqrt(means.reduce((a, m) => a + (m - grand) ** 2, 0) / (replicas - 1));
    const reported = Math.sqrt(reportedSquares / replicas);
    // the sample SD of `replicas` means has relative error 1 / sqrt(2 (replicas - 1))
    const tolerance = 4 / Math.sqrt(2 * (replicas - 1));
    expect(Math.abs(empirical / reported - 1)).toBeLessThan(tolerance);
    expect(Math.abs(reported / Math.sqrt((2 * ar1TauInt(0.5)) / n) - 1)).toBeLessThan(0.02);
  });

  it('summarizes chains pooled and one by one', () => {
    const random = createRandom(6);
    const chains = Array.from({ length: 4 }, () => ar1(0.7, 10_000, random, 1));
    const { pooled, perChain } = summarizeChains(chains, { elapsedSeconds: 3 });
    const direct = summarize(chains, { elapsedSeconds: 3 });
    expect(exactPart(pooled)).toEqual(exactPart(direct));
    expectReestimatedClose(pooled, direct);
    expect(perChain).toHaveLength(4);
    expect(perChain[2]).toEqual(summarize(chains[2]!));
    expect(pooled.essPerSecond).toBeCloseTo(pooled.ess / 3, 9);
    const meanOfMeans = perChain.reduce((a, s) => a + s.mean, 0) / 4;
    expect(pooled.mean).toBeCloseTo(meanOfMeans, 12);
  });
});

describe('shard summaries', () => {
  const random = createRandom(99);
  const shardChains = [0, 1, 2].map(() => ({
    energy: Array.from({ length: 3 }, () => ar1(0.8, 4000, random, -250.5)),
    magnetization: Array.from({ length: 3 }, () => ar1(0.3, 4000, random, 0.25)),
  }));
  const shardAcceptance = [
    { accepted: [10, 20, 30], proposed: [100, 100, 100] },
    { accepted: [1, 2, 3], proposed: [50, 50, 50] },
    { accepted: [7, 7, 7], proposed: [9, 9, 9] },
  ];
  const seconds = [1.1, 2.2, 3.3];
  const shards = shardChains.map((observables, i) =>
    createSummary({ observables, acceptance: shardAcceptance[i], elapsedSeconds: seconds[i] }),
  );

  it('merge exactly into the summary of all chains at once', () => {
    const merged = finalizeSummary(mergeSummaries(shards[0]!, shards[1]!, shards[2]!));
    for (const key of ['energy', 'magnetization'] as const) {
      // chains in another order, all at once
      const all = [...shardChains[2]![key], ...shardChains[0]![key], ...shardChains[1]![key]];
      const direct = summarize(all);
      const m = merged.observables[key]!;
      expect(exactPart(m)).toEqual(exactPart(direct)); // bit for bit
      expectReestimatedClose(m, direct);
      expect(m.chainCount).toBe(9);
    }
    expect(merged.shardCount).toBe(3);
    expect(merged.acceptance!.accepted).toBe(87);
    expect(merged.acceptance!.proposed).toBe(477);
    expect(merged.acceptance!.chainCount).toBe(9);
    expect(merged.elapsedSeconds).toBeCloseTo(6.6, 14);
  });

  it('merge associatively and commutatively, also after a JSON round trip', () => {
    const [a, b, c] = shards as [MergeableSummary, MergeableSummary, MergeableSummary];
    const viaJson = JSON.parse(JSON.stringify(b)) as MergeableSummary;
    const one = finalizeSummary(mergeSummaries(mergeSummaries(a, b), c), { elapsedSeconds: 4 });
    const two = finalizeSummary(mergeSummaries(c, mergeSummaries(viaJson, a)), {
      elapsedSeconds: 4,
    });
    const three = finalizeSummary(mergeSummaries(b, c, a), { elapsedSeconds: 4 });
    for (const other of [two, three]) {
      expect(other.acceptance).toEqual(one.acceptance);
      expect(other.elapsedSeconds).toBe(4);
      for (const key of ['energy', 'magnetization']) {
        expect(exactPart(other.observables[key]!)).toEqual(exactPart(one.observables[key]!));
        expectReestimatedClose(other.observables[key]!, one.observables[key]!);
      }
    }
    // elapsed seconds are an exactly rounded sum: the same in every order
    const s1 = finalizeSummary(mergeSummaries(a, b, c)).elapsedSeconds;
    const s2 = finalizeSummary(mergeSummaries(c, a, b)).elapsedSeconds;
    expect(s1).toBe(s2);
    // merging does not modify its inputs
    expect(finalizeSummary(a)).toEqual(
      finalizeSummary(
        createSummary({
          observables: shardChains[0]!,
          acceptance: shardAcceptance[0],
          elapsedSeconds: seconds[0],
        }),
      ),
    );
  });

  it('keep the smaller maxLag when shards differ', () => {
    const short = createSummary({ observables: { x: [ar1(0.5, 2000, 1)] } });
    const long = createSummary({ observables: { x: [ar1(0.5, 8000, 2)] } });
    expect(short.observables.x!.maxLag).toBe(100);
    expect(long.observables.x!.maxLag).toBe(400);
    const merged = finalizeSummary(mergeSummaries(long, short)).observables.x!;
    expect(merged.autocorrelation.length).toBe(101);
    expect(merged.sampleCount).toBe(10_000);
  });

  it('reject summaries that do not fit together, and bad input', () => {
    const x = createSummary({ observables: { x: [1, 2, 3] } });
    const y = createSummary({ observables: { y: [1, 2, 3] } });
    const timed = createSummary({ observables: { x: [1, 2, 3] }, elapsedSeconds: 1 });
    expect(() => mergeSummaries(x, y)).toThrow(
      '`summaries[1].observables` passed to `mergeSummaries` must be the same observables',
    );
    expect(() => mergeSummaries(x, timed)).toThrow('`summaries[1].elapsedSeconds`');
    expect(() => mergeSummaries()).toThrow('`summaries`');
    expect(() => mergeSummaries(x, { format: 'other' } as unknown as MergeableSummary)).toThrow(
      '`summaries[1]` passed to `mergeSummaries` must be a summary from createSummary',
    );
    expect(() => createSummary({ observables: { x: [1, 2, 3] }, elapsedSeconds: 0 })).toThrow(
      'invalid argument: `input.elapsedSeconds` passed to `createSummary` must be a finite number of seconds > 0 (got 0)',
    );
    expect(() => summarize([1, 2, 3], { elapsedSeconds: -1 })).toThrow(
      'invalid argument: `options.elapsedSeconds` passed to `summarize` must be a finite number of seconds > 0 (got -1)',
    );
    expect(() => createSummary({ observables: { e: [[1, 2], [3]] } })).toThrow(
      '`input.observables.e[1].length` passed to `createSummary`',
    );
    expect(() => summarize([])).toThrow(InvalidArgumentError);
    expect(() => summarizeChains([[1, 2, Number.NaN]])).toThrow(
      '`series[0][2]` passed to `summarizeChains` must be a finite number (got NaN)',
    );
    expect(() => finalizeSummary(x, { minBins: 1 })).toThrow('`options.minBins`');
  });
});

describe('summaries read back with edited contents', () => {
  it('are refused naming the field (they gave "1xNaN", a silently changed mean, bare errors)', () => {
    const shard = createSummary({
      observables: { e: [Float64Array.from({ length: 64 }, (_, k) => Math.sin(k))] },
      elapsedSeconds: 1,
      acceptance: { accepted: [3], proposed: [5] },
    });
    const text = JSON.stringify(shard);
    // a summary through JSON is accepted as it is
    expect(mergeSummaries(JSON.parse(text), JSON.parse(text)).shardCount).toBe(2);
    type Editable = {
      elapsedSeconds: unknown;
      shardCount: unknown;
      acceptance: Record<string, unknown>;
      observables: Record<string, Record<string, unknown> & { lagSums: { hi: unknown[] } }>;
    };
    const edit = (change: (o: Editable) => void) => {
      const o = JSON.parse(text) as Editable;
      change(o);
      return o as unknown as MergeableSummary;
    };
    const cases: [MergeableSummary, string][] = [
      [edit((o) => (o.elapsedSeconds = ['x'])), '`summaries[1].elapsedSeconds`'],
      [edit((o) => (o.shardCount = -3)), '`summaries[1].shardCount`'],
      [edit((o) => (o.observables.e!.bins = [])), '`summaries[1].observables.e.bins`'],
      [edit((o) => (o.observables.e!.chainCount = -1)), '`summaries[1].observables.e.chainCount`'],
      [edit((o) => (o.observables.e!.lagSums.hi[0] = 'x')), '`summaries[1].observables.e.lagSums`'],
      [edit((o) => (o.acceptance.accepted = 9)), '`summaries[1].acceptance.accepted`'],
    ];
    for (const [tampered, field] of cases) {
      expect(() => mergeSummaries(JSON.parse(text), tampered)).toThrow(
        `${field} passed to \`mergeSummaries\``,
      );
    }
    expect(() => finalizeSummary(cases[2]![0])).toThrow(
      '`summary.observables.e.bins` passed to `finalizeSummary`',
    );
  });
});

describe('values of large magnitude', () => {
  const base = Float64Array.from(
    { length: 3000 },
    (_, k) => Math.sin(k * 0.37) + 0.3 * Math.cos(k * 1.1) + 0.5,
  );
  it('up to 2^400 (|x| < 2 times 2^398): the statistics of the series times 2^k are those of the series, scaled', () => {
    const ref = summarize(base);
    for (const k of [200, 398]) {
      const s = summarize(base.map((x) => x * 2 ** k));
      // multiplying by a power of two is exact, and so is every step of the summary after it
      expect(s.mean).toBe(ref.mean * 2 ** k);
      expect(s.variance).toBe(ref.variance * 2 ** (2 * k));
      expect(s.stdErr).toBe(ref.stdErr * 2 ** k);
      expect(s.tauInt).toBe(ref.tauInt);
      expect(s.binning.plateau.stdErr).toBe(ref.binning.plateau.stdErr * 2 ** k);
    }
  });
  it('beyond 2^400: refused, naming the value (the variance was NaN; 1e308 did not return)', () => {
    for (const big of [2 ** 401, 1e150, -1e308]) {
      const series = Array.from(base, (x) => x);
      series[7] = big;
      expect(() => summarize(series)).toThrow(
        `\`series[7]\` passed to \`summarize\` must be a number with |x| <= 2^400`,
      );
      expect(() => createSummary({ observables: { e: [series] } })).toThrow(
        '`input.observables.e[0][7]` passed to `createSummary`',
      );
    }
  });
});

describe('misspelt options of the diagnostics', () => {
  it('are refused, naming the function and the key (they ran with the default)', () => {
    const series = Float64Array.from({ length: 200 }, (_, k) => Math.sin(k));
    const cases: [string, () => unknown][] = [
      ['summarize', () => summarize(series, { elapsed: 1 } as never)],
      ['summarizeChains', () => summarizeChains([series, series], { minbins: 4 } as never)],
      ['autocorrelation', () => autocorrelation(series, { maxlag: 5 } as never)],
      ['automaticWindow', () => automaticWindow(new Float64Array(10).fill(0.1), { C: 5 } as never)],
      [
        'integratedAutocorrelationTime',
        () => integratedAutocorrelationTime(series, { cc: 5 } as never),
      ],
      ['binningAnalysis', () => binningAnalysis(series, { minbins: 4 } as never)],
    ];
    for (const [name, call] of cases) {
      let caught: unknown;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(InvalidArgumentError.isInstance(caught), `${name}: ${String(caught)}`).toBe(true);
      expect((caught as Error).message).toContain(`\`${name}\` has no option`);
    }
    // the right keys still work
    expect(summarize(series, { elapsedSeconds: 1, maxLag: 20 }).mean).toBeCloseTo(
      series.reduce((a, b) => a + b, 0) / series.length,
      12,
    );
  });
});
