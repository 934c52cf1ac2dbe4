/**
 * nllLearner in monte-carlo's learning loop (`learnByMonteCarlo({ learner })`): a MADE or a
 * PixelCNN trained by forward NLL on the loop's chains resumes bit for bit from the loop's
 * checkpoint, other learner settings are refused as another run's checkpoint, and the loop's
 * chains with a deliberately poor network are exact (every observable within 4 standard errors
 * of its exact value, error bars from monte-carlo's `summarize`). Imports the built package.
 */
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import {
  CheckpointMismatchError,
  type CheckpointStore,
  learnByMonteCarlo,
  type ProposalLearnerFactory,
  type RoundReport,
  summarize,
} from '@latticediff/monte-carlo';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  type NetworkLearner,
  type NLLLearnerFactory,
  nllLearner,
} from '../dist/index.js';

function memoryStore(): CheckpointStore & { text?: string } {
  const store: CheckpointStore & { text?: string } = {
    save: (t) => {
      store.text = t;
    },
    load: () => store.text,
  };
  return store;
}

/** Reports without their wall-clock fields. */
function timeless(reports: readonly RoundReport[]) {
  return reports.map(({ samplingSeconds, trainingSeconds, essPerSecond, ...rest }) => rest);
}

beforeAll(async () => {
  await initBackend('wasm');
});

const fredkin = { sites: 8, c: 0.55 };
const ising = isingModel.create({ lx: 3, ly: 3, beta: 0.3 });

const runs = [
  {
    name: 'MADE on Fredkin N = 8',
    options: {
      model: fredkinModel,
      path: [fredkin, fredkin, fredkin],
      localSweeps: 2,
      replayRounds: 2,
    },
    learner: (epochs: number): NLLLearnerFactory =>
      nllLearner({ network: { kind: 'made' }, epochs, batch: 64, learningRate: 3e-3 }),
  },
  {
    name: 'PixelCNN on Ising 3 x 3',
    options: {
      model: isingModel,
      path: [
        { lx: 3, ly: 3, beta: 0.1 },
        { lx: 3, ly: 3, beta: 0.3 },
      ],
    },
    learner: (epochs: number): NLLLearnerFactory =>
      nllLearner({
        network: {
          kind: 'pixelcnn',
          geometry: ising.geometry,
          channels: 4,
          depth: 2,
          periodic: ising.geometry.periodic,
        },
        epochs,
        batch: 64,
        learningRate: 3e-3,
      }),
  },
] as const;

describe('nllLearner in learnByMonteCarlo', () => {
  it.each(runs)('$name: resumes bit for bit; other settings are another run', async (c) => {
    const common = { ...c.options, chains: 16, stepsPerRound: 16, burnIn: 2, seed: 3 };
    const whole = await learnByMonteCarlo({ ...common, learner: c.learner(2) });
    expect(whole.finished).toBe(true);
    const store = memoryStore();
    const part = await learnByMonteCarlo({
      ...common,
      learner: c.learner(2),
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(part.roundsCompleted).toBe(1);
    const state = JSON.parse(store.text!) as { format: string; trainer: string };
    expect(state.format).toBe('latticediff.learning');
    // the state's trainer is the network's checkpoint
    expect(state.trainer).toBe(part.learner.save());
    expect(JSON.parse(state.trainer).format).toMatch(/^latticediff\.(made|pixelcnn)$/);
    part.learner.dispose();
    // a fresh factory, as in a new process
    const resumed = await learnByMonteCarlo({
      ...common,
      learner: c.learner(2),
      checkpoint: store,
    });
    expect(resumed.finished).toBe(true);
    expect(resumed.learner.save()).toBe(whole.learner.save());
    expect(Array.from(resumed.chainStates)).toEqual(Array.from(whole.chainStates));
    expect(timeless(resumed.reports)).toEqual(timeless(whole.reports));
    for (const r of whole.reports) {
      expect(r.nllAfter).toBeLessThan(r.nllBefore);
      expect(r.quality!.count).toBe(2048);
    }
    resumed.learner.dispose();
    whole.learner.dispose();
    let caught: unknown;
    try {
      await learnByMonteCarlo({ ...common, learner: c.learner(3), checkpoint: store });
    } catch (error) {
      caught = error;
    }
    expect(CheckpointMismatchError.isInstance(caught)).toBe(true);
  });

  it('is a ProposalLearnerFactory of monte-carlo (checked by the compiler) and refuses bad options', () => {
    const factory: ProposalLearnerFactory<NetworkLearner> = nllLearner({
      network: { kind: 'made', hidden: 16 },
      epochs: 1,
    });
    expect(factory.fingerprint).toEqual({
      learner: 'neural-nll',
      network: { kind: 'made', hidden: 16 },
      epochs: 1,
      batch: 256,
      learningRate: 1e-3,
    });
    expect(() => nllLearner({ network: { kind: 'made' }, epochs: 0 })).toThrow(
      /`epochs` passed to `nllLearner`/,
    );
    expect(() => nllLearner({ network: { kind: 'rnn' } as never, epochs: 1 })).toThrow(
      /`network` passed to `nllLearner`/,
    );
  });

  it.each([
    // practically untrained (learning rate 1e-6), measured with seed 22: 2.1% of its draws are
    // Dyck paths, KL(pi || q) 5.2 ± 0.5 nats, acceptance 0.002: local sweeps move the chains
    // between its rare accepted proposals
    ['Fredkin N = 16, c = 0.6', fredkinModel, { sites: 16, c: 0.6 }, 'midHeight', 2],
    // measured: KL(pi || q) 5.1 ± 1.2 nats, acceptance 0.06
    [
      'Ising 4x4 cylinder, beta 0.4',
      isingModel,
      { lx: 4, ly: 4, beta: 0.4 },
      'absMagnetization',
      1,
    ],
  ] as const)(
    '%s with a deliberately poor network: the chains are exact (within 4 standard errors)',
    async (_, model, parameters, orderParameter, localSweeps) => {
      const instance = model.create(parameters as never);
      const exact = instance.exactObservables!();
      const factory = nllLearner({ network: { kind: 'made' }, epochs: 1, learningRate: 1e-6 });
      // the samples of the second round: proposed by the network after one round of training
      const seen: Int32Array[] = [];
      const recording: typeof factory = {
        ...factory,
        create: (context) => {
          const learner = factory.create(context);
          return {
            ...learner,
            get proposal() {
              return learner.proposal;
            },
            train: (data, context) => {
              seen.push(data.data.slice());
              learner.train(data, context);
            },
          };
        },
      };
      const chains = 16;
      const steps = 1500;
      const result = await learnByMonteCarlo({
        model,
        path: [parameters, parameters] as never,
        chains,
        stepsPerRound: steps,
        burnIn: 100,
        localSweeps,
        seed: 22,
        learner: recording,
      });
      const quality = result.reports[1]!.quality!;
      expect(quality.kl).toBeGreaterThan(1); // poor indeed
      const n = instance.sites;
      const data = seen[1]!;
      expect(data.length).toBe(chains * steps * n);
      for (const name of ['energyPerSite', orderParameter]) {
        const values = instance.observe(name, { data, count: chains * steps });
        const series = Array.from({ length: chains }, (_, k) =>
          values.subarray(k * steps, (k + 1) * steps),
        );
        const s = summarize(series);
        expect(s.windowConverged, name).toBe(true);
        expect(Math.abs(s.mean - (exact.means[name] as number)), name).toBeLessThan(4 * s.stdErr);
      }
      expect(result.reports[1]!.acceptanceRate).toBeGreaterThan(0);
      result.learner.dispose();
    },
  );
});
