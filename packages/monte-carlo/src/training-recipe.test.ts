import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { FormatError, InvalidArgumentError, serializeMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { CheckpointMismatchError } from './errors';
import { learnByMonteCarlo, type RoundReport } from './learning-loop';
import { LearningState } from './learning-state';
import { memoryStore } from './memory-store.test-helper';
import {
  checkTrainingRecipe,
  recipeLearningOptions,
  recipePath,
  runOrResume,
  type TrainingRecipe,
} from './training-recipe';

const target = { lx: 2, ly: 4, beta: 0.35 };

/** A small Born sweep recipe (the shape `latticediff train --recipe learn` records). */
const recipe: TrainingRecipe = {
  model: 'ising',
  parameters: { ...isingModel.create(target).parameters },
  bondDim: 4,
  rounds: 5,
  seed: 3,
  chains: 16,
  steps: 8,
  epochs: 4,
  learningRate: 0.05,
  noiseTime: 0.5,
  anneal: { parameter: 'beta', from: 0.1 },
  kind: 'born',
  replayRounds: 2,
  scheme: 'disconnected',
  validationFraction: 0.25,
  learningRateDecay: 0.9,
  cutoff: 1e-8,
};

/** The reports without their timings (which differ between runs). */
function untimed(reports: readonly RoundReport[]) {
  return reports.map(({ samplingSeconds, trainingSeconds, essPerSecond, ...rest }) => rest);
}

function invalidArgumentOf(f: () => unknown): InvalidArgumentError {
  try {
    f();
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('checkTrainingRecipe', () => {
  it('returns the canonical record: the fields in order, defaults dropped', () => {
    const spelled = {
      anneal: null,
      noiseTime: 0.5,
      learningRate: 0.03,
      epochs: 4,
      steps: 32,
      chains: 64,
      seed: 1,
      rounds: 3,
      bondDim: 8,
      parameters: recipe.parameters,
      model: 'ising',
      kind: 'linear',
      training: 'adam',
      replayRounds: 1,
      localSweeps: 1,
      scheme: 'connected',
    } as unknown as TrainingRecipe;
    const record = checkTrainingRecipe(spelled);
    expect(Object.keys(record)).toEqual([
      'model',
      'parameters',
      'bondDim',
      'rounds',
      'seed',
      'chains',
      'steps',
      'epochs',
      'learningRate',
      'noiseTime',
      'anneal',
    ]);
    // a canonical record is its own canonical form
    expect(JSON.stringify(checkTrainingRecipe(recipe))).toBe(JSON.stringify(recipe));
    expect(checkTrainingRecipe({ ...recipe, training: 'sweeps' })).toEqual(recipe);
    // Adam's epochs are its own
    expect(checkTrainingRecipe({ ...spelled, epochs: 8 }).epochs).toBe(8);
  });

  it('refuses every bad field, naming recipe.<field> and the value', () => {
    const cases: [Partial<Record<keyof TrainingRecipe | 'extra', unknown>>, string][] = [
      [{ bondDim: 0 }, 'recipe.bondDim'],
      [{ rounds: 1.5 }, 'recipe.rounds'],
      [{ seed: -1 }, 'recipe.seed'],
      [{ learningRate: 0 }, 'recipe.learningRate'],
      [{ learningRateDecay: 1.5 }, 'recipe.learningRateDecay'],
      [{ cutoff: 1 }, 'recipe.cutoff'],
      [{ validationFraction: 1 }, 'recipe.validationFraction'],
      // 16 chains: a fraction of 0.97 holds out all of them
      [{ validationFraction: 0.97 }, 'recipe.validationFraction'],
      [{ anneal: { parameter: 'gamma', from: 0.1 } }, 'recipe.anneal'],
      [{ kind: 'mps' }, 'recipe.kind'],
      [{ kind: undefined, training: 'sweeps' }, 'recipe.training'],
      [{ kind: undefined, cutoff: undefined }, 'recipe.validationFraction'],
      [{ path: { kind: 'thermodynamic', kappa: 0.3 }, anneal: null }, 'recipe.path'],
      [{ path: { kind: 'thermodynamic', kappa: 0.3 }, rounds: 1 }, 'recipe.path'],
      [
        { path: { kind: 'thermodynamic', kappa: 0.3 }, anneal: { parameter: 'beta', from: 2000 } },
        'recipe.path',
      ],
      [{ initial: 'random' }, 'recipe.initial'],
      [{ overlapRounds: 'yes' }, 'recipe.overlapRounds'],
      [{ extra: 1 }, 'recipe.extra'],
    ];
    for (const [change, argument] of cases) {
      const error = invalidArgumentOf(() =>
        checkTrainingRecipe({ ...recipe, ...change } as TrainingRecipe),
      );
      expect(error.argument, JSON.stringify(change)).toBe(argument);
      expect(error.functionName).toBe('checkTrainingRecipe');
    }
  });
});

describe('runOrResume with overlapRounds', () => {
  it('keeps the field (not false), runs the overlapped loop and resumes it bit for bit', async () => {
    const overlapped: TrainingRecipe = { ...recipe, overlapRounds: true };
    expect(checkTrainingRecipe(overlapped).overlapRounds).toBe(true);
    expect(
      'overlapRounds' in checkTrainingRecipe({ ...recipe, overlapRounds: false as never }),
    ).toBe(false);
    const plain = await runOrResume({ model: isingModel, recipe });
    const whole = await runOrResume({ model: isingModel, recipe: overlapped });
    // rounds 0 and 1 propose with the same model either way; the run as a whole differs
    expect(untimed(whole.reports).slice(0, 1)).toEqual(untimed(plain.reports).slice(0, 1));
    expect(serializeMPS(whole.mps)).not.toBe(serializeMPS(plain.mps));
    const store = memoryStore();
    await runOrResume({
      model: isingModel,
      recipe: overlapped,
      checkpoint: store,
      maxRoundsThisCall: 2,
    });
    expect(JSON.parse(store.text!).chainProposal).toEqual(expect.any(String));
    const resumed = await runOrResume({ model: isingModel, recipe: overlapped, checkpoint: store });
    expect(resumed.resumedFromRound).toBe(2);
    expect(serializeMPS(resumed.mps)).toBe(serializeMPS(whole.mps));
    expect(untimed(resumed.reports)).toEqual(untimed(whole.reports));
    // the recipe is the run's identity: the plain recipe does not resume an overlapped state
    await expect(runOrResume({ model: isingModel, recipe, checkpoint: store })).rejects.toThrow(
      CheckpointMismatchError,
    );
  });
});

describe('LearningState', () => {
  it('round-trips through its JSON text and refuses broken fields by name', async () => {
    const store = memoryStore();
    await runOrResume({ model: isingModel, recipe, checkpoint: store, maxRoundsThisCall: 2 });
    const state = LearningState.fromJSON(store.text!);
    expect(state.roundsCompleted).toBe(2);
    expect(state.replay).toHaveLength(2);
    expect(state.recipe).toEqual(recipe);
    // the text is JSON.stringify of the state, the recipe record first
    expect(JSON.stringify(state)).toBe(store.text);
    expect(Object.keys(JSON.parse(store.text!))[0]).toBe('trainingRun');
    const object = JSON.parse(store.text!) as Record<string, unknown>;
    for (const [field, value] of [
      ['format', 'latticediff.mps'],
      ['version', 2],
      ['roundsCompleted', -1],
      ['chainStates', '0,1,x'],
      ['replay', [3]],
      ['trainer', 5],
      ['reports', {}],
    ] as const) {
      let caught: unknown;
      try {
        LearningState.fromJSON({ ...object, [field]: value });
      } catch (error) {
        caught = error;
      }
      expect(FormatError.isInstance(caught), field).toBe(true);
      expect((caught as FormatError).field).toBe(field);
    }
    expect(() => LearningState.fromJSON('{"format":')).toThrow(/state: not JSON text/);
  });
});

describe('runOrResume', () => {
  it('resumes after an interruption bit for bit and reports where it resumed', async () => {
    const whole = await runOrResume({ model: isingModel, recipe });
    expect(whole.finished).toBe(true);
    expect(whole.resumedFromRound).toBe(0);
    expect(whole.reports.map((r) => r.parameters.beta)).toEqual(
      (await recipePath(isingModel, recipe)).map((p) => p.beta),
    );
    const store = memoryStore();
    const part = await runOrResume({
      model: isingModel,
      recipe,
      checkpoint: store,
      maxRoundsThisCall: 2,
    });
    expect(part.finished).toBe(false);
    const resumedAt: number[] = [];
    const resumed = await runOrResume({
      model: isingModel,
      recipe,
      checkpoint: store,
      onResume: (k) => resumedAt.push(k),
    });
    expect(resumedAt).toEqual([2]);
    expect(resumed.resumedFromRound).toBe(2);
    expect(serializeMPS(resumed.mps)).toBe(serializeMPS(whole.mps));
    expect(untimed(resumed.reports)).toEqual(untimed(whole.reports));
    expect(Array.from(resumed.chainStates)).toEqual(Array.from(whole.chainStates));
  });

  it('refuses the state of another recipe with a CheckpointMismatchError before any work', async () => {
    const store = memoryStore();
    await runOrResume({ model: isingModel, recipe, checkpoint: store, maxRoundsThisCall: 1 });
    const before = store.text;
    let built = 0;
    let caught: unknown;
    try {
      await runOrResume({
        model: isingModel,
        // a physics-built start: refused before it is built
        recipe: { ...recipe, anneal: null, initial: 'physics' },
        checkpoint: store,
        onBuild: () => built++,
      });
    } catch (error) {
      caught = error;
    }
    expect(CheckpointMismatchError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/`checkpoint` passed to `runOrResume`/);
    expect(built).toBe(0);
    expect(store.text).toBe(before);
  });

  it("resumes a learning loop's own state (no recipe record) by the loop's fingerprint", async () => {
    const path = await recipePath(isingModel, recipe);
    // a recipe of another model is refused (its options were built without a word)
    expect(() => recipeLearningOptions(fredkinModel, recipe, path)).toThrow(
      '`recipe.model` passed to `recipeLearningOptions` must be the id of the model given ("fredkin") (got "ising")',
    );
    const store = memoryStore();
    await learnByMonteCarlo({
      ...recipeLearningOptions(isingModel, recipe, path),
      checkpoint: store,
      maxRoundsThisCall: 2,
    });
    const resumed = await runOrResume({ model: isingModel, recipe, checkpoint: store });
    const whole = await runOrResume({ model: isingModel, recipe });
    expect(resumed.resumedFromRound).toBe(2);
    expect(serializeMPS(resumed.mps)).toBe(serializeMPS(whole.mps));
    // ... and refuses one of other options
    const other = memoryStore();
    await learnByMonteCarlo({
      ...recipeLearningOptions(isingModel, { ...recipe, seed: 4 }, path),
      checkpoint: other,
      maxRoundsThisCall: 1,
    });
    await expect(runOrResume({ model: isingModel, recipe, checkpoint: other })).rejects.toThrow(
      /holds the state of a different run/,
    );
  });

  it('refuses epochs other than 4 with sweep training when a run starts, not when one resumes', async () => {
    // (sweep training has no epochs: the value did nothing; a checkpoint of an earlier release
    // that recorded one still resumes)
    const eight = { ...recipe, epochs: 8 };
    expect(checkTrainingRecipe(eight).epochs).toBe(8);
    await expect(runOrResume({ model: isingModel, recipe: eight })).rejects.toThrow(
      '`recipe.epochs` passed to `runOrResume` must be 4 (the default) unless training is "adam"',
    );
    // the state of such a run, written as an earlier release did (the loop took the value)
    const store = memoryStore();
    const path = await recipePath(isingModel, recipe);
    await learnByMonteCarlo({
      ...recipeLearningOptions(isingModel, recipe, path),
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    const saved = JSON.parse(store.text!) as { fingerprint: string; recipe?: unknown };
    const fingerprint = JSON.parse(saved.fingerprint) as Record<string, unknown>;
    fingerprint.epochs = 8;
    saved.fingerprint = JSON.stringify(fingerprint);
    store.text = JSON.stringify(saved);
    const resumed = await runOrResume({
      model: isingModel,
      recipe: eight,
      checkpoint: store,
      maxRoundsThisCall: 1,
    });
    expect(resumed.resumedFromRound).toBe(1);
  });

  it('refuses a recipe of another model, and an unreadable state naming checkpoint', async () => {
    await expect(
      runOrResume({ model: isingModel, recipe: { ...recipe, model: 'potts' } }),
    ).rejects.toThrow(/`recipe\.model` passed to `runOrResume`/);
    await expect(
      runOrResume({ model: isingModel, recipe, checkpoint: 'state.json' as never }),
    ).rejects.toThrow(/`checkpoint` passed to `runOrResume` must be a CheckpointStore/);
    const broken = memoryStore();
    broken.text = '{"format":"latticediff.learning"';
    await expect(runOrResume({ model: isingModel, recipe, checkpoint: broken })).rejects.toThrow(
      /`checkpoint` passed to `runOrResume`/,
    );
    // checked here, before a thermodynamic path's pilot would meet it
    await expect(
      runOrResume({ model: isingModel, recipe, chainRunner: 'threads' as never }),
    ).rejects.toThrow(/`chainRunner` passed to `runOrResume` must be a function/);
    for (const key of ['onPilot', 'onBuild', 'onResume', 'onRound']) {
      await expect(runOrResume({ model: isingModel, recipe, [key]: 'x' } as never)).rejects.toThrow(
        `\`${key}\` passed to \`runOrResume\` must be a function`,
      );
    }
    await expect(runOrResume({ model: isingModel, recipe, maxRoundsThisCall: 0 })).rejects.toThrow(
      '`maxRoundsThisCall` passed to `runOrResume` must be a positive integer',
    );
  });
});
