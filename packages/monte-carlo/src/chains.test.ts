import { enumerateConfigurations, type LatticeModelInstance } from '@latticediff/lattice';
import { addNoise, denoise, maskNoise, propagator, uniformNoise } from '@latticediff/markov-jump';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import {
  logProbabilities,
  type MPS,
  productState,
  randomMPS,
  type SamplerPool,
  sample,
  sampleLogProbabilities,
} from '@latticediff/tensor-network';
import { sampleSteps } from '@latticediff/tensor-network/internal';
import { describe, expect, it } from 'vitest';
import {
  connectedLogProposal,
  drawsAhead,
  logAcceptance,
  MAX_SERIES_ENTRIES,
  runChains,
  runChainsFrom,
} from './chains';
import { learnByMonteCarlo } from './learning-loop';
import { proposalQuality } from './proposal-quality';

/** The exact one-step transition matrix of a DDM scheme, built by enumeration. */
function exactKernel(
  model: LatticeModelInstance,
  mps: MPS,
  scheme: 'disconnected' | { noiseTime: number },
) {
  const n = model.sites;
  const all = enumerateConfigurations(n, 2);
  const size = all.count;
  const energy = model.energy(all);
  // the disconnected proposal is the sampler's own process q (sampleLogProbabilities; equal to
  // P_theta to rounding), and runChains evaluates the current state with it
  const logQ =
    scheme === 'disconnected' ? sampleLogProbabilities(mps, all) : logProbabilities(mps, all);
  const q = Array.from(logQ, Math.exp);
  // proposal matrix prop[x][x']
  const prop: number[][] = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  if (scheme === 'disconnected') {
    for (let x = 0; x < size; x++) for (let y = 0; y < size; y++) prop[x]![y] = q[y]!;
  } else {
    const k = propagator(uniformNoise({ physicalDim: 2 }), scheme.noiseTime);
    const kernel = (y: number, x: number) => {
      let p = 1;
      for (let i = 0; i < n; i++) p *= k[all.data[y * n + i]! * 2 + all.data[x * n + i]!]!;
      return p;
    };
    const kt = Array.from({ length: size }, (_, y) =>
      Array.from({ length: size }, (_, x) => kernel(y, x)),
    );
    const pt = kt.map((row) => row.reduce((acc, v, x) => acc + v * q[x]!, 0));
    for (let x = 0; x < size; x++) {
      for (let y = 0; y < size; y++) {
        const noise = kt[y]![x]!;
        for (let x2 = 0; x2 < size; x2++) prop[x]![x2]! += (noise * kt[y]![x2]! * q[x2]!) / pt[y]!;
      }
    }
  }
  const K: number[][] = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let x = 0; x < size; x++) {
    if (!Number.isFinite(energy[x]!)) continue;
    let stay = 1;
    for (let x2 = 0; x2 < size; x2++) {
      if (x2 === x) continue;
      const a = Math.exp(logAcceptance(model.beta, energy[x]!, energy[x2]!, logQ[x]!, logQ[x2]!));
      K[x]![x2] = prop[x]![x2]! * a;
      stay -= K[x]![x2]!;
    }
    K[x]![x] = stay;
  }
  const logPi = Array.from(energy, (e) => -model.beta * e);
  const maxLog = Math.max(...logPi.filter(Number.isFinite));
  const w = logPi.map((l) => (Number.isFinite(l) ? Math.exp(l - maxLog) : 0));
  const z = w.reduce((a, b) => a + b, 0);
  return { K, pi: w.map((v) => v / z), all, size };
}

describe.each([
  {
    name: 'Ising 2x3 cylinder',
    kind: 'linear',
    model: isingModel.create({ lx: 2, ly: 3, beta: 0.4, field: 0.1 }),
  },
  { name: 'Fredkin N = 8', kind: 'linear', model: fredkinModel.create({ sites: 8, c: 0.6 }) },
  // a random Born MPS is not canonical: the sampler canonicalises it and samples its own q
  {
    name: 'Ising 2x3 cylinder',
    kind: 'born',
    model: isingModel.create({ lx: 2, ly: 3, beta: 0.4, field: 0.1 }),
  },
] as const)('exact transition matrices on $name ($kind proposal)', ({ model, kind }) => {
  const mps = randomMPS({ length: model.sites, bondDim: 3, seed: 12, spread: 0.8, kind });
  it.each([['disconnected' as const], [{ noiseTime: 0.3 }], [{ noiseTime: 2 }]])(
    'scheme %o satisfies detailed balance and leaves pi invariant',
    (scheme) => {
      const { K, pi, size } = exactKernel(model, mps, scheme);
      for (let x = 0; x < size; x++) {
        const rowSum = K[x]!.reduce((a, b) => a + b, 0);
        if (pi[x]! > 0) expect(Math.abs(rowSum - 1)).toBeLessThan(1e-12);
        for (let y = 0; y < size; y++) {
          expect(Math.abs(pi[x]! * K[x]![y]! - pi[y]! * K[y]![x]!)).toBeLessThan(1e-14);
        }
      }
      for (let y = 0; y < size; y++) {
        const flow = pi.reduce((acc, p, x) => acc + p * K[x]![y]!, 0);
        expect(Math.abs(flow - pi[y]!)).toBeLessThan(1e-13);
      }
    },
  );

  it('one step of runChains follows the exact transition row (chi-square, fixed seed)', async () => {
    for (const scheme of ['disconnected', { noiseTime: 0.5 }] as const) {
      const { K, all, size } = exactKernel(model, mps, scheme);
      const n = model.sites;
      const start = model.initialConfiguration();
      let startIndex = 0;
      for (let i = 0; i < n; i++) startIndex = startIndex * 2 + start[i]!;
      const chains = 20000;
      const initial = new Int32Array(chains * n);
      for (let c = 0; c < chains; c++) initial.set(start, c * n);
      const result = await runChains({
        model,
        proposal: mps,
        initial: { data: initial, count: chains },
        scheme:
          scheme === 'disconnected'
            ? { kind: 'disconnected' }
            : { kind: 'connected', noiseTime: 0.5 },
        chains,
        steps: 1,
        seed: 77,
        keepConfigurations: true,
      });
      const counts = new Array<number>(size).fill(0);
      for (let c = 0; c < chains; c++) {
        let idx = 0;
        for (let i = 0; i < n; i++) idx = idx * 2 + result.configurations![c * n + i]!;
        counts[idx]!++;
      }
      // Pearson statistic over cells with expected count >= 5; dof = cells - 1
      let stat = 0;
      let cells = 0;
      for (let y = 0; y < size; y++) {
        const e = K[startIndex]![y]! * chains;
        if (e < 5) {
          expect(counts[y]!).toBeLessThan(Math.max(20, 10 * e + 10));
          continue;
        }
        stat += (counts[y]! - e) ** 2 / e;
        cells++;
      }
      const dof = cells - 1;
      // upper 1e-4 quantile of chi-square(dof) by Wilson-Hilferty (z = 3.719)
      const bound = dof * (1 - 2 / (9 * dof) + 3.719 * Math.sqrt(2 / (9 * dof))) ** 3;
      expect(stat).toBeLessThan(bound);
      void all;
    }
  });
});

describe('runChains bad input', () => {
  const model = isingModel.create({ lx: 2, ly: 2 });
  const mps = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  it('names the argument and the value', async () => {
    await expect(
      runChains({ model, scheme: { kind: 'disconnected' }, steps: 10, seed: 1 }),
    ).rejects.toThrow(/`proposal`/);
    await expect(
      runChains({
        model,
        proposal: mps,
        scheme: { kind: 'sideways' } as never,
        steps: 10,
        seed: 1,
      }),
    ).rejects.toThrow(/`scheme`/);
    await expect(
      runChains({
        model,
        proposal: mps,
        scheme: { kind: 'connected', noiseTime: -1 },
        steps: 10,
        seed: 1,
      }),
    ).rejects.toThrow(
      /`scheme.noiseTime` passed to `runChains` must be a finite number > 0 \(got -1\)/,
    );
    await expect(
      runChains({ model, proposal: mps, scheme: { kind: 'local' }, steps: 0, seed: 1 }),
    ).rejects.toThrow(/`steps`/);
    await expect(
      runChains({
        model,
        proposal: randomMPS({ length: 5, bondDim: 2, seed: 1 }),
        scheme: { kind: 'disconnected' },
        steps: 1,
        seed: 1,
      }),
    ).rejects.toThrow(/4 sites/);
    await expect(
      runChains({ model, scheme: { kind: 'local' }, steps: 1, seed: 1, observables: ['nope'] }),
    ).rejects.toThrow(/`observables`/);
  });

  it('refuses initial digits that are not digits, and a pool that is not one', async () => {
    const base = { model, scheme: { kind: 'local' as const }, chains: 2, steps: 1, seed: 1 };
    // (0.5 was truncated to 0 by the copy; 5 was reported by ising.energy as `batch.data`)
    await expect(
      runChains({ ...base, initial: { data: new Float64Array(8).fill(0.5) as never, count: 2 } }),
    ).rejects.toThrow('`initial.data[0]` passed to `runChains` must be a digit in 0..1');
    const five = Int32Array.from([0, 0, 0, 0, 0, 5, 0, 0]);
    await expect(runChains({ ...base, initial: { data: five, count: 2 } })).rejects.toThrow(
      '`initial.data[5]` passed to `runChains` must be a digit in 0..1 (site 1 of configuration 1) (got 5)',
    );
    await expect(runChains({ ...base, chains: 2 ** 31 })).rejects.toThrow(
      '`chains` passed to `runChains` must be at most',
    );
    // (a pool without `sample` was a TypeError in the first step)
    await expect(
      runChains({ ...base, scheme: { kind: 'disconnected' }, proposal: mps, pool: {} as never }),
    ).rejects.toThrow('`pool` passed to `runChains` must be a SamplerPool');
    // ('yes' was taken as true)
    await expect(runChains({ ...base, keepConfigurations: 'yes' as never })).rejects.toThrow(
      '`keepConfigurations` passed to `runChains` must be true, false or absent (got "yes")',
    );
  });
});

describe('runChains sizes', () => {
  it('refuses chains * steps beyond the series limit before any work, naming steps', async () => {
    const model = isingModel.create({ lx: 2, ly: 2 });
    // a rejection (not a result) proves the sizes were refused before any step ran: 1e14 steps
    // would not finish at all
    await expect(
      runChains({ model, scheme: { kind: 'local' }, chains: 1e6, steps: 1e8, seed: 1 }),
    ).rejects.toThrow(`at most ${Math.floor(MAX_SERIES_ENTRIES / 1e6)} for 1000000 chains`);
    await expect(
      runChains({ model, scheme: { kind: 'local' }, chains: 1e5, steps: 1e5, seed: 1 }),
    ).rejects.toThrow('`steps` passed to `runChains`');
  });
});

describe('runChains and learnByMonteCarlo options', () => {
  it('refuse a misspelt option instead of silently using a default', async () => {
    const model = isingModel.create({ lx: 2, ly: 2 });
    await expect(
      runChains({ model, scheme: { kind: 'local' }, chain: 2, steps: 2, seed: 1 } as never),
    ).rejects.toThrow('`runChains` has no option `chain`');
    await expect(
      learnByMonteCarlo({
        model: isingModel,
        path: [{ lx: 2, ly: 2 }],
        seed: 1,
        stepPerRound: 4,
      } as never),
    ).rejects.toThrow('`learnByMonteCarlo` has no option `stepPerRound`');
    // the scheme's keys too: a misspelt `nosie` ran the connected scheme with uniform noise
    await expect(
      runChains({
        model,
        proposal: randomMPS({ length: 4, bondDim: 2, seed: 1 }),
        scheme: { kind: 'connected', noiseTime: 0.5, nosie: undefined, noies: 1 } as never,
        steps: 2,
        seed: 1,
      }),
    ).rejects.toThrow('`runChains` has no option `noies`');
    await expect(
      runChains({ model, scheme: { kind: 'local', noiseTime: 0.5 } as never, steps: 2, seed: 1 }),
    ).rejects.toThrow('`scheme.noiseTime` passed to `runChains`');
    // and proposalQuality's (a misspelt `cout` was reported as a missing `count`)
    expect(() =>
      proposalQuality(model, randomMPS({ length: 4, bondDim: 2, seed: 1 }), {
        count: 10,
        seed: 1,
        cout: 5,
      } as never),
    ).toThrow('`options.cout` passed to `proposalQuality`');
  });
});

describe('connectedLogProposal', () => {
  it.each([
    ['born', 'uniform'],
    ['born', 'mask'],
    ['linear', 'uniform'],
    ['linear', 'mask'],
  ] as const)(
    "equals a direct evaluation of log P_theta(x') (%s MPS, %s noise)",
    (kind, noiseKind) => {
      const n = 12;
      const mps = randomMPS({ length: n, physicalDim: 3, bondDim: 5, kind, seed: 21 });
      const noise =
        noiseKind === 'uniform' ? uniformNoise({ physicalDim: 3 }) : maskNoise({ physicalDim: 3 });
      const time = 0.7;
      const x = { data: new Int32Array(64 * n).map((_, k) => (k * 7 + (k >> 3)) % 3), count: 64 };
      const y = addNoise(noise, x, { time, seed: 5 });
      const clean = denoise(mps, noise, { noisy: y, time, seed: 6 });
      const viaBayes = connectedLogProposal(
        propagator(noise, time).map(Math.log),
        y.data,
        clean.data,
        n,
        clean.logProbabilities,
        clean.noisyLogProbabilities,
      );
      const direct = logProbabilities(mps, clean);
      for (let b = 0; b < 64; b++) {
        expect(Number.isFinite(direct[b]!)).toBe(true);
        expect(Math.abs(viaBayes[b]! - direct[b]!)).toBeLessThan(
          1e-11 * Math.max(1, Math.abs(direct[b]!)),
        );
      }
    },
  );
});

describe('prefetched disconnected batches', () => {
  const model = isingModel.create({ lx: 2, ly: 3, beta: 0.4 });
  const mps = randomMPS({ length: model.sites, bondDim: 3, kind: 'born', seed: 3 });
  /** Runs 4 chains whose step 2 fails (its energies throw) with `pool`. */
  const failAtStep2 = async (pool: SamplerPool, steps: number) => {
    let calls = 0;
    const failing = Object.create(model) as LatticeModelInstance;
    failing.energy = (batch) => {
      // the draws that start the chains, the initial states, then steps 0, 1, 2: step 2 fails
      if (++calls === 5) throw new Error('energy failed');
      return model.energy(batch);
    };
    await expect(
      runChains({
        model: failing,
        scheme: { kind: 'disconnected' },
        proposal: mps,
        chains: 4,
        steps,
        seed: 7,
        pool,
      }),
    ).rejects.toThrow('energy failed');
  };
  /** Counts what a pool method started and what is still running (each settles 20 ms later). */
  const counted = <T>(draw: (...args: never[]) => T) => {
    const count = { inFlight: 0, started: 0 };
    const method = (...args: never[]) => {
      count.inFlight++;
      count.started++;
      return new Promise<T>((resolve) =>
        setTimeout(() => {
          count.inFlight--;
          resolve(draw(...args));
        }, 20),
      );
    };
    return { count, method };
  };

  it('a step that throws leaves no batch of the call running in the pool', async () => {
    // a pool that draws like the real one, later (step by step: it has no blocks of steps)
    const { count, method } = counted((m: MPS, o: { count: number; seed: number }) => sample(m, o));
    await failAtStep2({ size: 1, sample: method } as unknown as SamplerPool, 20);
    // steps 0-2's proposals and the prefetched batches of steps 3 to 10 were started (eight
    // ahead: small batches, no local sweeps)
    expect(count.started).toBe(11);
    expect(count.inFlight).toBe(0);
  });

  it('asks for up to 8 batches ahead, holding at most 8 MiB of draws with the one in use, at least 2', () => {
    expect(drawsAhead(4, 6)).toBe(8);
    expect(drawsAhead(256, 64)).toBe(8); // 66 KiB a batch
    expect(drawsAhead(4096, 64)).toBe(6); // 1.03 MiB: 7 batches held
    expect(drawsAhead(4096, 120)).toBe(3); // 1.9 MiB: 4 held
    expect(drawsAhead(4096, 256)).toBe(2); // 4.0 MiB: 3 held, as before the bound
    expect(drawsAhead(65536, 1024)).toBe(2); // 256 MiB: still 2
  });

  it('a step that throws leaves no block of steps drawn ahead running in the pool (fewer chains than a chunk)', async () => {
    const { count, method } = counted((m: MPS, seeds: number[], rows: number) =>
      sampleSteps(m, seeds, rows),
    );
    const pool = {
      size: 2,
      sample: () => Promise.reject(new Error('not used: the blocks draw')),
      [Symbol.for('@latticediff/tensor-network.sampleSteps')]: method,
    } as unknown as SamplerPool;
    await failAtStep2(pool, 1000);
    // blocks of 64 steps: the first, and one ahead per worker
    expect(count.started).toBe(3);
    expect(count.inFlight).toBe(0);
  });
});

describe('who evaluates the states after local sweeps, with a pool', () => {
  // 128 chains (a chunk: no blocks of steps), one sweep per step of the 8x8 model (64 sites):
  // the pool evaluates the swept states where their evaluation outweighs the sweep (sum of l d r
  // of the proposal at least 1500 per site and sweep), else this thread does
  const model = isingModel.create({ lx: 8, ly: 8, beta: 0.3 });
  it.each([
    [4, false],
    [64, true],
  ])(
    'bond %i: the pool evaluates: %s; the same chains as without a pool',
    async (bondDim, pooled) => {
      const mps = randomMPS({ length: 64, bondDim, kind: 'born', seed: 5 });
      expect(mps.parameterCount >= 64 * 1500).toBe(pooled);
      let evaluations = 0;
      const pool = {
        size: 2,
        sample: async (m: MPS, o: { count: number; seed: number }) => sample(m, o),
        sampleLogProbabilities: async (m: MPS, batch: { data: Int32Array; count: number }) => {
          evaluations++;
          return sampleLogProbabilities(m, batch);
        },
        logProbabilities: async () => {
          throw new Error('not used by disconnected chains');
        },
      } as unknown as SamplerPool;
      const common = {
        model,
        scheme: { kind: 'disconnected' as const },
        proposal: mps,
        chains: 128,
        steps: 3,
        localSweeps: 1,
        seed: 9,
      };
      const withPool = await runChains({ ...common, pool });
      const alone = await runChains(common);
      expect(evaluations).toBe(pooled ? 3 : 0);
      expect(Array.from(withPool.final.data)).toEqual(Array.from(alone.final.data));
      expect(Array.from(withPool.accepted)).toEqual(Array.from(alone.accepted));
    },
  );
});

describe('runChains default starting states', () => {
  it('starts DDM chains from allowed draws of the proposal, where the initial configuration has no mass', async () => {
    const model = isingModel.create({ lx: 2, ly: 2, beta: 0.3 });
    // P(x_0 = 1) = 0: the model's initial configuration (all ones) is impossible under P
    const mps = productState([
      [1, 0],
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    for (const scheme of [
      { kind: 'disconnected' as const },
      { kind: 'connected' as const, noiseTime: 0.3 },
    ]) {
      const result = await runChains({
        model,
        proposal: mps,
        scheme,
        chains: 8,
        steps: 20,
        seed: 4,
      });
      expect(result.acceptanceRate).toBeGreaterThan(0);
      for (let c = 0; c < 8; c++) expect(result.final.data[c * 4]).toBe(0);
    }
    // an explicit start with no mass is still refused, naming the proposal
    await expect(
      runChains({
        model,
        proposal: mps,
        scheme: { kind: 'disconnected' },
        chains: 1,
        steps: 1,
        seed: 4,
        initial: { data: new Int32Array([1, 1, 1, 1]), count: 1 },
      }),
    ).rejects.toThrow("P_theta(x) = 0 at chain 0's start");
  });

  it("names a start that neither a draw nor the initial configuration allows by the chain's number in the whole run (a thread's group)", async () => {
    // every draw is the path 000000 (forbidden: it starts downwards), and the fallback, the
    // model's flat path 101010, has P = 0
    const model = fredkinModel.create({ sites: 6, c: 0.5 });
    const mps = productState(Array.from({ length: 6 }, () => [1, 0]));
    const options = {
      model,
      proposal: mps,
      scheme: { kind: 'disconnected' as const },
      chains: 4,
      steps: 1,
      seed: 2,
    };
    await expect(runChainsFrom(options, 256, false, 300)).rejects.toThrow(
      "P_theta(x) = 0 at chain 256's start",
    );
    await expect(runChains(options)).rejects.toThrow("P_theta(x) = 0 at chain 0's start");
  });
});
