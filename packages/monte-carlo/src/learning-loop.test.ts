import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enumerateConfigurations, physicsBornMPS } from '@latticediff/lattice';
import { isingModel } from '@latticediff/model-ising';
import { logProbabilities, type MPS } from '@latticediff/tensor-network';
import { decodeDigits, encodeDigits } from '@latticediff/tensor-network/internal';
import { describe, expect, it } from 'vitest';
import { annealingPath, type CheckpointStore, learnByMonteCarlo } from './learning-loop';
import { memoryStore } from './memory-store.test-helper';
import { fileCheckpoint } from './node/file-checkpoint';

const target = { lx: 2, ly: 4, beta: 0.35 };
const instance = isingModel.create(target);
const all = enumerateConfigurations(8, 2);
const energy = instance.energy(all);
const logW = Array.from(energy, (e) => -instance.beta * e);
const maxW = Math.max(...logW);
const w = logW.map((l) => Math.exp(l - maxW));
const z = w.reduce((a, b) => a + b, 0);
const pi = w.map((v) => v / z);

function kl(mps: MPS): number {
  const lq = logProbabilities(mps, all);
  return pi.reduce((acc, p, k) => acc + p * (Math.log(p) - lq[k]!), 0);
}

const options = {
  model: isingModel,
  path: annealingPath(target, { parameter: 'beta', from: 0.05, rounds: 8, hold: 3 }),
  bondDim: 4,
  chains: 32,
  stepsPerRound: 32,
  epochsPerRound: 10,
  learningRate: 0.05,
  seed: 11,
};

describe('learnByMonteCarlo', () => {
  it('anneals to the target and reduces the exact KL divergence to it', async () => {
    const reports: number[] = [];
    const result = await learnByMonteCarlo({ ...options, onRound: (r) => reports.push(r.round) });
    expect(result.finished).toBe(true);
    expect(reports).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(result.reports[0]!.parameters.beta).toBeCloseTo(0.05, 15);
    expect(result.reports[7]!.parameters.beta).toBeCloseTo(0.35, 15);
    const initialKL = Math.log(256) - pi.reduce((acc, p) => acc - p * Math.log(p), 0); // KL(pi || uniform)
    const final = kl(result.mps);
    // measured here: 0.98 -> 0.15
    expect(final).toBeLessThan(initialKL / 4);
    for (const r of result.reports) {
      expect(r.acceptanceRate).toBeGreaterThan(0);
      expect(Number.isFinite(r.nllAfter)).toBe(true);
    }
  });

  it('an interrupted run resumed from its checkpoint reaches the same result as an uninterrupted one', async () => {
    const whole = await learnByMonteCarlo(options);
    const store = memoryStore();
    const part = await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: 3 });
    expect(part.finished).toBe(false);
    expect(part.roundsCompleted).toBe(3);
    const resumed = await learnByMonteCarlo({ ...options, checkpoint: store });
    expect(resumed.finished).toBe(true);
    expect(resumed.reports.map((r) => r.round)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    whole.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
    expect(Array.from(resumed.chainStates)).toEqual(Array.from(whole.chainStates));
  });

  it('writes checkpoint files atomically and refuses a checkpoint of another run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latticediff-'));
    const path = join(dir, 'run.json');
    await learnByMonteCarlo({ ...options, checkpoint: fileCheckpoint(path), maxRoundsThisCall: 1 });
    expect(readdirSync(dir)).toEqual(['run.json']); // no temporary files left behind
    expect(JSON.parse(readFileSync(path, 'utf8')).roundsCompleted).toBe(1);
    await expect(
      learnByMonteCarlo({ ...options, seed: 12, checkpoint: fileCheckpoint(path) }),
    ).rejects.toThrow(/different run/);
    writeFileSync(path, '{"format": "latticediff.learning", "vers');
    await expect(
      learnByMonteCarlo({ ...options, checkpoint: fileCheckpoint(path) }),
    ).rejects.toThrow(/`checkpoint`/);
  });

  it('rejects bad options', async () => {
    await expect(learnByMonteCarlo({ ...options, path: [] })).rejects.toThrow(/`path`/);
    await expect(learnByMonteCarlo({ ...options, bondDim: 0 })).rejects.toThrow(/`bondDim`/);
    await expect(learnByMonteCarlo({ ...options, path: [{ lx: 2, ly: 1 }] })).rejects.toThrow(/ly/);
    expect(() => annealingPath(target, { parameter: 'nope', from: 0, rounds: 2 })).toThrow(
      /`parameter`/,
    );
    // checked first, naming themselves (chains 0 was reported as a bad validationFraction, an
    // unknown kind by randomMPS, a bad scheme by runChains after the set-up)
    await expect(learnByMonteCarlo({ ...options, chains: 0 })).rejects.toThrow(
      '`chains` passed to `learnByMonteCarlo`',
    );
    await expect(learnByMonteCarlo({ ...options, kind: 'quantum' as never })).rejects.toThrow(
      '`kind` passed to `learnByMonteCarlo`',
    );
    // before any round (a bad onRound failed after round 0 had run and been saved; the limit
    // took -1, NaN, 1.5 and '1')
    // named here, not by MPSTrainer.epoch, trainBornSweeps or runChains after the set-up
    await expect(learnByMonteCarlo({ ...options, batchSize: 0 })).rejects.toThrow(
      '`batchSize` passed to `learnByMonteCarlo`',
    );
    await expect(learnByMonteCarlo({ ...options, cutoff: 2 })).rejects.toThrow(
      '`cutoff` passed to `learnByMonteCarlo` must be a number in [0, 1)',
    );
    await expect(learnByMonteCarlo({ ...options, pool: {} as never })).rejects.toThrow(
      '`pool` passed to `learnByMonteCarlo` must be a SamplerPool',
    );
    const store = memoryStore();
    await expect(
      learnByMonteCarlo({ ...options, checkpoint: store, onRound: 'x' as never }),
    ).rejects.toThrow('`onRound` passed to `learnByMonteCarlo` must be a function');
    expect(store.text).toBeUndefined();
    for (const limit of [-1, 0, Number.NaN, 1.5, '1']) {
      await expect(
        learnByMonteCarlo({ ...options, maxRoundsThisCall: limit as never }),
      ).rejects.toThrow(
        '`maxRoundsThisCall` passed to `learnByMonteCarlo` must be a positive integer',
      );
    }
    await expect(
      learnByMonteCarlo({ ...options, scheme: { kind: 'sideways' } as never }),
    ).rejects.toThrow('`scheme` passed to `learnByMonteCarlo`');
    await expect(
      learnByMonteCarlo({ ...options, scheme: { kind: 'connected', noiseTime: -1 } }),
    ).rejects.toThrow('`scheme.noiseTime` passed to `learnByMonteCarlo`');
    // (10^9 rounds ran out of memory building the path)
    expect(() => annealingPath(target, { parameter: 'beta', from: 0, rounds: 1e9 })).toThrow(
      '`rounds` passed to `annealingPath` must be an integer in [1, 1000000]',
    );
  });
});

// the options above without Adam's epochs (refused with sweep training)
const { epochsPerRound: _adamEpochs, ...sweepOptions } = options;

describe('learnByMonteCarlo with Born sweep training', () => {
  const born = {
    ...sweepOptions,
    kind: 'born' as const,
    training: 'sweeps' as const,
    bondDim: 6,
    replayRounds: 2,
  };
  it('reduces the exact KL divergence and resumes exactly', async () => {
    const whole = await learnByMonteCarlo(born);
    const initialKL = Math.log(256) - pi.reduce((acc, p) => acc - p * Math.log(p), 0);
    // measured here: 0.98 -> 0.054
    expect(kl(whole.mps)).toBeLessThan(initialKL / 4);
    expect(whole.mps.kind).toBe('born');
    expect(whole.mps.maxBondDim).toBeLessThanOrEqual(6);
    const store = memoryStore();
    await learnByMonteCarlo({ ...born, checkpoint: store, maxRoundsThisCall: 5 });
    const resumed = await learnByMonteCarlo({ ...born, checkpoint: store });
    whole.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
  });

  it('takes a per-round learning-rate function (round r trains with rate(r))', async () => {
    const calls: number[] = [];
    const constant = await learnByMonteCarlo({
      ...born,
      learningRate: (r) => {
        calls.push(r);
        return 0.05;
      },
    });
    expect(calls).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // evaluated once per round, up front
    const plain = await learnByMonteCarlo({ ...born, learningRate: 0.05 });
    constant.mps.tensors.forEach((t, i) => {
      expect(Array.from(t)).toEqual(Array.from(plain.mps.tensors[i]!));
    });
    // a rate function that changes only the last round: the same model after 7 rounds, another after 8
    const lastDiffers = (r: number) => (r === 7 ? 0.2 : 0.05);
    const seven = await learnByMonteCarlo({
      ...born,
      learningRate: lastDiffers,
      maxRoundsThisCall: 7,
    });
    const sevenPlain = await learnByMonteCarlo({ ...born, maxRoundsThisCall: 7 });
    seven.mps.tensors.forEach((t, i) => {
      expect(Array.from(t)).toEqual(Array.from(sevenPlain.mps.tensors[i]!));
    });
    const eight = await learnByMonteCarlo({ ...born, learningRate: lastDiffers });
    expect(eight.mps.tensors.some((t, i) => t.some((v, k) => v !== plain.mps.tensors[i]![k]))).toBe(
      true,
    );
  });

  it('rejects a bad learning-rate function by round, and a rate function for Adam training', async () => {
    await expect(
      learnByMonteCarlo({ ...born, learningRate: (r) => (r === 3 ? 0 : 0.05) }),
    ).rejects.toThrow(/`learningRate\(3\)`/);
    await expect(learnByMonteCarlo({ ...options, learningRate: () => 0.02 })).rejects.toThrow(
      /`learningRate`/,
    );
  });

  it('restarts sweep training from a fresh MPS in the rounds asked for, and resumes exactly', async () => {
    const restarted = { ...born, sweepsPerRound: 4, restart: (r: number) => r >= 6 };
    const whole = await learnByMonteCarlo(restarted);
    // measured here: 0.98 -> 0.076 (the last two rounds fit their replay buffer afresh)
    expect(kl(whole.mps)).toBeLessThan(0.25);
    const warm = await learnByMonteCarlo({ ...born, sweepsPerRound: 4 });
    expect(whole.mps.tensors.some((t, i) => t.some((v, k) => v !== warm.mps.tensors[i]![k]))).toBe(
      true,
    );
    // the first six rounds are warm-started: the same model as without restarts
    const six = await learnByMonteCarlo({ ...restarted, maxRoundsThisCall: 6 });
    const sixWarm = await learnByMonteCarlo({ ...born, sweepsPerRound: 4, maxRoundsThisCall: 6 });
    six.mps.tensors.forEach((t, i) => {
      expect(Array.from(t)).toEqual(Array.from(sixWarm.mps.tensors[i]!));
    });
    const store = memoryStore();
    await learnByMonteCarlo({ ...restarted, checkpoint: store, maxRoundsThisCall: 7 });
    const resumed = await learnByMonteCarlo({ ...restarted, checkpoint: store });
    whole.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
  });

  it('rejects a bad restart option', async () => {
    await expect(
      learnByMonteCarlo({ ...born, restart: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/`restart`/);
    await expect(
      learnByMonteCarlo({ ...born, restart: ((r: number) => (r === 2 ? 1 : false)) as never }),
    ).rejects.toThrow(/`restart\(2\)`/);
    await expect(learnByMonteCarlo({ ...options, restart: true })).rejects.toThrow(/`restart`/);
  });

  /** Few samples per round (16 chains x 16 steps) and room to overfit them, from scratch each round. */
  const overfitting = {
    ...born,
    bondDim: 16,
    chains: 16,
    stepsPerRound: 16,
    replayRounds: 1,
    restart: true,
  };

  it('holds out chains for early stopping: less overfitting, reported, resumable', async () => {
    // few samples per round and room to overfit (bond dimension 16 = exact for 8 sites, 12 sweeps)
    const overfit = { ...overfitting, sweepsPerRound: 12 };
    const plain = await learnByMonteCarlo(overfit);
    const stopped = await learnByMonteCarlo({ ...overfit, validationFraction: 0.25, patience: 2 });
    for (const r of stopped.reports) {
      // a held-out NLL of 8 sites: positive and at most ln 256 plus a little for a poor fit
      expect(r.validationNll!).toBeGreaterThan(0);
      expect(r.validationNll!).toBeLessThan(Math.log(256) + 1);
    }
    expect(plain.reports.every((r) => r.validationNll === undefined)).toBe(true);
    // measured here: exact KL 2.02 nats without, 0.24 with early stopping
    expect(kl(stopped.mps)).toBeLessThan(kl(plain.mps) / 2);
    const store = memoryStore();
    const options2 = { ...overfit, validationFraction: 0.25, patience: 2 };
    await learnByMonteCarlo({ ...options2, checkpoint: store, maxRoundsThisCall: 4 });
    const resumed = await learnByMonteCarlo({ ...options2, checkpoint: store });
    stopped.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
    // a checkpoint of a run with other local sweeps does not resume
    const sweepsStore = memoryStore();
    await learnByMonteCarlo({ ...overfit, checkpoint: sweepsStore, maxRoundsThisCall: 2 });
    await expect(
      learnByMonteCarlo({ ...overfit, localSweeps: 3, checkpoint: sweepsStore }),
    ).rejects.toThrow(/`checkpoint`/);
    // a checkpoint of a run without hold-out does not resume one with it
    const other = memoryStore();
    await learnByMonteCarlo({ ...overfit, checkpoint: other, maxRoundsThisCall: 2 });
    await expect(learnByMonteCarlo({ ...options2, checkpoint: other })).rejects.toThrow(
      /`checkpoint`/,
    );
  });

  it('trains on symmetry images of the data: more data per sample, resumable, refused without symmetries', async () => {
    // few samples per round and room to overfit, as above
    const overfit = { ...overfitting, sweepsPerRound: 6 };
    const plain = await learnByMonteCarlo(overfit);
    const one = await learnByMonteCarlo({ ...overfit, symmetryImages: 1 });
    const eight = await learnByMonteCarlo({ ...overfit, symmetryImages: 8 });
    // measured here: exact KL 2.03 nats without images, 2.22 with one image per sample (the
    // same number of samples), 0.31 with eight images of each sample
    expect(kl(eight.mps)).toBeLessThan(kl(plain.mps) / 2);
    expect(kl(one.mps)).toBeGreaterThan(kl(eight.mps));
    const store = memoryStore();
    const withImages = { ...overfit, symmetryImages: 8 };
    await learnByMonteCarlo({ ...withImages, checkpoint: store, maxRoundsThisCall: 3 });
    const resumed = await learnByMonteCarlo({ ...withImages, checkpoint: store });
    eight.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
    // a checkpoint of a run without images does not resume one with them
    const other = memoryStore();
    await learnByMonteCarlo({ ...overfit, checkpoint: other, maxRoundsThisCall: 2 });
    await expect(learnByMonteCarlo({ ...withImages, checkpoint: other })).rejects.toThrow(
      /`checkpoint`/,
    );
    // a model that declares no symmetries is refused by name
    const bare = {
      ...isingModel,
      create: (p?: Record<string, unknown>) => ({ ...isingModel.create(p), symmetries: undefined }),
    };
    await expect(
      learnByMonteCarlo({ ...withImages, model: bare as typeof isingModel }),
    ).rejects.toThrow(/`symmetryImages`.*declares no symmetries/);
    await expect(learnByMonteCarlo({ ...overfit, symmetryImages: 0.5 })).rejects.toThrow(
      /`symmetryImages`/,
    );
  });

  it('takes maxBondDim, with bondDim as its deprecated alias (same run, same checkpoint)', async () => {
    const { bondDim, ...rest } = { ...born, sweepsPerRound: 1 };
    const short = { ...rest, path: rest.path!.slice(0, 2) };
    const store = memoryStore();
    const old = await learnByMonteCarlo({
      ...short,
      bondDim,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(old.roundsCompleted).toBe(1);
    // a checkpoint written under the old name resumes under the new one
    const resumed = await learnByMonteCarlo({ ...short, maxBondDim: bondDim, checkpoint: store });
    const fresh = await learnByMonteCarlo({ ...short, maxBondDim: bondDim });
    fresh.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
    await expect(learnByMonteCarlo({ ...short, maxBondDim: 4, bondDim: 4 })).rejects.toThrow(
      /`bondDim`.*deprecated/,
    );
    await expect(learnByMonteCarlo({ ...short, maxBondDim: 0 })).rejects.toThrow(/`maxBondDim`/);
  });

  it('takes path, with schedule as its deprecated alias (same run, same checkpoint)', async () => {
    const { path, ...rest } = { ...born, sweepsPerRound: 1 };
    const points = path!.slice(0, 2);
    const store = memoryStore();
    const old = await learnByMonteCarlo({
      ...rest,
      schedule: points,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(old.roundsCompleted).toBe(1);
    // a checkpoint written under the old name resumes under the new one
    const resumed = await learnByMonteCarlo({ ...rest, path: points, checkpoint: store });
    const fresh = await learnByMonteCarlo({ ...rest, path: points });
    fresh.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
    await expect(learnByMonteCarlo({ ...rest, path: points, schedule: points })).rejects.toThrow(
      /`schedule`.*deprecated/,
    );
    // errors name the argument the caller used
    await expect(learnByMonteCarlo({ ...rest, schedule: [] })).rejects.toThrow(/`schedule`/);
    await expect(learnByMonteCarlo({ ...rest })).rejects.toThrow(/`path`/);
  });

  it('rejects a bad validationFraction or patience, naming it', async () => {
    for (const bad of [-0.1, 1, 1.5, Number.NaN, '0.2']) {
      await expect(
        learnByMonteCarlo({ ...born, validationFraction: bad as number }),
      ).rejects.toThrow(/`validationFraction`/);
    }
    // 0.99 of 32 chains holds out all of them
    await expect(learnByMonteCarlo({ ...born, validationFraction: 0.99 })).rejects.toThrow(
      /`validationFraction`.*leaves training chains/,
    );
    await expect(learnByMonteCarlo({ ...options, validationFraction: 0.2 })).rejects.toThrow(
      /`validationFraction`/,
    );
    await expect(
      learnByMonteCarlo({ ...born, validationFraction: 0.2, patience: 0 }),
    ).rejects.toThrow(/`patience`/);
    await expect(learnByMonteCarlo({ ...born, patience: 2 })).rejects.toThrow(
      /`patience` passed to `learnByMonteCarlo` must be absent unless validationFraction > 0 \(.*\) \(got 2\)/,
    );
  });

  it("refuses the other training method's options instead of ignoring them; their defaults pass", async () => {
    for (const [extra, key, value] of [
      [{ sweepsPerRound: 4 }, 'sweepsPerRound', 4],
      [{ cutoff: 1e-6 }, 'cutoff', 1e-6],
    ] as const) {
      await expect(learnByMonteCarlo({ ...options, ...extra })).rejects.toThrow(
        `\`${key}\` passed to \`learnByMonteCarlo\` must be absent with training "adam" (it applies to training "sweeps" only) (got ${value})`,
      );
    }
    for (const [extra, key, value] of [
      [{ epochsPerRound: 10 }, 'epochsPerRound', 10],
      [{ batchSize: 64 }, 'batchSize', 64],
    ] as const) {
      await expect(learnByMonteCarlo({ ...born, ...extra })).rejects.toThrow(
        `\`${key}\` passed to \`learnByMonteCarlo\` must be absent with training "sweeps" (it applies to training "adam" only) (got ${value})`,
      );
    }
    // a checkpoint of an earlier release that recorded such a value in its fingerprint still
    // resumes with the options it was made with (a review found it refused both with and
    // without the value): made here by writing the value into a fresh run's fingerprint
    const store = memoryStore();
    const first = await learnByMonteCarlo({ ...options, checkpoint: store, maxRoundsThisCall: 1 });
    expect(first.roundsCompleted).toBe(1);
    const saved = JSON.parse(store.text!) as { fingerprint: string };
    const fingerprint = JSON.parse(saved.fingerprint) as Record<string, unknown>;
    expect(fingerprint.sweepsPerRound).toBe(1);
    fingerprint.sweepsPerRound = 4;
    saved.fingerprint = JSON.stringify(fingerprint);
    store.text = JSON.stringify(saved);
    const resumed = await learnByMonteCarlo({
      ...options,
      sweepsPerRound: 4,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(resumed.roundsCompleted).toBe(2);
    // the defaults change nothing (training recipes list them for either method)
    const plain = await learnByMonteCarlo({ ...born, maxRoundsThisCall: 1 });
    const listed = await learnByMonteCarlo({
      ...born,
      epochsPerRound: 4,
      batchSize: 256,
      maxRoundsThisCall: 1,
    });
    expect(listed.mps.tensors).toEqual(plain.mps.tensors);
  });

  it('refuses sweep training of a linear MPS', async () => {
    await expect(learnByMonteCarlo({ ...options, training: 'sweeps' })).rejects.toThrow(
      /`training`/,
    );
  });
});

describe('learnByMonteCarlo checkpoint option', () => {
  it('refuses replayed rounds of the wrong size or range when it resumes, before any round', async () => {
    const small = {
      model: isingModel,
      path: [
        { lx: 2, ly: 2 },
        { lx: 2, ly: 2 },
        { lx: 2, ly: 2 },
      ],
      bondDim: 2,
      scheme: { kind: 'connected', noiseTime: 0.5 } as const,
      chains: 4,
      stepsPerRound: 4,
      replayRounds: 2,
      seed: 1,
    };
    const store = memoryStore();
    await learnByMonteCarlo({ ...small, checkpoint: store, maxRoundsThisCall: 1 });
    const saved = JSON.parse(store.text!) as { replay: string[] };
    expect(saved.replay.length).toBe(1);
    // digits of 5 (they failed only after the next round's chains ran), a short round, too many
    const digits = decodeDigits(saved.replay[0]!);
    const five = digits.slice();
    five[3] = 5;
    const cases = [
      [encodeDigits(five)],
      [encodeDigits(digits.subarray(0, digits.length - 2))],
      [saved.replay[0]!, saved.replay[0]!, saved.replay[0]!],
    ];
    for (const replay of cases) {
      const tampered = memoryStore();
      tampered.text = JSON.stringify({ ...saved, replay });
      await expect(learnByMonteCarlo({ ...small, checkpoint: tampered })).rejects.toThrow(
        '`checkpoint` passed to `learnByMonteCarlo` must be at most 2 rounds of 4 chains x 4 steps x 4 digits in [0, 1] (got "replayed rounds of the wrong number, size or range")',
      );
    }
  });

  it('refuses an object that is not a CheckpointStore by name (was a TypeError)', async () => {
    const options = {
      model: isingModel,
      path: [{ lx: 2, ly: 2 }],
      bondDim: 2,
      scheme: { kind: 'connected', noiseTime: 0.5 } as const,
      chains: 4,
      stepsPerRound: 4,
      seed: 1,
    };
    for (const checkpoint of [{ save: 5 }, { load: async () => undefined }, 'state.json']) {
      await expect(
        learnByMonteCarlo({ ...options, checkpoint: checkpoint as unknown as CheckpointStore }),
      ).rejects.toThrow(
        '`checkpoint` passed to `learnByMonteCarlo` must be a CheckpointStore { load(): Promise<string | undefined>, save(text): Promise<void> }',
      );
    }
  });
});

describe('learnByMonteCarlo warm start (initialMPS)', () => {
  const born = {
    ...sweepOptions,
    path: [target, target],
    kind: 'born' as const,
    scheme: { kind: 'disconnected' as const },
    validationFraction: 0.25,
  };
  it('proposes with the given MPS from the first round and never trains it away from pi', async () => {
    // the exact Born MPS of pi: every disconnected proposal is accepted (ratio 1 to rounding)
    const exact = physicsBornMPS(instance, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
    expect(kl(exact.mps)).toBeLessThan(1e-12);
    const result = await learnByMonteCarlo({ ...born, initialMPS: exact.mps });
    expect(result.reports[0]!.acceptanceRate).toBeGreaterThan(0.999);
    // early stopping keeps the initial MPS unless held-out data prefer another
    expect(kl(result.mps)).toBeLessThan(0.05);
    // a cold start at the same options does not start there
    const cold = await learnByMonteCarlo(born);
    expect(cold.reports[0]!.acceptanceRate).toBeLessThan(0.9);
  });

  it('is part of the resume fingerprint and refuses an MPS of the wrong kind or size', async () => {
    const exact = physicsBornMPS(instance, { maxBondDim: 2 });
    const store = memoryStore();
    await learnByMonteCarlo({
      ...born,
      initialMPS: exact.mps,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    await expect(learnByMonteCarlo({ ...born, checkpoint: store })).rejects.toThrow(
      /holds the state of a different run/,
    );
    await expect(
      learnByMonteCarlo({
        ...born,
        kind: 'linear',
        training: 'adam',
        validationFraction: 0,
        initialMPS: exact.mps,
      }),
    ).rejects.toThrow('`initialMPS` passed to `learnByMonteCarlo` must be a linear MPS');
    // every round reports the quality of its model from the model's own samples: the KL
    // estimate agrees with the exact KL of the returned MPS within 4 of its error bars
    const full = await learnByMonteCarlo({ ...born, initialMPS: exact.mps });
    const quality = full.reports[full.reports.length - 1]!.quality!;
    expect(quality.allowedFraction).toBe(1);
    expect(kl(full.mps)).toBeGreaterThan(0.01);
    expect(Math.abs(quality.kl - kl(full.mps))).toBeLessThan(4 * quality.klStdErr);
    const other = physicsBornMPS(isingModel.create({ lx: 2, ly: 2 }), { maxBondDim: 2 });
    await expect(learnByMonteCarlo({ ...born, initialMPS: other.mps })).rejects.toThrow(
      'of 8 sites of dimension 2',
    );
  });
});
