/**
 * Monte Carlo estimates against exact references, for every scheme: the mean of the energy and
 * of the main order parameter agree with the exact value within 4 standard errors (standard
 * errors from the integrated autocorrelation time of the chains themselves), at fixed seeds.
 * The DDM proposal is deliberately imperfect (the exact MPS with every entry perturbed), because
 * the estimates must be exact whatever the model quality.
 */
import { type LatticeModelInstance, physicsBornMPS } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { createRandom, MPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { type ProposalScheme, runChains } from './chains';
import { summarize } from './diagnostics-summary';

function perturbed(model: LatticeModelInstance, spread: number, seed: number): MPS {
  const exact = model.exactMPS!();
  const rng = createRandom(seed);
  return MPS.fromTensors(
    exact.tensors.map((t, i) => ({
      shape: exact.siteShape(i),
      data: t.map((v) => v * Math.exp(spread * (rng.float64() - 0.5))),
    })),
  );
}

const cases: {
  name: string;
  model: LatticeModelInstance;
  orderParameter: string;
  schemes: ProposalScheme[];
}[] = [
  {
    name: 'Ising 4x4 cylinder, beta = 0.4',
    model: isingModel.create({ lx: 4, ly: 4, beta: 0.4 }),
    orderParameter: 'absMagnetization',
    schemes: [
      { kind: 'disconnected' },
      { kind: 'connected', noiseTime: 0.2 },
      { kind: 'local' },
      { kind: 'wolff' },
    ],
  },
  {
    name: 'Fredkin N = 16, c = 0.6',
    model: fredkinModel.create({ sites: 16, c: 0.6 }),
    orderParameter: 'midHeight',
    schemes: [{ kind: 'disconnected' }, { kind: 'connected', noiseTime: 0.1 }, { kind: 'local' }],
  },
];

describe.each(cases)('$name', ({ model, orderParameter, schemes }) => {
  const exact = model.exactObservables!();
  const proposal = perturbed(model, 0.6, 3);
  it.each(schemes.map((s) => [s.kind, s] as const))(
    '%s estimates agree with the exact values within 4 standard errors',
    async (_, scheme) => {
      // local sweeps are cheap but slow to decorrelate (Fredkin: dynamic exponent near 3)
      const steps = scheme.kind === 'local' ? 20000 : 1500;
      const result = await runChains({
        model,
        proposal,
        scheme,
        chains: 16,
        steps,
        burnIn: 100,
        seed: 2024,
      });
      for (const name of ['energyPerSite', orderParameter]) {
        const chains = Array.from({ length: result.chains }, (_, c) =>
          result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
        );
        const s = summarize(chains);
        const ref = exact.means[name] as number;
        expect(s.windowConverged).toBe(true);
        expect(Math.abs(s.mean - ref)).toBeLessThan(4 * s.stdErr);
        // the error bar is a real one: not zero, and not absurdly wide
        expect(s.stdErr).toBeGreaterThan(0);
        expect(s.stdErr).toBeLessThan(0.05 * Math.max(Math.abs(ref), 1));
      }
      expect(result.acceptanceRate).toBeGreaterThan(0.01);
    },
  );
});

/** Perturbs every entry of a Born MPS by exp(spread (u - 1/2)) (times `siteScale(i)`). */
function perturbedBorn(
  built: MPS,
  spread: number,
  seed: number,
  siteScale = (_: number) => 1,
): MPS {
  const rng = createRandom(seed);
  return MPS.fromTensors(
    built.tensors.map((t, i) => ({
      shape: built.siteShape(i),
      data: t.map((v) => v * Math.exp(spread * (rng.float64() - 0.5)) * siteScale(i)),
    })),
    { kind: 'born' },
  );
}

// Non-canonical Born proposals (every entry perturbed): the sampler canonicalises them and draws
// from its own conditionals q, which the acceptance evaluates by the same operations.
it.each([
  {
    name: 'Ising 4x4 at beta 0.4, physics-built bond 4, far from canonical',
    model: isingModel.create({ lx: 4, ly: 4, beta: 0.4 }),
    orderParameter: 'absMagnetization',
    proposal: (m: LatticeModelInstance) =>
      perturbedBorn(physicsBornMPS(m, { maxBondDim: 4 }).mps, 0.8, 8, (i) => i + 2),
    seed: 31,
    minBond: 4,
  },
  {
    // bonds of 64: the middle sites' diagonal-gauge weights come from a gauge of bond 64
    name: 'Ising 4x6 at beta 0.4, physics-built bond 64',
    model: isingModel.create({ lx: 4, ly: 6, beta: 0.4 }),
    orderParameter: 'absMagnetization',
    proposal: (m: LatticeModelInstance) =>
      perturbedBorn(physicsBornMPS(m, { maxBondDim: 64 }).mps, 0.4, 12),
    seed: 77,
    minBond: 32,
  },
  {
    // untruncated (cutoff 0): bonds up to 33 in the middle, a constrained target whose
    // forbidden steps have weight 0 (below the diagonal weights' floor, those rows compute it)
    name: 'Fredkin N = 128 at c = 0.6, physics-built without truncation (bond 33)',
    model: fredkinModel.create({ sites: 128, c: 0.6 }),
    orderParameter: 'midHeight',
    proposal: (m: LatticeModelInstance) =>
      perturbedBorn(physicsBornMPS(m, { maxBondDim: 64, cutoff: 0 }).mps, 0.4, 12),
    seed: 77,
    minBond: 32,
  },
])('disconnected proposals from a non-canonical Born MPS are exact: $name', async (c) => {
  const proposal = c.proposal(c.model);
  // the bonds the case is about
  expect(proposal.maxBondDim).toBeGreaterThanOrEqual(c.minBond);
  const result = await runChains({
    model: c.model,
    proposal,
    scheme: { kind: 'disconnected' },
    chains: 16,
    steps: 1500,
    burnIn: 100,
    seed: c.seed,
  });
  expectExact(result, c.model, ['energyPerSite', c.orderParameter]);
  expect(result.acceptanceRate).toBeGreaterThan(0.05);
});

/**
 * The chains' mean of each observable is within 4 standard errors of the exact value, with a
 * converged autocorrelation window and a non-zero error bar.
 */
function expectExact(
  result: Awaited<ReturnType<typeof runChains>>,
  model: LatticeModelInstance,
  names: string[],
): void {
  const exact = model.exactObservables!();
  for (const name of names) {
    const chains = Array.from({ length: result.chains }, (_, c) =>
      result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
    );
    const s = summarize(chains);
    expect(s.windowConverged).toBe(true);
    expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
    expect(s.stdErr).toBeGreaterThan(0);
  }
}

it('a DDM step followed by local sweeps (the mixture the learning loop uses) is exact too', async () => {
  const model = fredkinModel.create({ sites: 16, c: 0.6 });
  const proposal = perturbed(model, 0.6, 4);
  const result = await runChains({
    model,
    proposal,
    scheme: { kind: 'connected', noiseTime: 0.1 },
    localSweeps: 2,
    chains: 16,
    steps: 1500,
    burnIn: 100,
    seed: 99,
  });
  expectExact(result, model, ['energyPerSite', 'midHeight']);
});
