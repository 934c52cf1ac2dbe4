/**
 * learnByMonteCarlo with a custom learner (a `ProposalLearnerFactory`): a product distribution
 * q(x) = prod_i p_i(x_i), fitted to a bootstrap resample of each round's data, stands in for a
 * network (pure float64 JavaScript, fast, with randomness in its training). Checked: it runs and
 * improves, resumes bit for bit, its settings are part of the fingerprint, the MPS learners'
 * options and the connected scheme are refused by name, and the MPS runs keep their fingerprints.
 * Also: proposalQuality of an independence proposal is the MPS estimator on the same draws.
 */
import { physicsBornMPS } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { createRandom, InvalidArgumentError, sample } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type { IndependenceProposal } from './chains';
import { CheckpointMismatchError } from './errors';
import {
  type ConfigurationRows,
  type LearnerTrainingContext,
  learnByMonteCarlo,
  type ProposalLearner,
  type ProposalLearnerFactory,
  type RoundReport,
} from './learning-loop';
import { memoryStore } from './memory-store.test-helper';
import { proposalQuality } from './proposal-quality';

/** A product distribution over N sites of d states that trains by counting (see the comment). */
class ProductLearner implements ProposalLearner {
  disposed = false;
  constructor(
    readonly d: number,
    /** p[i * d + x], float64. */
    public p: Float64Array,
    readonly smoothing: number,
  ) {}

  get sites(): number {
    return this.p.length / this.d;
  }

  get proposal(): IndependenceProposal {
    const n = this.sites;
    const d = this.d;
    return {
      sites: n,
      localDimension: d,
      // asynchronous on purpose: the loop awaits independence proposals
      sample: async (count, seed) => {
        const random = createRandom(seed);
        const data = new Int32Array(count * n);
        for (let b = 0; b < count; b++) {
          for (let i = 0; i < n; i++) {
            let u = random.float64();
            let x = 0;
            while (x < d - 1 && u >= this.p[i * d + x]!) u -= this.p[i * d + x++]!;
            data[b * n + i] = x;
          }
        }
        return { data, logProbabilities: this.logProbabilities({ data, count }) };
      },
      logProbabilities: (batch) => this.logProbabilities(batch),
    };
  }

  logProbabilities(batch: ConfigurationRows): Float64Array {
    const n = this.sites;
    const out = new Float64Array(batch.count);
    for (let b = 0; b < batch.count; b++) {
      let lp = 0;
      for (let i = 0; i < n; i++) lp += Math.log(this.p[i * this.d + batch.data[b * n + i]!]!);
      out[b] = lp;
    }
    return out;
  }

  train(data: ConfigurationRows, { random }: LearnerTrainingContext): void {
    const n = this.sites;
    const counts = new Float64Array(this.p.length).fill(this.smoothing);
    for (let k = 0; k < data.count; k++) {
      const b = Math.floor(random.float64() * data.count);
      for (let i = 0; i < n; i++) counts[i * this.d + data.data[b * n + i]!]! += 1;
    }
    const total = data.count + this.d * this.smoothing;
    this.p = counts.map((c) => c / total);
  }

  save(): string {
    return JSON.stringify({ d: this.d, p: Array.from(this.p) });
  }

  dispose(): void {
    this.disposed = true;
  }
}

function productLearner(smoothing: number): ProposalLearnerFactory<ProductLearner> {
  return {
    fingerprint: { kind: 'product', smoothing },
    create: ({ sites, localDimension, random }) => {
      // a little seeded noise on the uniform distribution
      const p = new Float64Array(sites * localDimension);
      for (let i = 0; i < sites; i++) {
        let sum = 0;
        for (let x = 0; x < localDimension; x++) {
          p[i * localDimension + x] = 1 + 0.1 * random.float64();
          sum += p[i * localDimension + x]!;
        }
        for (let x = 0; x < localDimension; x++) p[i * localDimension + x]! /= sum;
      }
      return new ProductLearner(localDimension, p, smoothing);
    },
    restore: (text) => {
      const { d, p } = JSON.parse(text) as { d: number; p: number[] };
      return new ProductLearner(d, Float64Array.from(p), smoothing);
    },
  };
}

const target = { lx: 2, ly: 4, beta: 0.2 };
const options = {
  model: isingModel,
  path: [target, target, target],
  chains: 16,
  stepsPerRound: 32,
  burnIn: 4,
  replayRounds: 2,
  seed: 5,
  learner: productLearner(0.5),
};

/** Reports without their wall-clock fields. */
function timeless(reports: readonly RoundReport[]) {
  return reports.map(({ samplingSeconds, trainingSeconds, essPerSecond, ...rest }) => rest);
}

describe('learnByMonteCarlo with a custom learner', () => {
  it('refuses overlapRounds for a proposal that is not an MPS, and disposes the learner', async () => {
    const created: ProductLearner[] = [];
    const factory = productLearner(0.5);
    await expect(
      learnByMonteCarlo({
        ...options,
        overlapRounds: true,
        learner: {
          ...factory,
          create: (context) => {
            const learner = factory.create(context) as ProductLearner;
            created.push(learner);
            return learner;
          },
        },
      }),
    ).rejects.toThrow('`overlapRounds` passed to `learnByMonteCarlo`');
    expect(created).toHaveLength(1);
    expect(created[0]!.disposed).toBe(true);
  });

  it('samples with its proposal (disconnected by default), trains it and reports its quality', async () => {
    const result = await learnByMonteCarlo(options);
    expect(result.finished).toBe(true);
    expect(result.learner).toBeInstanceOf(ProductLearner);
    expect(result).not.toHaveProperty('mps');
    expect(result.reports).toHaveLength(3);
    for (const r of result.reports) {
      // training on the samples lowers their NLL; the product cannot reach the entropy
      expect(r.nllAfter).toBeLessThanOrEqual(r.nllBefore);
      expect(r.acceptanceRate).toBeGreaterThan(0);
      expect(r.quality!.count).toBe(2048);
      expect(r.quality!.allowedFraction).toBe(1);
      expect(r.quality!.kl).toBeGreaterThan(0);
      expect(Number.isFinite(r.quality!.klStdErr)).toBe(true);
    }
    // the quality figures are those of proposalQuality on the learner's proposal
    const instance = isingModel.create(target);
    const q = await proposalQuality(instance, result.learner.proposal, {
      count: 2048,
      seed: createRandom(5).split(3_000_000 + 2),
    });
    expect(result.reports[2]!.quality).toEqual(q);
  });

  it('resumes bit for bit from its checkpoint, whose trainer is the learner’s save()', async () => {
    const whole = await learnByMonteCarlo(options);
    const store = memoryStore();
    const part = await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: 1 });
    expect(part.roundsCompleted).toBe(1);
    expect(JSON.parse(store.text!).trainer).toBe(part.learner.save());
    const resumed = await learnByMonteCarlo({ ...options, checkpoint: store });
    expect(resumed.finished).toBe(true);
    expect(resumed.learner.save()).toBe(whole.learner.save());
    expect(Array.from(resumed.chainStates)).toEqual(Array.from(whole.chainStates));
    expect(timeless(resumed.reports)).toEqual(timeless(whole.reports));
    // the learner's settings are part of the fingerprint
    const other = memoryStore();
    await learnByMonteCarlo({ ...options, checkpoint: other, maxRoundsThisCall: 1 });
    let caught: unknown;
    try {
      await learnByMonteCarlo({ ...options, learner: productLearner(1), checkpoint: other });
    } catch (error) {
      caught = error;
    }
    expect(CheckpointMismatchError.isInstance(caught)).toBe(true);
    // ... and a learner cannot take up an MPS run's checkpoint
    const mps = memoryStore();
    await learnByMonteCarlo({
      model: isingModel,
      path: [target],
      chains: 4,
      stepsPerRound: 4,
      seed: 5,
      checkpoint: mps,
    });
    await expect(learnByMonteCarlo({ ...options, checkpoint: mps })).rejects.toThrow(
      /different run/,
    );
  });

  it('takes held-out chains and symmetry images like the MPS learners', async () => {
    const seen: { count: number; validation?: number }[] = [];
    const factory = productLearner(0.5);
    const spy: ProposalLearnerFactory<ProductLearner> = {
      ...factory,
      create: (context) => {
        const learner = factory.create(context) as ProductLearner;
        const train = learner.train.bind(learner);
        learner.train = (data, context) => {
          seen.push({ count: data.count, validation: context.validation?.count });
          train(data, context);
        };
        return learner;
      },
    };
    const result = await learnByMonteCarlo({
      ...options,
      learner: spy,
      path: [target],
      validationFraction: 0.25,
      symmetryImages: 2,
    });
    // 12 training chains x 32 steps, two images each; 4 held-out chains x 32 steps
    expect(seen).toEqual([{ count: 2 * 12 * 32, validation: 4 * 32 }]);
    expect(result.reports[0]!.validationNll).toBeGreaterThan(0);
  });

  it('refuses the MPS learners’ options and the connected scheme by name', async () => {
    const refused: [string, unknown][] = [
      ['maxBondDim', 4],
      ['bondDim', 4],
      ['kind', 'born'],
      ['training', 'adam'],
      ['sweepsPerRound', 2],
      ['restart', true],
      ['cutoff', 1e-3],
      ['patience', 2],
      ['epochsPerRound', 3],
      ['batchSize', 64],
      ['learningRate', 0.1],
      ['initialMPS', physicsBornMPS(isingModel.create(target), { maxBondDim: 2 }).mps],
    ];
    for (const [name, value] of refused) {
      await expect(learnByMonteCarlo({ ...options, [name]: value } as never), name).rejects.toThrow(
        new RegExp(
          `\`${name}\` passed to \`learnByMonteCarlo\` must be absent with a custom learner`,
        ),
      );
    }
    let created: ProductLearner | undefined;
    const factory = productLearner(0.5);
    let caught: unknown;
    try {
      await learnByMonteCarlo({
        ...options,
        scheme: { kind: 'connected', noiseTime: 0.5 },
        learner: {
          ...factory,
          create: (context) => {
            created = factory.create(context) as ProductLearner;
            return created;
          },
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as InvalidArgumentError).argument).toBe('scheme');
    expect((caught as Error).message).toMatch(/"disconnected" .* not an MPS/);
    expect(created!.disposed).toBe(true);
    await expect(
      learnByMonteCarlo({ ...options, learner: { fingerprint: 1 } as never }),
    ).rejects.toThrow(/`learner` passed to `learnByMonteCarlo` must be a ProposalLearnerFactory/);
    await expect(
      learnByMonteCarlo({ ...options, learner: { ...factory, fingerprint: undefined } }),
    ).rejects.toThrow(/`learner\.fingerprint`/);
    // a learner over other sites
    await expect(
      learnByMonteCarlo({
        ...options,
        learner: { ...factory, create: (c) => factory.create({ ...c, sites: 3 }) },
      }),
    ).rejects.toThrow(/`learner` .* a proposal of 3 sites/);
  });
});

describe('learnByMonteCarlo with the MPS learners', () => {
  it('keeps the fingerprint of earlier releases (their checkpoints resume)', async () => {
    // the fingerprint text of this run before custom learners existed (recorded then)
    const store = memoryStore();
    await learnByMonteCarlo({
      model: isingModel,
      path: [
        { lx: 3, ly: 2, beta: 0.1 },
        { lx: 3, ly: 2, beta: 0.3 },
      ],
      maxBondDim: 3,
      chains: 8,
      stepsPerRound: 8,
      burnIn: 2,
      seed: 5,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(JSON.parse(store.text!).fingerprint).toBe(
      '{"model":"ising","schedule":[{"lx":3,"ly":2,"beta":0.1},{"lx":3,"ly":2,"beta":0.3}],"bondDim":3,"kind":"linear","scheme":{"kind":"connected","noiseTime":0.5},"chains":8,"steps":8,"burnIn":2,"epochs":4,"batchSize":256,"seed":5,"lr":0.02,"training":"adam","sweepsPerRound":1,"cutoff":0.0001,"replayRounds":1}',
    );
  });
});

describe('proposalQuality of an independence proposal', () => {
  it('is the estimator of the MPS on the same draws (synchronous or asynchronous draws)', async () => {
    const instance = fredkinModel.create({ sites: 8, c: 0.6 });
    const mps = physicsBornMPS(isingModel.create({ lx: 2, ly: 4, beta: 0.3 }), {
      maxBondDim: 2,
    }).mps;
    const draw = (count: number, seed: number) => sample(mps, { count, seed });
    const proposal = (asynchronous: boolean): IndependenceProposal => ({
      sites: 8,
      localDimension: 2,
      sample: asynchronous ? async (c, s) => draw(c, s) : draw,
      logProbabilities: () => new Float64Array(0),
    });
    const direct = proposalQuality(instance, mps, { count: 500, seed: 9 });
    // an MPS over all 2^8 configurations puts part of its mass off the Dyck paths
    expect(direct.allowedFraction).toBeGreaterThan(0);
    expect(direct.allowedFraction).toBeLessThan(1);
    expect(await proposalQuality(instance, proposal(false), { count: 500, seed: 9 })).toEqual(
      direct,
    );
    expect(await proposalQuality(instance, proposal(true), { count: 500, seed: 9 })).toEqual(
      direct,
    );
    // a generator gives the proposal 53 bits of its stream as the seed, as runChains does
    const g = createRandom(4);
    const seed = g.uint32() * 2097152 + (g.uint32() >>> 11);
    expect(
      await proposalQuality(instance, proposal(true), { count: 500, seed: createRandom(4) }),
    ).toEqual(proposalQuality(instance, mps, { count: 500, seed }));
    await expect(
      proposalQuality(instance, { ...proposal(false), sites: 6 }, { count: 500, seed: 9 }),
    ).rejects.toThrow(/`proposal` passed to `proposalQuality`/);
  });
});
