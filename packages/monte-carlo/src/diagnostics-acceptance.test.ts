import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import {
  acceptanceSummary,
  createAcceptanceCounts,
  recordProposals,
} from './diagnostics-acceptance';
import { createSummary, finalizeSummary, mergeSummaries } from './diagnostics-summary';

describe('acceptance', () => {
  it('accumulates per chain and summarises', () => {
    const counts = createAcceptanceCounts(3);
    recordProposals(counts, 0, 3, 10);
    recordProposals(counts, 1, 1, 4);
    recordProposals(counts, 1, 1, 1);
    const summary = acceptanceSummary(counts);
    expect(counts).toEqual({ accepted: [3, 2, 0], proposed: [10, 5, 0] });
    expect(summary.accepted).toBe(5);
    expect(summary.proposed).toBe(15);
    expect(summary.rate).toBe(5 / 15);
    expect(Array.from(summary.chainRates!)).toEqual([0.3, 0.4, Number.NaN]);
    expect(summary.meanChainRate).toBeCloseTo(0.35, 15);
    expect(summary.minChainRate).toBe(0.3);
    expect(summary.maxChainRate).toBe(0.4);
    expect(summary.chainRateStdDev).toBeCloseTo(Math.sqrt(0.005), 15);
  });

  it('merges shard counts exactly and in any order', () => {
    const series = { x: [1, 2, 3, 4, 5, 6, 7, 8] };
    const a = createSummary({
      observables: series,
      acceptance: { accepted: [1, 7], proposed: [3, 9] },
    });
    const b = createSummary({ observables: series, acceptance: { accepted: [0], proposed: [5] } });
    const all = acceptanceSummary({ accepted: [1, 7, 0], proposed: [3, 9, 5] });
    const idle = createSummary({
      observables: series,
      acceptance: { accepted: [0], proposed: [0] },
    });
    const roundTrip = JSON.parse(JSON.stringify(idle)) as typeof idle;
    expect(finalizeSummary(mergeSummaries(a, roundTrip)).acceptance!.minChainRate).toBe(1 / 3);
    const ab = finalizeSummary(mergeSummaries(a, b)).acceptance!;
    const ba = finalizeSummary(mergeSummaries(b, a)).acceptance!;
    expect(ab).toEqual(ba);
    const { chainRates: _, ...withoutPerChain } = all;
    expect(ab).toEqual(withoutPerChain);
  });

  it('rejects impossible counts', () => {
    const counts = createAcceptanceCounts(2);
    expect(() => recordProposals(counts, 2, 0, 1)).toThrow(
      'invalid argument: `chain` passed to `recordProposals` must be an integer in [0, 1] (got 2)',
    );
    expect(() => recordProposals(counts, 0, 2, 1)).toThrow(InvalidArgumentError);
    expect(() => acceptanceSummary({ accepted: [2], proposed: [1] })).toThrow(
      '`counts.accepted[0]` passed to `acceptanceSummary` must be an integer in [0, 1] (got 2)',
    );
    expect(() => createAcceptanceCounts(0)).toThrow('`chainCount`');
  });
});
