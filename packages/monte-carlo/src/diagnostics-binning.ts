/**
 * Binning (blocking) analysis: the standard error of the mean from the scatter of bin means, for
 * bins of 2^k consecutive samples within each chain, and a plateau estimate.
 */
import { accumulateChains, type BinLevelAccumulator } from './diagnostics-accumulator';
import {
  type Chains,
  readChains,
  readMinBins,
  readOptions,
  type Series,
} from './diagnostics-validate';
import { exactValue, exactVariance } from './stats-exact';

/** One bin size of a binning analysis. */
export interface BinningLevel {
  /** k: bins hold 2^k consecutive samples of one chain. */
  level: number;
  /** 2^k. */
  binSize: number;
  /** Number of complete bins over all chains (incomplete tails are left out). */
  binCount: number;
  /** Mean of the bin means. */
  mean: number;
  /** sqrt(s_k^2 / binCount), s_k^2 the unbiased variance of the bin means. */
  stdErr: number;
  /** Statistical error of stdErr: stdErr / sqrt(2 (binCount - 1)). */
  stdErrError: number;
  /** tau_int implied by this bin size: (stdErr / stdErr at level 0)^2 / 2. */
  tauInt: number;
}

/** The plateau of a binning analysis. */
export interface BinningPlateau {
  /** The level taken as the plateau. */
  level: number;
  /** Its bin size 2^level. */
  binSize: number;
  /** The binning standard error of the mean. */
  stdErr: number;
  /** Its statistical error. */
  stdErrError: number;
  /** tau_int implied: (stdErr / naive stdErr)^2 / 2. */
  tauInt: number;
  /**
   * True when three consecutive levels k, k+1, k+2 (each with >= minBins bins) rise by no more
   * than the statistical error of the larger one; the plateau is level k+2 of the first such
   * triple. False: no plateau was found and the largest level is reported (a lower bound).
   */
  converged: boolean;
}

/** Result of {@link binningAnalysis}. */
export interface BinningResult {
  /** Levels 0, 1, ... while at least `minBins` bins remain. */
  levels: BinningLevel[];
  plateau: BinningPlateau;
}

/** Options of {@link binningAnalysis}. */
export interface BinningOptions {
  /** Levels with fewer bins are not reported (their error bars are too noisy). Default 32. */
  minBins?: number;
}

/**
 * Binning analysis of one series or of independent chains [chains][steps] (bins never straddle
 * two chains). Standard error versus bin size 2^k, and the plateau estimate.
 */
export function binningAnalysis(series: Series | Chains, options?: BinningOptions): BinningResult {
  const name = 'binningAnalysis';
  const opts = readOptions<BinningOptions>(name, options, ['minBins']);
  const chains = readChains(name, 'series', series);
  const minBins = readMinBins(name, opts.minBins);
  const accumulator = accumulateChains(chains, 0, { method: 'direct', binning: true });
  return binningFromLevels(accumulator.bins, minBins);
}

/** The binning analysis from exact bin sums (internal; deterministic in the sums). */
export function binningFromLevels(
  bins: readonly BinLevelAccumulator[],
  minBins: number,
): BinningResult {
  const levels: BinningLevel[] = [];
  let naive = Number.NaN;
  for (let k = 0; k < bins.length; k++) {
    const bin = bins[k]!;
    // level 0 is always reported (the naive error), whatever minBins
    if (k > 0 && bin.count < minBins) break;
    if (bin.count < 2) break;
    const variance = exactVariance(bin.count, bin.sum, bin.sumOfSquares);
    const stdErr = Math.sqrt(variance / bin.count);
    if (k === 0) naive = stdErr;
    levels.push({
      level: k,
      binSize: 2 ** k,
      binCount: bin.count,
      mean: exactValue(bin.sum) / bin.count,
      stdErr,
      stdErrError: stdErr / Math.sqrt(2 * (bin.count - 1)),
      tauInt: 0.5 * (stdErr / naive) ** 2,
    });
  }
  return { levels, plateau: plateauOf(levels) };
}

function plateauOf(levels: readonly BinningLevel[]): BinningPlateau {
  const pick = (level: BinningLevel | undefined, converged: boolean): BinningPlateau => ({
    level: level?.level ?? 0,
    binSize: level?.binSize ?? 1,
    stdErr: level?.stdErr ?? Number.NaN,
    stdErrError: level?.stdErrError ?? Number.NaN,
    tauInt: level?.tauInt ?? Number.NaN,
    converged,
  });
  for (let k = 0; k + 2 < levels.length; k++) {
    const a = levels[k]!;
    const b = levels[k + 1]!;
    const c = levels[k + 2]!;
    if (b.stdErr - a.stdErr <= b.stdErrError && c.stdErr - b.stdErr <= c.stdErrError) {
      return pick(c, true);
    }
  }
  return pick(levels[levels.length - 1], false);
}
