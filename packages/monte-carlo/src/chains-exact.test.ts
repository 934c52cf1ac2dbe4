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

it('disconnected proposals from a non-canonical Born MPS (sampled from its canonical form) are exact', async () => {
  const model = isingModel.create({ lx: 4, ly: 4, beta: 0.4 });
  const exact = model.exactObservables!();
  // the physics-built Born MPS at bond dimension 4, every entry perturbed: far from canonical
  const built = physicsBornMPS(model, { maxBondDim: 4 }).mps;
  const rng = createRandom(8);
  const proposal = MPS.fromTensors(
    built.tensors.map((t, i) => ({
      shape: built.siteShape(i),
      data: t.map((v) => v * Math.exp(0.8 * (rng.float64() - 0.5)) * (i + 2)),
    })),
    { kind: 'born' },
  );
  const result = await runChains({
    model,
    proposal,
    scheme: { kind: 'disconnected' },
    chains: 16,
    steps: 1500,
    burnIn: 100,
    seed: 31,
  });
  for (const name of ['energyPerSite', 'absMagnetization']) {
    const chains = Array.from({ length: result.chains }, (_, c) =>
      result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
    );
    const s = summarize(chains);
    expect(s.windowConverged).toBe(true);
    expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
  }
  expect(result.acceptanceRate).toBeGreaterThan(0.05);
});

it.each([
  {
    name: 'Ising 4x6 cylinder at beta 0.4, physics-built bond 64',
    model: isingModel.create({ lx: 4, ly: 6, beta: 0.4 }),
    orderParameter: 'absMagnetization',
    build: (m: LatticeModelInstance) => physicsBornMPS(m, { maxBondDim: 64 }).mps,
  },
  {
    // untruncated (cutoff 0): bonds up to 33 in the middle, a constrained target whose
    // forbidden steps have weight 0 (those rows compute the other digit's weight)
    name: 'Fredkin N = 128 at c = 0.6, physics-built without truncation',
    model: fredkinModel.create({ sites: 128, c: 0.6 }),
    orderParameter: 'midHeight',
    build: (m: LatticeModelInstance) => physicsBornMPS(m, { maxBondDim: 64, cutoff: 0 }).mps,
  },
])(
  'disconnected proposals drawn by a guessed digit and its complement (bonds >= 32) are exact: $name',
  async ({ model, orderParameter, build }) => {
    const exact = model.exactObservables!();
    const built = build(model);
    expect(built.maxBondDim).toBeGreaterThanOrEqual(32);
    // every entry perturbed: a non-canonical input that the sampler canonicalises first
    const rng = createRandom(12);
    const proposal = MPS.fromTensors(
      built.tensors.map((t, i) => ({
        shape: built.siteShape(i),
        data: t.map((v) => v * Math.exp(0.4 * (rng.float64() - 0.5))),
      })),
      { kind: 'born' },
    );
    const result = await runChains({
      model,
      proposal,
      scheme: { kind: 'disconnected' },
      chains: 16,
      steps: 1500,
      burnIn: 100,
      seed: 77,
    });
    for (const name of ['energyPerSite', orderParameter]) {
      const chains = Array.from({ length: result.chains }, (_, c) =>
        result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
      );
      const s = summarize(chains);
      expect(s.windowConverged).toBe(true);
      expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
      expect(s.stdErr).toBeGreaterThan(0);
    }
    expect(result.acceptanceRate).toBeGreaterThan(0.05);
  },
);

it('a DDM step followed by local sweeps (the mixture the learning loop uses) is exact too', async () => {
  const model = fredkinModel.create({ sites: 16, c: 0.6 });
  const exact = model.exactObservables!();
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
  for (const name of ['energyPerSite', 'midHeight']) {
    const chains = Array.from({ length: result.chains }, (_, c) =>
      result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
    );
    const s = summarize(chains);
    expect(s.windowConverged).toBe(true);
    expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
  }
});
