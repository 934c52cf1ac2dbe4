/**
 * Issue 15: `train` is flags -> run record -> run -> render; the first step runs in process.
 * These tests read flags into run records without starting the CLI.
 */

import type { LatticeModel } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { describe, expect, it } from 'vitest';
import type { FlagValues } from './args';
import { resolveTrainRun } from './commands/train-flags';
import { UsageError } from './errors';

function resolve(model: LatticeModel, parameters: Record<string, number>, values: FlagValues) {
  return resolveTrainRun(values, { model, instance: model.create(parameters), hint: 'hint' });
}

function refusal(f: () => unknown): UsageError {
  try {
    f();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('resolveTrainRun', () => {
  const ising = { lx: 4, ly: 4 };

  it('chooses the physics recipe for a model with local factors, at the target', () => {
    const { run, recipe, anneal, probed } = resolve(isingModel, ising, {});
    expect(recipe).toBe('physics');
    expect(anneal).toBeUndefined();
    expect(probed).toBe(false);
    expect(run).toEqual({
      model: 'ising',
      parameters: { ...isingModel.create(ising).parameters },
      bondDim: 16,
      rounds: 2,
      seed: 1,
      chains: 64,
      steps: 32,
      epochs: 4,
      learningRate: 0.05,
      noiseTime: 0.5,
      anneal: null,
      kind: 'born',
      replayRounds: 4,
      sweepsPerRound: 2,
      scheme: 'disconnected',
      validationFraction: 0.25,
      initial: 'physics',
    });
  });

  it('gives way to the anneal recipe when a learning-only flag is given', () => {
    const { run, recipe, anneal } = resolve(
      isingModel,
      { ...ising, beta: 0.4 },
      { kind: 'linear' },
    );
    expect(recipe).toBe('anneal');
    // the model declares beta annealed from 0.2 beta
    expect(anneal).toEqual({ parameter: 'beta', from: 0.2 * 0.4 });
    expect(run.anneal).toEqual(anneal);
    expect(run.kind).toBeUndefined();
    expect(run.learningRate).toBe(0.03);
    expect(run.rounds).toBe(30);
  });

  it('takes --overlap-rounds into the run record (absent without it), with any recipe', () => {
    expect(resolve(isingModel, ising, { 'overlap-rounds': true }).run.overlapRounds).toBe(true);
    expect('overlapRounds' in resolve(isingModel, ising, {}).run).toBe(false);
    const annealed = resolve(isingModel, ising, { recipe: 'learn', 'overlap-rounds': true });
    expect(annealed.recipe).toBe('learn');
    expect(annealed.run.overlapRounds).toBe(true);
  });

  it('fills in the flags a recipe stands for, explicit flags first', () => {
    const { run } = resolve(fredkinModel, { sites: 8, c: 0.55 }, { recipe: 'learn', chains: 16 });
    expect(run).toMatchObject({
      chains: 16,
      steps: 128,
      rounds: 22,
      kind: 'born',
      sweepsPerRound: 2,
      replayRounds: 4,
      validationFraction: 0.25,
      learningRateDecay: 0.88,
      cutoff: 1e-8,
      scheme: 'disconnected',
      anneal: { parameter: 'c', from: 0.3 },
    });
  });

  it('refuses combinations and values by flag name, before any work', () => {
    const cases: [FlagValues, RegExp][] = [
      [{ recipe: 'physics', 'anneal-from': 0.1 }, /--anneal-from applies to the learning recipes/],
      [
        { recipe: 'physics', kind: 'linear' },
        /--training sweeps \(from --recipe physics\) needs --kind born/,
      ],
      [
        { kind: 'born', 'validation-fraction': 0.97, chains: 16 },
        /invalid value for --validation-fraction: 0\.97 .*holds out 16 of the 16 chains/,
      ],
      [
        { kind: 'born', 'learning-rate-decay': 1.5 },
        /invalid value for --learning-rate-decay: 1\.5/,
      ],
      [{ kind: 'born', cutoff: 1 }, /invalid value for --cutoff: 1 /],
      [
        { recipe: 'anneal', 'learning-rate-decay': 0.9 },
        /--learning-rate-decay 0\.9 applies to --training sweeps only/,
      ],
      [{ path: 'thermodynamic', rounds: 1 }, /--rounds 1 is too few for --path thermodynamic/],
    ];
    for (const [values, pattern] of cases) {
      expect(
        refusal(() => resolve(isingModel, ising, values)).message,
        JSON.stringify(values),
      ).toMatch(pattern);
    }
  });
});
