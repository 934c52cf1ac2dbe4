/**
 * Per-observable summaries (mean, error bar, tau_int, ESS, ESS per second, binning) and the
 * mergeable shard summary.
 *
 * What merges exactly (bit for bit, in any order and grouping): sample and chain counts, the
 * mean, the variance, the whole binning analysis (exact sums of bin means and their squares per
 * bin size 2^k), acceptance counts and rates, elapsed seconds. What is re-estimated after a
 * merge: the pooled autocorrelation function, tau_int, its window, the error bar and the ESS.
 * They are recomputed from merged per-lag sufficient statistics (double-double sums), so they
 * equal the estimate from all chains at once to ~1e-13 relative, not bit for bit.
 */
import { invalidArgument, optionKeys } from '@latticediff/tensor-network/internal';
import {
  type AcceptanceAccumulator,
  type AcceptanceCounts,
  type AcceptanceSummary,
  acceptanceAccumulator,
  acceptanceFromAccumulator,
  mergeAcceptanceAccumulators,
} from './diagnostics-acceptance';
import {
  accumulateChains,
  mergeAccumulators,
  type ObservableAccumulator,
  pooledMoments,
} from './diagnostics-accumulator';
import { madrasSokalError, positiveTauInt, windowOf } from './diagnostics-autocorrelation';
import { type BinningResult, binningFromLevels } from './diagnostics-binning';
import {
  type AutocorrelationMethod,
  type Chains,
  readChains,
  readMaxLag,
  readMethod,
  readMinBins,
  readOptions,
  readSeconds,
  readWindowConstant,
  type Series,
} from './diagnostics-validate';
import { type ExactSum, exactAddSum, exactValue } from './stats-exact';

/** Everything known about one observable. */
export interface ObservableSummary {
  /** Grand mean over all samples. */
  mean: number;
  /** Standard error of the mean, sqrt(2 tau_int variance / N). */
  stdErr: number;
  /**
   * Integrated autocorrelation time, 1/2 + sum_{t=1}^{W} rho(t), at least 1 / (2 log10 N)
   * (ArviZ's and Stan's bound ESS <= N log10 N).
   */
  tauInt: number;
  /**
   * Madras-Sokal error s sqrt((4 W + 2) / N), s = 1/2 + sum_{t<=W} |rho(t)| (= tau_int when
   * rho >= 0).
   */
  tauIntError: number;
  /** Sokal's automatic window W. */
  window: number;
  /**
   * False when the window criterion W >= c (1/2 + sum_{t<=W} |rho(t)|) was not reached by maxLag
   * (tau_int, stdErr are then too small).
   */
  windowConverged: boolean;
  /** Effective sample size N / (2 tau_int). */
  ess: number;
  /** ess / elapsed seconds, when the elapsed time is known. */
  essPerSecond?: number;
  /** Unbiased sample variance sum (x - m)^2 / (N - 1). */
  variance: number;
  /** sqrt(variance / N), the error bar if the samples were independent. */
  naiveStdErr: number;
  /** N, all samples of all chains. */
  sampleCount: number;
  /** R, the number of independent chains. */
  chainCount: number;
  /** Binning analysis (standard error against bin size, plateau). */
  binning: BinningResult;
  /** Pooled rho(0..maxLag). */
  autocorrelation: Float64Array;
}

/** Options of {@link summarize} and {@link summarizeChains}. */
export interface SummarizeOptions {
  /** Sokal's windowing constant (W >= c tau_int(W)). Default 5. */
  c?: number;
  /** Largest lag (1..n - 1). Default min(n - 1, max(64, floor(n / 20)), 65536). */
  maxLag?: number;
  /** How lag products are computed. Default `auto`. */
  method?: AutocorrelationMethod;
  /** Binning levels need at least this many bins. Default 32. */
  minBins?: number;
  /** Time spent producing the samples, for essPerSecond (> 0). */
  elapsedSeconds?: number;
}

function observableSummary(
  accumulator: ObservableAccumulator,
  c: number,
  minBins: number,
  seconds: number | undefined,
): ObservableSummary {
  const moments = pooledMoments(accumulator);
  const total = accumulator.sampleCount;
  const window = windowOf(moments.autocorrelation, c);
  const tauInt = positiveTauInt(window, total);
  const ess = total / (2 * tauInt);
  const summary: ObservableSummary = {
    mean: moments.mean,
    stdErr: Math.sqrt((2 * tauInt * moments.variance) / total),
    tauInt,
    tauIntError: madrasSokalError(window.decayScale, window.window, total),
    window: window.window,
    windowConverged: window.converged,
    ess,
    variance: moments.variance,
    naiveStdErr: Math.sqrt(moments.variance / total),
    sampleCount: total,
    chainCount: accumulator.chainCount,
    binning: binningFromLevels(accumulator.bins, minBins),
    autocorrelation: moments.autocorrelation,
  };
  if (seconds !== undefined) summary.essPerSecond = ess / seconds;
  return summary;
}

const SUMMARIZE_KEYS = optionKeys<SummarizeOptions>()([
  'c',
  'maxLag',
  'method',
  'minBins',
  'elapsedSeconds',
]);

/**
 * Mean, error bar (from tau_int), tau_int with its error and window, ESS, ESS per second and a
 * binning analysis of one observable: a series or independent chains [chains][steps].
 */
export function summarize(series: Series | Chains, options?: SummarizeOptions): ObservableSummary {
  const name = 'summarize';
  const opts = readOptions<SummarizeOptions>(name, options, SUMMARIZE_KEYS);
  const chains = readChains(name, 'series', series);
  const maxLag = readMaxLag(name, opts.maxLag, chains[0]!.length);
  const method = readMethod(name, opts.method);
  const c = readWindowConstant(name, opts.c);
  const minBins = readMinBins(name, opts.minBins);
  const seconds = readSeconds(name, 'options.elapsedSeconds', opts.elapsedSeconds);
  const accumulator = accumulateChains(chains, maxLag, { method, binning: true });
  return observableSummary(accumulator, c, minBins, seconds);
}

/** Pooled and per-chain summaries. */
export interface ChainsSummary {
  /** All chains pooled (essPerSecond when elapsedSeconds is given). */
  pooled: ObservableSummary;
  /** Each chain alone (no essPerSecond: the time of one chain is not known). */
  perChain: ObservableSummary[];
}

/** {@link summarize} for the pooled chains and for every chain alone. */
export function summarizeChains(
  series: Series | Chains,
  options?: SummarizeOptions,
): ChainsSummary {
  const name = 'summarizeChains';
  const opts = readOptions<SummarizeOptions>(name, options, SUMMARIZE_KEYS);
  const chains = readChains(name, 'series', series);
  const maxLag = readMaxLag(name, opts.maxLag, chains[0]!.length);
  const method = readMethod(name, opts.method);
  const c = readWindowConstant(name, opts.c);
  const minBins = readMinBins(name, opts.minBins);
  const seconds = readSeconds(name, 'options.elapsedSeconds', opts.elapsedSeconds);
  const perChainAccumulators = chains.map((chain) =>
    accumulateChains([chain], maxLag, { method, binning: true }),
  );
  let pooled = perChainAccumulators[0]!;
  for (let i = 1; i < perChainAccumulators.length; i++) {
    pooled = mergeAccumulators(pooled, perChainAccumulators[i]!);
  }
  return {
    pooled: observableSummary(pooled, c, minBins, seconds),
    perChain: perChainAccumulators.map((a) => observableSummary(a, c, minBins, undefined)),
  };
}

/** Format tag of {@link MergeableSummary}. */
export const SUMMARY_FORMAT = 'latticediff.monte-carlo-summary';
/** Version of {@link MergeableSummary}. */
export const SUMMARY_VERSION = 1;

/**
 * Sufficient statistics of a run or shard: plain JSON-safe data (exact sums are lists of
 * float64 partials), merged with {@link mergeSummaries} and read with {@link finalizeSummary}.
 */
export interface MergeableSummary {
  format: typeof SUMMARY_FORMAT;
  version: typeof SUMMARY_VERSION;
  /** Number of summaries merged into this one. */
  shardCount: number;
  /** Exact sum of the shards' elapsed seconds (partials), or null when not given. */
  elapsedSeconds: number[] | null;
  /** Acceptance aggregate, or null when not given. */
  acceptance: AcceptanceAccumulator | null;
  /** Per observable, by name. */
  observables: Record<string, ObservableAccumulator>;
}

/** Input of {@link createSummary}. */
export interface CreateSummaryInput {
  /** Each observable as a series or [chains][steps]; the chains of a shard are independent. */
  observables: Record<string, Series | Chains>;
  /** Seconds spent on this shard (> 0); summed over shards when merging. */
  elapsedSeconds?: number;
  /** Per-chain acceptance counts of this shard. */
  acceptance?: AcceptanceCounts;
  /**
   * Largest lag kept (1..n - 1 for every observable). Default per observable
   * min(n - 1, max(64, floor(n / 20)), 65536). Merging keeps the smaller maxLag.
   */
  maxLag?: number;
  /** How lag products are computed. Default `auto`. */
  method?: AutocorrelationMethod;
}

/** Sufficient statistics of one shard (independent chains of one or more observables). */
export function createSummary(input: CreateSummaryInput): MergeableSummary {
  const name = 'createSummary';
  if (typeof input !== 'object' || input === null) {
    return invalidArgument(name, 'input', input, 'an object { observables, ... }');
  }
  const { observables } = input;
  if (typeof observables !== 'object' || observables === null || Array.isArray(observables)) {
    return invalidArgument(
      name,
      'input.observables',
      observables,
      'an object mapping observable names to series or chains',
    );
  }
  const method = readMethod(name, input.method);
  const seconds = readSeconds(name, 'input.elapsedSeconds', input.elapsedSeconds);
  const accumulators: Record<string, ObservableAccumulator> = {};
  for (const key of Object.keys(observables).sort()) {
    const chains = readChains(name, `input.observables.${key}`, observables[key]);
    const maxLag = readMaxLag(name, input.maxLag, chains[0]!.length);
    accumulators[key] = accumulateChains(chains, maxLag, { method, binning: true });
  }
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    shardCount: 1,
    elapsedSeconds: seconds === undefined ? null : [seconds],
    acceptance:
      input.acceptance === undefined ? null : acceptanceAccumulator(name, input.acceptance),
    observables: accumulators,
  };
}

function checkSummary(functionName: string, argument: string, value: unknown): MergeableSummary {
  const summary = value as MergeableSummary;
  if (
    typeof value !== 'object' ||
    value === null ||
    summary.format !== SUMMARY_FORMAT ||
    summary.version !== SUMMARY_VERSION ||
    typeof summary.observables !== 'object' ||
    summary.observables === null
  ) {
    return invalidArgument(
      functionName,
      argument,
      value,
      `a summary from createSummary (format '${SUMMARY_FORMAT}', version ${SUMMARY_VERSION})`,
    );
  }
  const defect = summaryDefect(summary);
  if (defect !== null) {
    invalidArgument(functionName, `${argument}.${defect.path}`, defect.value, defect.expected);
  }
  return summary;
}

interface Defect {
  path: string;
  value: unknown;
  expected: string;
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isFiniteList = (x: unknown): x is number[] =>
  Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v));

/**
 * The first field of a summary whose content cannot come from createSummary and mergeSummaries,
 * or null. A summary read back from JSON was trusted: elapsed seconds of ['x'] printed as
 * "1xNaN", an empty bin list changed the merged mean without a word, negative counts were a bare
 * RangeError and non-numeric sums a TypeError.
 */
function summaryDefect(summary: MergeableSummary): Defect | null {
  const bad = (path: string, value: unknown, expected: string): Defect => ({
    path,
    value,
    expected,
  });
  if (!Number.isSafeInteger(summary.shardCount) || summary.shardCount < 1) {
    return bad('shardCount', summary.shardCount, 'an integer >= 1');
  }
  if (summary.elapsedSeconds !== null && !isFiniteList(summary.elapsedSeconds)) {
    return bad('elapsedSeconds', summary.elapsedSeconds, 'null or an exact sum (finite numbers)');
  }
  const a = summary.acceptance;
  if (a !== null) {
    if (typeof a !== 'object') return bad('acceptance', a, 'null or acceptance counts');
    for (const key of ['chainCount', 'accepted', 'proposed', 'ratedChainCount'] as const) {
      if (!isCount(a[key])) return bad(`acceptance.${key}`, a[key], 'an integer >= 0');
    }
    if (a.accepted > a.proposed) {
      return bad('acceptance.accepted', a.accepted, `at most proposed (${a.proposed})`);
    }
    for (const key of ['rateSum', 'rateSumOfSquares'] as const) {
      if (!isFiniteList(a[key])) return bad(`acceptance.${key}`, a[key], 'an exact sum');
    }
    for (const key of ['minRate', 'maxRate'] as const) {
      const r = a[key];
      if (r !== null && !(typeof r === 'number' && r >= 0 && r <= 1)) {
        return bad(`acceptance.${key}`, r, 'null or a rate in [0, 1]');
      }
    }
  }
  for (const [name, o] of Object.entries(summary.observables)) {
    const at = `observables.${name}`;
    if (typeof o !== 'object' || o === null) return bad(at, o, 'an observable accumulator');
    for (const key of ['chainCount', 'sampleCount', 'maxChainLength', 'maxLag'] as const) {
      if (!isCount(o[key])) return bad(`${at}.${key}`, o[key], 'an integer >= 0');
    }
    if (!isCount(o.minChainLength) || o.minChainLength > o.maxChainLength) {
      return bad(`${at}.minChainLength`, o.minChainLength, 'an integer in [0, maxChainLength]');
    }
    if (!Array.isArray(o.bins) || (o.sampleCount > 0 && o.bins[0]?.count !== o.sampleCount)) {
      return bad(`${at}.bins`, o.bins, 'bin levels whose level 0 counts every sample');
    }
    for (let k = 0; k < o.bins.length; k++) {
      const level = o.bins[k];
      if (
        typeof level !== 'object' ||
        level === null ||
        !isCount(level.count) ||
        !isFiniteList(level.sum) ||
        !isFiniteList(level.sumOfSquares)
      ) {
        return bad(`${at}.bins[${k}]`, level, 'a bin level { count, sum, sumOfSquares }');
      }
    }
    const shift = o.shift;
    if (
      typeof shift !== 'object' ||
      shift === null ||
      !isFiniteList(shift.sum) ||
      !isFiniteList(shift.sumOfSquares) ||
      !isFiniteList(shift.weightedSum) ||
      !isFiniteList(shift.weightedSumOfSquares)
    ) {
      return bad(`${at}.shift`, shift, 'four exact sums');
    }
    for (const key of ['lagProducts', 'lagSums', 'shiftedLagSums'] as const) {
      const dd = o[key];
      if (
        typeof dd !== 'object' ||
        dd === null ||
        !isFiniteList(dd.hi) ||
        !isFiniteList(dd.lo) ||
        dd.hi.length !== o.maxLag + 1 ||
        dd.lo.length !== o.maxLag + 1
      ) {
        return bad(`${at}.${key}`, dd, `double-double sums of maxLag + 1 = ${o.maxLag + 1} lags`);
      }
    }
  }
  return null;
}

/**
 * Merges shard summaries (at least one) into one. Associative and commutative: every grouping
 * and order gives the same exact quantities bit for bit. The summaries must describe the same
 * observables and all carry (or all omit) elapsedSeconds and acceptance.
 */
export function mergeSummaries(...summaries: MergeableSummary[]): MergeableSummary {
  const name = 'mergeSummaries';
  if (summaries.length === 0) {
    return invalidArgument(name, 'summaries', summaries, 'at least one summary');
  }
  let merged = checkSummary(name, 'summaries[0]', summaries[0]);
  for (let i = 1; i < summaries.length; i++) {
    merged = mergeTwo(merged, checkSummary(name, `summaries[${i}]`, summaries[i]), i);
  }
  return merged;
}

function mergeTwo(a: MergeableSummary, b: MergeableSummary, index: number): MergeableSummary {
  const name = 'mergeSummaries';
  const keysA = Object.keys(a.observables).sort();
  const keysB = Object.keys(b.observables).sort();
  if (keysA.join('\u0000') !== keysB.join('\u0000')) {
    invalidArgument(
      name,
      `summaries[${index}].observables`,
      keysB,
      `the same observables as the others (${JSON.stringify(keysA)})`,
    );
  }
  if ((a.elapsedSeconds === null) !== (b.elapsedSeconds === null)) {
    invalidArgument(
      name,
      `summaries[${index}].elapsedSeconds`,
      b.elapsedSeconds,
      'given for all summaries or for none',
    );
  }
  if ((a.acceptance === null) !== (b.acceptance === null)) {
    invalidArgument(
      name,
      `summaries[${index}].acceptance`,
      b.acceptance,
      'given for all summaries or for none',
    );
  }
  const observables: Record<string, ObservableAccumulator> = {};
  for (const key of keysA) {
    observables[key] = mergeAccumulators(a.observables[key]!, b.observables[key]!);
  }
  let elapsedSeconds: ExactSum | null = null;
  if (a.elapsedSeconds !== null && b.elapsedSeconds !== null) {
    elapsedSeconds = a.elapsedSeconds.slice();
    exactAddSum(elapsedSeconds, b.elapsedSeconds);
  }
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    shardCount: a.shardCount + b.shardCount,
    elapsedSeconds,
    acceptance:
      a.acceptance !== null && b.acceptance !== null
        ? mergeAcceptanceAccumulators(a.acceptance, b.acceptance)
        : null,
    observables,
  };
}

/** Options of {@link finalizeSummary}. */
export interface FinalizeSummaryOptions {
  /** Sokal's windowing constant. Default 5. */
  c?: number;
  /** Binning levels need at least this many bins. Default 32. */
  minBins?: number;
  /**
   * Seconds for essPerSecond, overriding the summary's own (the sum over shards, i.e. compute
   * time; pass the wall-clock time of parallel shards here to get ESS per wall-clock second).
   */
  elapsedSeconds?: number;
}

/** The estimates of a (merged) summary. */
export interface SummaryResult {
  /** Number of shards merged. */
  shardCount: number;
  /** Seconds used for essPerSecond, if any. */
  elapsedSeconds?: number;
  /** Per observable, by name. */
  observables: Record<string, ObservableSummary>;
  /** Acceptance over all chains of all shards (no per-chain rates). */
  acceptance?: AcceptanceSummary;
}

/** Estimates from a summary made by {@link createSummary} or {@link mergeSummaries}. */
export function finalizeSummary(
  summary: MergeableSummary,
  options?: FinalizeSummaryOptions,
): SummaryResult {
  const name = 'finalizeSummary';
  const checked = checkSummary(name, 'summary', summary);
  const opts = readOptions<FinalizeSummaryOptions>(name, options, [
    'c',
    'minBins',
    'elapsedSeconds',
  ]);
  const c = readWindowConstant(name, opts.c);
  const minBins = readMinBins(name, opts.minBins);
  let seconds = readSeconds(name, 'options.elapsedSeconds', opts.elapsedSeconds);
  if (seconds === undefined && checked.elapsedSeconds !== null) {
    seconds = exactValue(checked.elapsedSeconds);
  }
  const observables: Record<string, ObservableSummary> = {};
  for (const key of Object.keys(checked.observables).sort()) {
    observables[key] = observableSummary(checked.observables[key]!, c, minBins, seconds);
  }
  const result: SummaryResult = { shardCount: checked.shardCount, observables };
  if (seconds !== undefined) result.elapsedSeconds = seconds;
  if (checked.acceptance !== null)
    result.acceptance = acceptanceFromAccumulator(checked.acceptance);
  return result;
}
