import { physicsBornMPS } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { createRandom, InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { type ProposalScheme, type RunChainsResult, runChains } from './chains';
import { runChainsInSegments } from './chains-segments';

const instance = isingModel.create({ lx: 3, ly: 2, beta: 0.4 });
const mps = physicsBornMPS(instance, { maxBondDim: 2 }).mps;

/** The segments by hand: stream k of the seed for segment k, continuing from the last states. */
async function byHand(scheme: ProposalScheme, steps: number, segment: number, burnIn: number) {
  const root = createRandom(9);
  const runs: RunChainsResult[] = [];
  for (let offset = 0, k = 0; offset < steps; offset += segment, k++) {
    runs.push(
      await runChains({
        model: instance,
        proposal: mps,
        scheme,
        chains: 5,
        steps: Math.min(segment, steps - offset),
        burnIn: k === 0 ? burnIn : 0,
        seed: root.split(k),
        observables: ['energyPerSite'],
        keepConfigurations: true,
        ...(runs.length > 0 ? { initial: runs[runs.length - 1]!.final } : {}),
      }),
    );
  }
  return runs;
}

describe('runChainsInSegments', () => {
  for (const scheme of [{ kind: 'disconnected' }, { kind: 'local' }] as ProposalScheme[]) {
    it(`joins the segments of ${scheme.kind} chains into one run (series, configurations, counts, final states)`, async () => {
      const progress: number[] = [];
      const joined = await runChainsInSegments({
        model: instance,
        proposal: mps,
        scheme,
        chains: 5,
        steps: 23,
        burnIn: 4,
        seed: 9,
        observables: ['energyPerSite'],
        keepConfigurations: true,
        segmentSteps: 10,
        onSegment: (p) => progress.push(p.stepsDone),
      });
      expect(progress).toEqual([10, 20, 23]);
      const runs = await byHand(scheme, 23, 10, 4);
      const n = instance.sites;
      let accepted = 0;
      let proposed = 0;
      for (let c = 0; c < 5; c++) {
        const series = runs.flatMap((r) =>
          Array.from(r.series.energyPerSite!.subarray(c * r.steps, (c + 1) * r.steps)),
        );
        expect(Array.from(joined.series.energyPerSite!.subarray(c * 23, (c + 1) * 23))).toEqual(
          series,
        );
        const states = runs.flatMap((r) =>
          Array.from(r.configurations!.subarray(c * r.steps * n, (c + 1) * r.steps * n)),
        );
        expect(Array.from(joined.configurations!.subarray(c * 23 * n, (c + 1) * 23 * n))).toEqual(
          states,
        );
        const a = runs.reduce((t, r) => t + r.accepted[c]!, 0);
        const p = runs.reduce((t, r) => t + r.proposed[c]!, 0);
        expect(joined.accepted[c]).toBe(a);
        expect(joined.proposed[c]).toBe(p);
        accepted += a;
        proposed += p;
      }
      expect(joined.acceptanceRate).toBe(accepted / proposed);
      expect(Array.from(joined.final.data)).toEqual(Array.from(runs[2]!.final.data));
      expect(joined.steps).toBe(23);
    });
  }

  it('is one runChains call with stream 0 when one segment holds every step', async () => {
    const options = {
      model: instance,
      proposal: mps,
      scheme: { kind: 'disconnected' } as const,
      chains: 4,
      steps: 12,
      burnIn: 3,
      observables: ['energyPerSite'],
    };
    const one = await runChainsInSegments({ ...options, seed: 2, segmentSteps: 12 });
    const direct = await runChains({ ...options, seed: createRandom(2).split(0) });
    expect(Array.from(one.series.energyPerSite!)).toEqual(Array.from(direct.series.energyPerSite!));
  });

  it('refuses a segment length that is not a positive integer, naming it', async () => {
    const error = await runChainsInSegments({
      model: instance,
      scheme: { kind: 'local' },
      steps: 5,
      seed: 1,
      segmentSteps: 0,
    }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).argument).toBe('segmentSteps');
  });
});
