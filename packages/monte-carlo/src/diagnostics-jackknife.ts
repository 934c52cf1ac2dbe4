/**
 * The jackknife over independent chains, for quantities that are functions of several means
 * (the Binder cumulant 1 - <m^4> / (3 <m^2>^2), a specific heat beta^2 N (<e^2> - <e>^2), any
 * ratio). Their inputs are correlated, so combining the separate error bars of the means is
 * wrong; leaving one chain out at a time keeps every correlation, within and between observables.
 */
import { invalidArgument, optionKeys } from '@latticediff/tensor-network/internal';
import { type Chains, readChains, readOptions } from './diagnostics-validate';
import { type ExactSum, exactAdd, exactAddSum, exactValue } from './stats-exact';

/** Options of {@link jackknife}. */
export interface JackknifeOptions {
  /**
   * Split every chain into this many contiguous blocks, each left out in turn (default 1: whole
   * chains). For few chains; each block must be much longer than the autocorrelation time, or
   * the error bar is too small.
   */
  blocksPerChain?: number;
}

/** Result of {@link jackknife}. */
export interface JackknifeResult {
  /** The estimator at the means of all samples. */
  value: number;
  /** Jackknife standard error: sqrt((U - 1) / U sum_u (f_u - f_mean)^2) over the U units. */
  stdErr: number;
  /** Jackknife estimate of the bias of `value`: (U - 1) (f_mean - value). */
  bias: number;
  /** value - bias. */
  biasCorrected: number;
  /** Number of units left out in turn (chains x blocksPerChain). */
  units: number;
}

const KEYS = optionKeys<JackknifeOptions>()(['blocksPerChain']);

/**
 * Jackknife of `estimator` over independent chains: `series` maps each observable's name to its
 * chains ([chain][step], the same number and length for every observable, e.g. rows of
 * `runChains`' series); `estimator` gets the means by name. Every unit (a chain, or a block of
 * one) is left out in turn, the means of the rest (exact sums) go to the estimator, and the spread
 * of the U results gives the error bar, the usual (U - 1) / U scaling. For the mean of one
 * observable over whole chains this is the standard error of the chain means,
 * sqrt(sum_c (m_c - m)^2 / (R (R - 1))) for equal chains. Needs at least 2 units.
 */
export function jackknife(
  series: Readonly<Record<string, Chains>>,
  estimator: (means: Readonly<Record<string, number>>) => number,
  options?: JackknifeOptions,
): JackknifeResult {
  const fn = 'jackknife';
  const opts = readOptions<JackknifeOptions>(fn, options, KEYS);
  if (typeof series !== 'object' || series === null || Array.isArray(series)) {
    invalidArgument(fn, 'series', series, 'an object of observables: name -> chains [chain][step]');
  }
  const names = Object.keys(series);
  if (names.length === 0) {
    invalidArgument(fn, 'series', series, 'at least one observable: name -> chains [chain][step]');
  }
  if (typeof estimator !== 'function') {
    invalidArgument(fn, 'estimator', estimator, 'a function of the means by name');
  }
  const blocks = opts.blocksPerChain ?? 1;
  if (!(Number.isSafeInteger(blocks) && blocks >= 1)) {
    invalidArgument(fn, 'options.blocksPerChain', blocks, 'an integer >= 1');
  }
  const chainsOf = names.map((name) => readChains(fn, `series.${name}`, series[name], 1));
  const first = chainsOf[0]!;
  chainsOf.forEach((chains, k) => {
    if (chains.length !== first.length || chains.some((c, i) => c.length !== first[i]!.length)) {
      invalidArgument(
        fn,
        `series.${names[k]}`,
        `${chains.length} chains`,
        `the chains of series.${names[0]}: ${first.length} chains of the same lengths`,
      );
    }
  });
  // units: block b of chain c is steps [floor(b L / B), floor((b + 1) L / B))
  const bounds: [number, number, number][] = [];
  first.forEach((chain, c) => {
    if (chain.length < blocks) {
      invalidArgument(
        fn,
        'options.blocksPerChain',
        blocks,
        `at most the length of every chain (chain ${c} has ${chain.length} steps)`,
      );
    }
    for (let b = 0; b < blocks; b++) {
      bounds.push([
        c,
        Math.floor((b * chain.length) / blocks),
        Math.floor(((b + 1) * chain.length) / blocks),
      ]);
    }
  });
  const units = bounds.length;
  if (units < 2) {
    invalidArgument(
      fn,
      'series',
      `${first.length} chain`,
      'at least 2 chains, or blocksPerChain >= 2 (the jackknife leaves one unit out at a time)',
    );
  }
  // exact sums per observable and unit, and their totals
  const unitSums: ExactSum[][] = chainsOf.map((chains) =>
    bounds.map(([c, start, end]) => {
      const sum: ExactSum = [];
      const chain = chains[c]!;
      for (let t = start; t < end; t++) exactAdd(sum, chain[t]!);
      return sum;
    }),
  );
  const unitCounts = bounds.map(([, start, end]) => end - start);
  const total = unitCounts.reduce((a, b) => a + b, 0);
  const totals: ExactSum[] = unitSums.map((sums) => {
    const t: ExactSum = [];
    for (const s of sums) exactAddSum(t, s);
    return t;
  });
  const evaluate = (means: number[], what: string): number => {
    const v = estimator(Object.fromEntries(names.map((name, k) => [name, means[k]!])));
    // (an infinite value gave an error bar of NaN)
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      invalidArgument(
        fn,
        'estimator',
        v,
        `a function returning a finite number (it returned ${v} ${what})`,
      );
    }
    return v;
  };
  const value = evaluate(
    totals.map((t) => exactValue(t) / total),
    'at the means of all samples',
  );
  const replicates = bounds.map((_, u) =>
    evaluate(
      totals.map((t, k) => {
        const rest = [...t];
        exactAddSum(
          rest,
          unitSums[k]![u]!.map((x) => -x),
        );
        return exactValue(rest) / (total - unitCounts[u]!);
      }),
      `with unit ${u} left out`,
    ),
  );
  let mean = 0;
  for (const f of replicates) mean += f;
  mean /= units;
  let squares = 0;
  for (const f of replicates) squares += (f - mean) ** 2;
  const bias = (units - 1) * (mean - value);
  return {
    value,
    stdErr: Math.sqrt(((units - 1) / units) * squares),
    bias,
    biasCorrected: value - bias,
    units,
  };
}
