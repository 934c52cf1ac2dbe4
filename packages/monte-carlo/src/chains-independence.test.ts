/**
 * runChains with an independence proposal that is not an MPS (the interface neural proposals
 * implement): a product of per-site Bernoulli distributions, deliberately unlike the target.
 */
import { isingModel } from '@latticediff/model-ising';
import { createRandom } from '@latticediff/tensor-network';
import { invalidArgumentOfAsync as invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { type IndependenceProposal, runChains } from './chains';
import { summarize } from './diagnostics-summary';

function productProposal(sites: number, p: number): IndependenceProposal & { evaluated: number } {
  const logQ = (x: ArrayLike<number>, o: number) => {
    let l = 0;
    for (let i = 0; i < sites; i++) l += Math.log(x[o + i] === 1 ? p : 1 - p);
    return l;
  };
  const proposal = {
    sites,
    localDimension: 2,
    evaluated: 0,
    sample(count: number, seed: number) {
      const rng = createRandom(seed);
      const data = new Int32Array(count * sites);
      const logProbabilities = new Float64Array(count);
      for (let b = 0; b < count; b++) {
        for (let i = 0; i < sites; i++) data[b * sites + i] = rng.float64() < p ? 1 : 0;
        logProbabilities[b] = logQ(data, b * sites);
      }
      return Promise.resolve({ data, logProbabilities });
    },
    logProbabilities(batch: { data: Int32Array; count: number }) {
      proposal.evaluated += batch.count;
      return Float64Array.from({ length: batch.count }, (_, b) => logQ(batch.data, b * sites));
    },
  };
  return proposal;
}

describe('runChains with an independence proposal', () => {
  const model = isingModel.create({ lx: 3, ly: 3, beta: 0.2 });
  const exact = model.exactObservables!();

  it.each([0, 1])(
    'gives estimates within 4 standard errors of the exact values (local sweeps %i)',
    async (localSweeps) => {
      const proposal = productProposal(9, 0.45);
      const result = await runChains({
        model,
        proposal,
        scheme: { kind: 'disconnected' },
        chains: 16,
        steps: 3000,
        burnIn: 50,
        seed: 5,
        localSweeps,
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
      // states that did not come from a draw are evaluated: the starts, and after local sweeps
      expect(proposal.evaluated).toBe(16 * (1 + (localSweeps > 0 ? 3050 : 0)));
    },
  );

  it('refuses the connected scheme, a proposal of another size and malformed draws', async () => {
    const base = { model, chains: 2, steps: 2, seed: 1 };
    const connected = await invalidArgumentOf(() =>
      runChains({
        ...base,
        proposal: productProposal(9, 0.5),
        scheme: { kind: 'connected', noiseTime: 0.5 },
      }),
    );
    expect(connected.argument).toBe('proposal');
    expect(connected.message).toContain('an MPS for the connected scheme');
    const size = await invalidArgumentOf(() =>
      runChains({ ...base, proposal: productProposal(8, 0.5), scheme: { kind: 'disconnected' } }),
    );
    expect(size.message).toContain('9 sites of dimension 2');
    const broken = productProposal(9, 0.5);
    broken.sample = () =>
      Promise.resolve({ data: new Int32Array(3), logProbabilities: new Float64Array(2) });
    const malformed = await invalidArgumentOf(() =>
      runChains({
        ...base,
        proposal: broken,
        scheme: { kind: 'disconnected' },
        initial: { data: new Int32Array(18), count: 2 },
      }),
    );
    expect(malformed.argument).toBe('proposal.sample');
    // log q of NaN or +Infinity (draws: anything not finite) made every acceptance NaN, a silent
    // rejection; they are refused, naming the method that returned them
    const initial = { data: new Int32Array(18), count: 2 };
    const nanDraws = productProposal(9, 0.5);
    const draw = nanDraws.sample.bind(nanDraws);
    nanDraws.sample = async (count, seed) => {
      const r = await draw(count, seed);
      r.logProbabilities[0] = Number.NaN;
      return r;
    };
    expect(
      (
        await invalidArgumentOf(() =>
          runChains({ ...base, proposal: nanDraws, scheme: { kind: 'disconnected' }, initial }),
        )
      ).argument,
    ).toBe('proposal.sample');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const badValues = productProposal(9, 0.5);
      badValues.logProbabilities = (batch) => new Float64Array(batch.count).fill(bad);
      const error = await invalidArgumentOf(() =>
        runChains({ ...base, proposal: badValues, scheme: { kind: 'disconnected' }, initial }),
      );
      expect(error.argument).toBe('proposal.logProbabilities');
    }
  });
});
