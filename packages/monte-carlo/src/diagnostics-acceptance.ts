/**
 * Acceptance-rate bookkeeping: accepted / proposed counts per chain, their summary, and a
 * mergeable aggregate (exact counts, exact sums of per-chain rates, min and max).
 */

import { assertInteger, invalidArgument } from '@latticediff/tensor-network/internal';
import { type ExactSum, exactAdd, exactAddProduct, exactValue, exactVariance } from './stats-exact';

/** Accepted and proposed move counts, one entry per chain (mutable plain arrays). */
export interface AcceptanceCounts {
  accepted: number[];
  proposed: number[];
}

/** Summary of acceptance counts. */
export interface AcceptanceSummary {
  /** Number of chains. */
  chainCount: number;
  /** Total accepted moves. */
  accepted: number;
  /** Total proposed moves. */
  proposed: number;
  /** accepted / proposed over all chains (NaN when nothing was proposed). */
  rate: number;
  /** Mean over chains of the per-chain rates (chains with proposals only). */
  meanChainRate: number;
  /** Sample standard deviation of the per-chain rates (NaN with fewer than 2 such chains). */
  chainRateStdDev: number;
  /** Smallest per-chain rate (a stuck chain shows here). */
  minChainRate: number;
  /** Largest per-chain rate. */
  maxChainRate: number;
  /** Per-chain rates (NaN for a chain without proposals); absent after merging summaries. */
  chainRates?: Float64Array;
}

/** Zero counts for `chainCount` chains. */
export function createAcceptanceCounts(chainCount: number): AcceptanceCounts {
  assertInteger('createAcceptanceCounts', 'chainCount', chainCount, 1);
  return {
    accepted: new Array<number>(chainCount).fill(0),
    proposed: new Array<number>(chainCount).fill(0),
  };
}

/** Adds `accepted` of `proposed` moves to chain `chain` (0-based). */
export function recordProposals(
  counts: AcceptanceCounts,
  chain: number,
  accepted: number,
  proposed: number,
): void {
  const name = 'recordProposals';
  checkCounts(name, counts);
  assertInteger(name, 'chain', chain, 0, counts.proposed.length - 1);
  assertInteger(name, 'proposed', proposed, 0);
  assertInteger(name, 'accepted', accepted, 0, proposed);
  counts.accepted[chain]! += accepted;
  counts.proposed[chain]! += proposed;
}

function checkCounts(functionName: string, counts: unknown): asserts counts is AcceptanceCounts {
  const value = counts as AcceptanceCounts;
  if (
    typeof counts !== 'object' ||
    counts === null ||
    !Array.isArray(value.accepted) ||
    !Array.isArray(value.proposed) ||
    value.accepted.length !== value.proposed.length ||
    value.proposed.length === 0
  ) {
    invalidArgument(
      functionName,
      'counts',
      counts,
      'an object { accepted, proposed } of two equal-length non-empty arrays',
    );
  }
  for (let c = 0; c < value.proposed.length; c++) {
    const p = value.proposed[c];
    const a = value.accepted[c];
    assertInteger(functionName, `counts.proposed[${c}]`, p, 0);
    assertInteger(functionName, `counts.accepted[${c}]`, a, 0, p);
  }
}

/** Mergeable acceptance statistics (plain JSON-safe data). */
export interface AcceptanceAccumulator {
  chainCount: number;
  accepted: number;
  proposed: number;
  /** Chains with at least one proposal. */
  ratedChainCount: number;
  rateSum: ExactSum;
  rateSumOfSquares: ExactSum;
  /** Smallest per-chain rate, null when no chain had proposals (JSON-safe, unlike Infinity). */
  minRate: number | null;
  /** Largest per-chain rate, null when no chain had proposals. */
  maxRate: number | null;
}

/** The mergeable aggregate of per-chain counts (validated). */
export function acceptanceAccumulator(
  functionName: string,
  counts: unknown,
): AcceptanceAccumulator {
  checkCounts(functionName, counts);
  const out: AcceptanceAccumulator = {
    chainCount: counts.proposed.length,
    accepted: 0,
    proposed: 0,
    ratedChainCount: 0,
    rateSum: [],
    rateSumOfSquares: [],
    minRate: null,
    maxRate: null,
  };
  for (let c = 0; c < counts.proposed.length; c++) {
    const proposed = counts.proposed[c]!;
    const accepted = counts.accepted[c]!;
    out.accepted += accepted;
    out.proposed += proposed;
    if (proposed > 0) {
      const rate = accepted / proposed;
      out.ratedChainCount += 1;
      exactAdd(out.rateSum, rate);
      exactAddProduct(out.rateSumOfSquares, rate, rate);
      out.minRate = out.minRate === null ? rate : Math.min(out.minRate, rate);
      out.maxRate = out.maxRate === null ? rate : Math.max(out.maxRate, rate);
    }
  }
  return out;
}

/** Merges two aggregates (exact, associative and commutative). */
export function mergeAcceptanceAccumulators(
  a: AcceptanceAccumulator,
  b: AcceptanceAccumulator,
): AcceptanceAccumulator {
  const rateSum = a.rateSum.slice();
  const rateSumOfSquares = a.rateSumOfSquares.slice();
  for (const v of b.rateSum) exactAdd(rateSum, v);
  for (const v of b.rateSumOfSquares) exactAdd(rateSumOfSquares, v);
  return {
    chainCount: a.chainCount + b.chainCount,
    accepted: a.accepted + b.accepted,
    proposed: a.proposed + b.proposed,
    ratedChainCount: a.ratedChainCount + b.ratedChainCount,
    rateSum,
    rateSumOfSquares,
    minRate: extreme(a.minRate, b.minRate, Math.min),
    maxRate: extreme(a.maxRate, b.maxRate, Math.max),
  };
}

function extreme(
  a: number | null,
  b: number | null,
  pick: (x: number, y: number) => number,
): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return pick(a, b);
}

/** The summary of an aggregate. */
export function acceptanceFromAccumulator(accumulator: AcceptanceAccumulator): AcceptanceSummary {
  const rated = accumulator.ratedChainCount;
  return {
    chainCount: accumulator.chainCount,
    accepted: accumulator.accepted,
    proposed: accumulator.proposed,
    rate: accumulator.proposed > 0 ? accumulator.accepted / accumulator.proposed : Number.NaN,
    meanChainRate: rated > 0 ? exactValue(accumulator.rateSum) / rated : Number.NaN,
    chainRateStdDev: Math.sqrt(
      exactVariance(rated, accumulator.rateSum, accumulator.rateSumOfSquares),
    ),
    minChainRate: accumulator.minRate ?? Number.NaN,
    maxChainRate: accumulator.maxRate ?? Number.NaN,
  };
}

/** Acceptance rate overall and per chain. */
export function acceptanceSummary(counts: AcceptanceCounts): AcceptanceSummary {
  const name = 'acceptanceSummary';
  const summary = acceptanceFromAccumulator(acceptanceAccumulator(name, counts));
  const chainRates = new Float64Array(counts.proposed.length);
  for (let c = 0; c < chainRates.length; c++) {
    const proposed = counts.proposed[c]!;
    chainRates[c] = proposed > 0 ? counts.accepted[c]! / proposed : Number.NaN;
  }
  return { ...summary, chainRates };
}
