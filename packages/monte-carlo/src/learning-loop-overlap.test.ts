/**
 * learnByMonteCarlo with `overlapRounds`: round r's chains propose with the model trained
 * through round r - 2 (while round r - 1 trains), the state holds that proposal, an interrupted
 * run resumes to the bit, and the option is part of the fingerprint. (The same results on a
 * pool and on threads: chains-pool.test.ts and node/parallel-chains.test.ts.)
 */
import { enumerateConfigurations } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { logProbabilities, type MPS, serializeMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { runChains } from './chains';
import { CheckpointMismatchError } from './errors';
import {
  type CheckpointStore,
  learnByMonteCarlo,
  type ProposalLearnerFactory,
} from './learning-loop';
import { timelessLearning } from './learning-result.test-helper';
import { memoryStore } from './memory-store.test-helper';
import { initialBornMPS } from './sweep-training';

const target = { lx: 2, ly: 4, beta: 0.35 };
const instance = isingModel.create(target);
const all = enumerateConfigurations(8, 2);
const logW = Array.from(instance.energy(all), (e) => -instance.beta * e);
const maxW = Math.max(...logW);
const w = logW.map((l) => Math.exp(l - maxW));
const z = w.reduce((a, b) => a + b, 0);
const pi = w.map((v) => v / z);
const kl = (mps: MPS) => {
  const lq = logProbabilities(mps, all);
  return pi.reduce((acc, p, k) => acc + p * (Math.log(p) - lq[k]!), 0);
};

const options = {
  model: isingModel,
  path: [0.1, 0.2, 0.3, 0.35, 0.35, 0.35].map((beta) => ({ lx: 2, ly: 4, beta })),
  kind: 'born' as const,
  training: 'sweeps' as const,
  bondDim: 6,
  chains: 32,
  stepsPerRound: 32,
  sweepsPerRound: 2,
  replayRounds: 2,
  learningRate: 0.05,
  seed: 23,
  overlapRounds: true,
};

/** A store that keeps every state saved (the last one is loaded). */
function recordingStore(): CheckpointStore & { saves: string[] } {
  const saves: string[] = [];
  return {
    saves,
    load: async () => saves[saves.length - 1],
    save: async (text) => {
      saves.push(text);
    },
  };
}

describe('learnByMonteCarlo with overlapRounds', () => {
  it("round r's chains propose with the model trained through round r - 2, and it still learns", async () => {
    const proposals: string[] = [];
    const store = recordingStore();
    const result = await learnByMonteCarlo({
      ...options,
      checkpoint: store,
      chainRunner: (o) => {
        proposals.push(serializeMPS(o.proposal as MPS));
        return runChains(o);
      },
    });
    expect(result.finished).toBe(true);
    const states = store.saves.map((text) => JSON.parse(text));
    expect(proposals).toHaveLength(6);
    // rounds 0 and 1: the initial model (the default run's round 0 proposes with it too)
    const initial: string[] = [];
    await learnByMonteCarlo({
      ...options,
      overlapRounds: false,
      path: options.path.slice(0, 1),
      chainRunner: (o) => {
        initial.push(serializeMPS(o.proposal as MPS));
        return runChains(o);
      },
    });
    expect(proposals[0]).toBe(initial[0]);
    expect(proposals[1]).toBe(initial[0]);
    for (let r = 2; r < 6; r++) {
      // the sweep learner's saved trainer is its MPS after that round's training
      expect(proposals[r]).toBe(states[r - 2].trainer);
      expect(proposals[r]).not.toBe(states[r - 1].trainer);
    }
    // each state holds the proposal of the next round's chains
    for (let r = 0; r < 5; r++) expect(states[r].chainProposal).toBe(proposals[r + 1]);
    expect(result.reports.map((r) => r.round)).toEqual([0, 1, 2, 3, 4, 5]);
    const initialKL = Math.log(256) - pi.reduce((acc, p) => acc - p * Math.log(p), 0);
    // measured here: 0.98 -> 0.066
    expect(kl(result.mps)).toBeLessThan(initialKL / 4);
  });

  it('an interrupted run resumes to the bit, wherever it stopped', async () => {
    const whole = timelessLearning(await learnByMonteCarlo(options));
    for (const first of [1, 2, 5]) {
      const store = memoryStore();
      await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: first });
      // and once more in pieces of one round
      await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: 1 });
      const resumed = await learnByMonteCarlo({ ...options, checkpoint: store });
      expect(resumed.finished).toBe(true);
      expect(timelessLearning(resumed)).toEqual(whole);
    }
  });

  it('is part of the fingerprint, differs from the default run, and is checked', async () => {
    const store = memoryStore();
    const plain = await learnByMonteCarlo({
      ...options,
      overlapRounds: false,
      checkpoint: store,
      maxRoundsThisCall: 3,
    });
    expect(plain.roundsCompleted).toBe(3);
    await expect(learnByMonteCarlo({ ...options, checkpoint: store })).rejects.toThrow(
      CheckpointMismatchError,
    );
    // rounds 0 and 1 propose with the same model either way; round 2 does not
    const overlapped = await learnByMonteCarlo({ ...options, maxRoundsThisCall: 3 });
    expect(overlapped.reports[0]).toEqual({
      ...plain.reports[0],
      samplingSeconds: overlapped.reports[0]!.samplingSeconds,
      trainingSeconds: overlapped.reports[0]!.trainingSeconds,
      essPerSecond: overlapped.reports[0]!.essPerSecond,
    });
    expect(overlapped.reports[2]!.acceptanceRate).not.toBe(plain.reports[2]!.acceptanceRate);
    await expect(learnByMonteCarlo({ ...options, overlapRounds: 1 as never })).rejects.toThrow(
      '`overlapRounds` passed to `learnByMonteCarlo` must be true or false',
    );
  });

  it('resumes to the bit with a chain runner that writes into its initial states', async () => {
    // the states saved after round r are round r's final ones, not what the next round's
    // chains (run during round r's training) did to the array they were given
    const writing: typeof runChains = async (o) => {
      const run = await runChains(o);
      (o.initial as { data: Int32Array }).data.set(run.final.data);
      return run;
    };
    const saves = recordingStore();
    const whole = timelessLearning(
      await learnByMonteCarlo({ ...options, chainRunner: writing, checkpoint: saves }),
    );
    // a run killed after any save (the next round's chains had run) resumes to the same end
    for (const k of [1, 3]) {
      const store = memoryStore();
      await store.save(saves.saves[k]!);
      const resumed = await learnByMonteCarlo({
        ...options,
        chainRunner: writing,
        checkpoint: store,
      });
      expect(timelessLearning(resumed)).toEqual(whole);
    }
  });

  it('fails with the training error, after both parts settled, when the next chains throw at once', async () => {
    // a learner whose training fails late and a runner that throws synchronously when asked
    // for round 1's chains: the call rejects with the training's error (no unhandled rejection)
    let trainingEnded = false;
    const mps = initialBornMPS({ length: 8, seed: 1 });
    const learner: ProposalLearnerFactory = {
      fingerprint: { kind: 'late failure' },
      create: () => ({
        proposal: mps,
        logProbabilities: (batch) => logProbabilities(mps, batch),
        train: async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          trainingEnded = true;
          throw new Error('training failed late');
        },
        save: () => '',
      }),
      restore: () => {
        throw new Error('not resumed here');
      },
    };
    let calls = 0;
    const runner = ((o: Parameters<typeof runChains>[0]) => {
      if (++calls === 2) throw new Error('runner threw at once');
      return runChains(o);
    }) as typeof runChains;
    await expect(
      learnByMonteCarlo({
        model: isingModel,
        path: options.path.slice(0, 2),
        chains: 8,
        stepsPerRound: 4,
        seed: 3,
        learner,
        overlapRounds: true,
        chainRunner: runner,
      }),
    ).rejects.toThrow('training failed late');
    expect(trainingEnded).toBe(true);
  });

  it('completes a round whose run-ahead chains failed, and runs them again in the next round', async () => {
    const whole = timelessLearning(await learnByMonteCarlo(options));
    // the 3rd call is round 2's chains, run during round 1's training: they fail once
    let calls = 0;
    const flaky: typeof runChains = async (o) => {
      if (++calls === 3) throw new Error('a worker died');
      return runChains(o);
    };
    expect(timelessLearning(await learnByMonteCarlo({ ...options, chainRunner: flaky }))).toEqual(
      whole,
    );
    expect(calls).toBe(7);
    // failing for good: round 1 is completed and saved, round 2 fails with the runner's error
    const store = memoryStore();
    let count = 0;
    const broken: typeof runChains = async (o) => {
      if (++count >= 3) throw new Error('the runner is broken');
      return runChains(o);
    };
    await expect(
      learnByMonteCarlo({ ...options, chainRunner: broken, checkpoint: store }),
    ).rejects.toThrow('the runner is broken');
    expect(JSON.parse(store.text!).roundsCompleted).toBe(2);
  });

  it("refuses a checkpoint whose chains' proposal is missing or unreadable, naming it", async () => {
    const store = memoryStore();
    await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: 2 });
    const state = JSON.parse((await store.load())!);
    for (const chainProposal of [undefined, 'not an mps']) {
      const edited = memoryStore();
      await edited.save(JSON.stringify({ ...state, chainProposal }));
      await expect(learnByMonteCarlo({ ...options, checkpoint: edited })).rejects.toThrow(
        '`checkpoint` passed to `learnByMonteCarlo`',
      );
    }
  });
});
