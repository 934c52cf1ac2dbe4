/**
 * runChains with a worker pool gives the one-thread result bit for bit, whatever the number of
 * workers: fresh draws (prefetched), denoising, and the evaluation of the states after local
 * sweeps all run on the workers in pieces whose values do not depend on the split.
 */
import { isingModel } from '@latticediff/model-ising';
import { randomMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { type RunChainsResult, runChains } from './chains';
import { learnByMonteCarlo } from './learning-loop';
import { timelessLearning } from './learning-result.test-helper';
import { drawsOnlyPool, poolsOfOneToThreeWorkers } from './pools.test-helper';

const plain = (r: RunChainsResult) => ({
  acceptanceRate: r.acceptanceRate,
  accepted: Array.from(r.accepted),
  proposed: Array.from(r.proposed),
  final: Array.from(r.final.data),
  series: Object.fromEntries(Object.entries(r.series).map(([k, v]) => [k, Array.from(v)])),
  configurations: Array.from(r.configurations ?? []),
});

describe('runChains with a pool', () => {
  const pools = poolsOfOneToThreeWorkers();

  const model = isingModel.create({ lx: 3, ly: 4, beta: 0.4 });
  const cases = [
    ['disconnected', 'born', 0],
    ['disconnected', 'born', 2],
    ['disconnected', 'linear', 1],
    ['connected', 'born', 0],
    ['connected', 'born', 2],
    ['connected', 'linear', 1],
  ] as const;
  it.each(cases)(
    'gives the one-thread chains for 1, 2 and 3 workers (%s, %s MPS, %i local sweeps)',
    async (scheme, kind, localSweeps) => {
      const mps = randomMPS({ length: model.sites, bondDim: 4, kind, seed: 17 });
      // 300 chains: three chunks of draws (128, 128, 44), evaluations split at other rows
      const options = {
        model,
        proposal: mps,
        scheme:
          scheme === 'disconnected'
            ? { kind: 'disconnected' as const }
            : { kind: 'connected' as const, noiseTime: 0.4 },
        chains: 300,
        steps: 5,
        burnIn: 2,
        seed: 23,
        localSweeps,
        keepConfigurations: true,
      };
      const reference = plain(await runChains(options));
      // the chains moved: the comparison is not between unchanged starting states
      expect(reference.acceptanceRate).toBeGreaterThan(0);
      for (const pool of pools)
        expect(plain(await runChains({ ...options, pool }))).toEqual(reference);
    },
  );

  it('draws several steps of fewer chains than a chunk at once: the chains of step-by-step draws, on one thread and on pools of 1 to 3 workers', async () => {
    for (const [kind, chains, localSweeps] of [
      ['born', 32, 0],
      ['linear', 7, 0],
      ['born', 128, 0],
      ['born', 20, 1],
    ] as const) {
      const mps = randomMPS({ length: model.sites, bondDim: 4, kind, seed: 19 });
      const options = {
        model,
        proposal: mps,
        scheme: { kind: 'disconnected' as const },
        chains,
        // blocks of 256 rows: several blocks, the last one short
        steps: Math.ceil(700 / chains),
        burnIn: 3,
        seed: 29,
        localSweeps,
        keepConfigurations: true,
      };
      // a pool that only draws takes a call per step: the draws of step-by-step sampling
      const reference = plain(await runChains({ ...options, pool: drawsOnlyPool(pools[1]!) }));
      expect(reference.acceptanceRate).toBeGreaterThan(0);
      expect(plain(await runChains(options))).toEqual(reference);
      for (const pool of pools)
        expect(plain(await runChains({ ...options, pool }))).toEqual(reference);
    }
  });

  it('evaluates on the main thread with a pool that only draws (an older pool or another implementation)', async () => {
    const mps = randomMPS({ length: model.sites, bondDim: 4, kind: 'born', seed: 17 });
    const drawsOnly = drawsOnlyPool(pools[1]!);
    for (const scheme of [
      { kind: 'disconnected' as const },
      { kind: 'connected' as const, noiseTime: 0.4 },
    ]) {
      const options = {
        model,
        proposal: mps,
        scheme,
        chains: 200,
        steps: 4,
        seed: 5,
        localSweeps: 1,
      };
      expect(plain(await runChains({ ...options, pool: drawsOnly }))).toEqual(
        plain(await runChains(options)),
      );
    }
  });

  // 4x4 Ising at beta 0.2 then 0.3, 200 chains x 8 steps: 1,440 training rows in round 0 and
  // 2,880 with replay in round 1, most of them distinct at this entropy (local chains at beta
  // 0.2 give 1,467 distinct of 1,600), so the sweeps' gradients are sums over two or three
  // shards of 1,024 rows; with a validation hold-out, replay and the quality draws
  const learning = {
    model: isingModel,
    path: [
      { lx: 4, ly: 4, beta: 0.2 },
      { lx: 4, ly: 4, beta: 0.3 },
    ],
    bondDim: 6,
    kind: 'born' as const,
    training: 'sweeps' as const,
    scheme: { kind: 'disconnected' as const },
    chains: 200,
    stepsPerRound: 8,
    burnIn: 1,
    localSweeps: 1,
    sweepsPerRound: 2,
    replayRounds: 2,
    validationFraction: 0.1,
    seed: 41,
  };
  const samePerPool = async (options: typeof learning & { overlapRounds?: boolean }) => {
    const reference = timelessLearning(await learnByMonteCarlo(options));
    for (const pool of pools)
      expect(timelessLearning(await learnByMonteCarlo({ ...options, pool }))).toEqual(reference);
  };

  it('trains the same MPS in learnByMonteCarlo for 1, 2 and 3 workers (sweeps on the pool)', async () => {
    await samePerPool(learning);
  });

  it('trains the same MPS with overlapRounds for 1, 2 and 3 workers (training and chains at once)', async () => {
    // three rounds: the third's chains propose with the first round's model while the second
    // trains, all on the same pool
    await samePerPool({
      ...learning,
      path: [0.2, 0.25, 0.3].map((beta) => ({ lx: 4, ly: 4, beta })),
      overlapRounds: true,
      seed: 43,
    });
  });
});
