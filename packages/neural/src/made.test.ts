/**
 * The MADE proposal against exact references: the autoregressive masks, q normalised over every
 * configuration, draws that follow q (chi-square), log q of a draw equal bit for bit to its
 * evaluation, exact Metropolis-Hastings (transition matrix by enumeration, estimates within 4
 * standard errors), and training by reverse KL and NLL on both backends. Imports the built
 * package: its bundled gradient registrations are part of what is tested.
 */
import { enumerateConfigurations } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { logAcceptance, runChains, summarize } from '@latticediff/monte-carlo';
import { sample } from '@latticediff/tensor-network';
import { chiSquare, invalidArgumentOf } from '@latticediff/test-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeEnergyBound,
  initBackend,
  MADE,
  type NeuralBackend,
  tf,
  trainNLL,
  trainReverseKL,
} from '../dist/index.js';

function indexOf(data: ArrayLike<number>, n: number, b: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) k = k * 2 + (data[b * n + i] as number);
  return k;
}

describe.each(['wasm', 'cpu'] as const)('MADE on the %s backend', (backend: NeuralBackend) => {
  beforeAll(async () => {
    expect(await initBackend(backend, { strict: true })).toBe(backend);
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  const n = 6;
  const all = enumerateConfigurations(n, 2);

  it('conditions site i on the sites before it only (masks)', () => {
    const made = MADE.create({ sites: n, seed: 3 });
    const a = made.oneHot({ data: [0, 1, 1, 0, 1, 0], count: 1 });
    for (let i = 0; i < n; i++) {
      const b = made.oneHot({
        data: [0, 1, 1, 0, 1, 0].map((v, j) => (j >= i ? 1 - v : v)),
        count: 1,
      });
      const la = made.logits(tf.tensor2d(a, [1, 2 * n])).arraySync()[0]!;
      const lb = made.logits(tf.tensor2d(b, [1, 2 * n])).arraySync()[0]!;
      for (let j = 0; j <= i; j++) expect(lb[j]).toEqual(la[j]);
    }
    made.dispose();
  });

  it('q is normalised, draws follow it, and a draw’s log q equals its evaluation bit for bit', () => {
    const made = MADE.create({ sites: n, seed: 5 });
    const q = made.logProbabilities(all);
    expect(Math.abs(q.reduce((s, v) => s + Math.exp(v), 0) - 1)).toBeLessThan(1e-12);
    const draws = made.sample(20000, 9);
    const evaluated = made.logProbabilities(draws);
    for (let b = 0; b < draws.count; b++) expect(evaluated[b]).toBe(draws.logProbabilities[b]);
    // at another batch size too (the rows of a pass do not interact)
    const few = made.logProbabilities({ data: draws.data.subarray(0, 5 * n), count: 5 });
    for (let b = 0; b < 5; b++) expect(few[b]).toBe(draws.logProbabilities[b]);
    const counts = new Array<number>(all.count).fill(0);
    for (let b = 0; b < draws.count; b++) counts[indexOf(draws.data, n, b)]!++;
    expect(chiSquare(counts, Array.from(q, Math.exp)).pValue).toBeGreaterThan(1e-4);
    made.dispose();
  });

  it.each([3, 4])(
    'gives Metropolis-Hastings whose exact transition matrix satisfies detailed balance (2x%i)',
    (ly) => {
      const model = isingModel.create({ lx: 2, ly, beta: 0.5, field: 0.2 });
      const all = enumerateConfigurations(model.sites, 2);
      const made = MADE.create({ sites: model.sites, seed: 7 });
      const logQ = made.logProbabilities(all);
      const energy = model.energy(all);
      const logPi = Array.from(energy, (e) => -model.beta * e);
      const max = Math.max(...logPi);
      const z = logPi.reduce((s, v) => s + Math.exp(v - max), 0);
      const pi = logPi.map((v) => Math.exp(v - max) / z);
      const size = all.count;
      const K = Array.from({ length: size }, () => new Array<number>(size).fill(0));
      for (let x = 0; x < size; x++) {
        let stay = 1;
        for (let y = 0; y < size; y++) {
          if (y === x) continue;
          K[x]![y] =
            Math.exp(logQ[y]!) *
            Math.exp(logAcceptance(model.beta, energy[x]!, energy[y]!, logQ[x]!, logQ[y]!));
          stay -= K[x]![y]!;
        }
        K[x]![x] = stay;
      }
      for (let x = 0; x < size; x++) {
        for (let y = 0; y < size; y++) {
          expect(Math.abs(pi[x]! * K[x]![y]! - pi[y]! * K[y]![x]!)).toBeLessThan(1e-15);
        }
      }
      made.dispose();
    },
  );

  it('trains by reverse KL to near the target; the variational bound stays below ln Z', () => {
    const model = isingModel.create({ lx: 3, ly: 3, beta: 0.4 });
    const lnZ = model.exactObservables!().logPartitionFunction;
    const made = MADE.create({ sites: 9, seed: 2 });
    const before = freeEnergyBound(made, model, { count: 4000, seed: 1 });
    const history = trainReverseKL(made, { model, steps: 150, learningRate: 3e-3, seed: 4 });
    expect(history).toHaveLength(150);
    expect(history[149]!.beta).toBeCloseTo(0.4 * (1 - 0.98 ** 150), 12);
    const after = freeEnergyBound(made, model, { count: 4000, seed: 1 });
    // the bound: E_q[-beta E - ln q] <= ln Z (within its error bar)
    expect(after.logPartitionBound).toBeLessThan(lnZ + 4 * after.stdErr);
    // KL(q || pi) = ln Z - bound: the untrained network is far, the trained one close
    expect(lnZ - before.logPartitionBound).toBeGreaterThan(1);
    expect(lnZ - after.logPartitionBound).toBeLessThan(0.05);
    made.dispose();
  });
});

describe('MADE in the exact Monte Carlo', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('serves runChains (disconnected): estimates within 4 standard errors of the exact values', async () => {
    const model = isingModel.create({ lx: 3, ly: 3, beta: 0.4 });
    const exact = model.exactObservables!();
    const made = MADE.create({ sites: 9, seed: 11 });
    trainReverseKL(made, { model, steps: 60, learningRate: 3e-3, seed: 12 });
    for (const localSweeps of [0, 1]) {
      const result = await runChains({
        model,
        proposal: made.proposal(),
        scheme: { kind: 'disconnected' },
        chains: 16,
        steps: 800,
        burnIn: 20,
        seed: 13,
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
      expect(result.acceptanceRate).toBeGreaterThan(0.3);
    }
    made.dispose();
  });

  it.each([
    // 120 reverse-KL steps: KL(q || pi) about 0.7, acceptance about 0.4, used alone (an untrained
    // network is hopeless here: tau_int of hundreds of steps, as an independence sampler with a
    // uniform proposal at this beta must be)
    [
      'Ising 4x4 cylinder, beta 0.4',
      isingModel.create({ lx: 4, ly: 4, beta: 0.4 }),
      'absMagnetization',
      120,
      0,
      3000,
    ],
    // untrained: about 2% of its mass on Dyck paths, so local sweeps move the chains between
    [
      'Fredkin N = 16, c = 0.6',
      fredkinModel.create({ sites: 16, c: 0.6 }),
      'midHeight',
      0,
      2,
      1500,
    ],
  ] as const)(
    '%s with a deliberately poor network: every observable within 4 standard errors',
    async (_, model, orderParameter, trainingSteps, localSweeps, steps) => {
      const exact = model.exactObservables!();
      const made = MADE.create({ sites: model.sites, seed: 21 });
      if (trainingSteps > 0) {
        trainReverseKL(made, { model, steps: trainingSteps, seed: 23 });
        const bound = freeEnergyBound(made, model, { count: 1000, seed: 24 });
        expect(exact.logPartitionFunction - bound.logPartitionBound).toBeGreaterThan(0.5);
      }
      const result = await runChains({
        model,
        proposal: made.proposal(),
        scheme: { kind: 'disconnected' },
        chains: 16,
        steps,
        burnIn: 100,
        seed: 22,
        localSweeps,
      });
      for (const name of ['energyPerSite', orderParameter]) {
        const chains = Array.from({ length: result.chains }, (_, c) =>
          result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
        );
        const s = summarize(chains);
        expect(s.windowConverged).toBe(true);
        expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
      }
      expect(result.accepted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      made.dispose();
    },
  );

  it('one step of runChains follows the exact transition row (chi-square, N = 8)', async () => {
    const model = isingModel.create({ lx: 2, ly: 4, beta: 0.3, field: 0.1 });
    const n = model.sites;
    const all = enumerateConfigurations(n, 2);
    const made = MADE.create({ sites: n, seed: 31 });
    const logQ = made.logProbabilities(all);
    const energy = model.energy(all);
    const start = 0b01100110;
    const row = new Array<number>(all.count).fill(0);
    let stay = 1;
    for (let y = 0; y < all.count; y++) {
      if (y === start) continue;
      row[y] =
        Math.exp(logQ[y]!) *
        Math.exp(logAcceptance(model.beta, energy[start]!, energy[y]!, logQ[start]!, logQ[y]!));
      stay -= row[y]!;
    }
    row[start] = stay;
    const chains = 20000;
    const initial = new Int32Array(chains * n);
    for (let c = 0; c < chains; c++)
      initial.set(all.data.subarray(start * n, (start + 1) * n), c * n);
    const result = await runChains({
      model,
      proposal: made.proposal(),
      scheme: { kind: 'disconnected' },
      initial: { data: initial, count: chains },
      chains,
      steps: 1,
      seed: 33,
      keepConfigurations: true,
    });
    const counts = new Array<number>(all.count).fill(0);
    for (let c = 0; c < chains; c++) counts[indexOf(result.configurations!, n, c)]!++;
    expect(chiSquare(counts, row).pValue).toBeGreaterThan(1e-4);
    made.dispose();
  });

  it('trains by NLL on exact samples: KL(pi || q) on held-out samples falls', () => {
    const model = isingModel.create({ lx: 3, ly: 3, beta: 0.4 });
    const lnZ = model.exactObservables!().logPartitionFunction;
    const exact = model.exactMPS!();
    const train = sample(exact, { count: 4000, seed: 1 });
    const test = sample(exact, { count: 4000, seed: 2 });
    const energies = model.energy(test);
    const made = MADE.create({ sites: 9, seed: 3 });
    const kl = () => {
      const lq = made.logProbabilities(test);
      let s = 0;
      for (let b = 0; b < test.count; b++)
        s += (-model.beta * energies[b]! - lnZ - lq[b]!) / test.count;
      return s;
    };
    const before = kl();
    const losses = trainNLL(made, train, { epochs: 30, batch: 200, learningRate: 3e-3, seed: 4 });
    expect(losses).toHaveLength(30);
    expect(losses[29]!).toBeLessThan(losses[0]!);
    expect(before).toBeGreaterThan(1);
    expect(kl()).toBeLessThan(0.1);
    made.dispose();
  });

  it('z2: q(x) = q(1 - x), normalised, draws follow it and carry their evaluation bit for bit', () => {
    const n = 6;
    const all = enumerateConfigurations(n, 2);
    const made = MADE.create({ sites: n, seed: 51, z2: true });
    const q = made.logProbabilities(all);
    expect(Math.abs(q.reduce((s, v) => s + Math.exp(v), 0) - 1)).toBeLessThan(1e-12);
    for (let k = 0; k < all.count; k++) expect(q[all.count - 1 - k]).toBe(q[k]);
    const draws = made.sample(20000, 52);
    const evaluated = made.logProbabilities(draws);
    for (let b = 0; b < draws.count; b++) expect(evaluated[b]).toBe(draws.logProbabilities[b]);
    const counts = new Array<number>(all.count).fill(0);
    for (let b = 0; b < draws.count; b++) counts[indexOf(draws.data, n, b)]!++;
    expect(chiSquare(counts, Array.from(q, Math.exp)).pValue).toBeGreaterThan(1e-4);
    made.dispose();
  });

  it('z2: trains by reverse KL on the Ising model without field and serves exact chains', async () => {
    const model = isingModel.create({ lx: 3, ly: 3, beta: 0.4 });
    const exact = model.exactObservables!();
    const made = MADE.create({ sites: 9, seed: 53, z2: true });
    trainReverseKL(made, { model, steps: 150, learningRate: 3e-3, seed: 54 });
    const bound = freeEnergyBound(made, model, { count: 4000, seed: 55 });
    expect(bound.logPartitionBound).toBeLessThan(exact.logPartitionFunction + 4 * bound.stdErr);
    expect(exact.logPartitionFunction - bound.logPartitionBound).toBeLessThan(0.05);
    const result = await runChains({
      model,
      proposal: made.proposal(),
      scheme: { kind: 'disconnected' },
      chains: 16,
      steps: 600,
      burnIn: 20,
      seed: 56,
    });
    for (const name of ['energyPerSite', 'absMagnetization', 'magnetization']) {
      const chains = Array.from({ length: result.chains }, (_, c) =>
        result.series[name]!.subarray(c * result.steps, (c + 1) * result.steps),
      );
      const s = summarize(chains);
      expect(s.windowConverged).toBe(true);
      expect(Math.abs(s.mean - (exact.means[name] as number))).toBeLessThan(4 * s.stdErr);
    }
    made.dispose();
  });

  it('leaves no tensors behind (sampling, evaluation, training)', () => {
    const model = isingModel.create({ lx: 2, ly: 3, beta: 0.3 });
    const made = MADE.create({ sites: 6, seed: 41 });
    const before = tf.memory().numTensors;
    const draws = made.sample(50, 1);
    made.logProbabilities(draws);
    trainReverseKL(made, { model, steps: 2, batch: 16, seed: 2 });
    trainNLL(made, draws, { epochs: 1, batch: 16, seed: 3 });
    freeEnergyBound(made, model, { count: 10, seed: 4 });
    expect(tf.memory().numTensors).toBe(before);
    made.dispose();
    expect(tf.memory().numTensors).toBe(before - 8);
  });

  it('refuses bad input, naming the argument', () => {
    expect(invalidArgumentOf(() => MADE.create({ sites: 0, seed: 1 })).argument).toBe('sites');
    expect(invalidArgumentOf(() => MADE.create({ sites: 3, seed: -1 })).argument).toBe('seed');
    expect(
      invalidArgumentOf(() => MADE.create({ sites: 3, seed: 1, localDimension: 3, z2: true }))
        .argument,
    ).toBe('z2');
    expect(
      invalidArgumentOf(() => MADE.create({ sites: 3, seed: 1, width: 4 } as never)).argument,
    ).toBe('options.width');
    const made = MADE.create({ sites: 4, seed: 1 });
    expect(
      invalidArgumentOf(() => made.logProbabilities({ data: [0, 1, 2, 0], count: 1 })).argument,
    ).toBe('batch.data');
    const model = isingModel.create({ lx: 3, ly: 3 });
    expect(
      invalidArgumentOf(() => trainReverseKL(made, { model, steps: 1, seed: 1 })).argument,
    ).toBe('model');
    expect(
      invalidArgumentOf(() =>
        trainReverseKL(made, { model: isingModel.create({ lx: 2, ly: 2 }), steps: 0, seed: 1 }),
      ).argument,
    ).toBe('steps');
    made.dispose();
  });
});
