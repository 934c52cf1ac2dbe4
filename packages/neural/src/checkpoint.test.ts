/**
 * The `latticediff.made` checkpoint: exact round trips of the float32 weights (a draw after
 * reloading equals a draw before, bit for bit), reverse-KL training resumed from a checkpoint
 * equal bit for bit to an uninterrupted run, and malformed files refused with the field named.
 * Imports the built package, like the other tests.
 */
import { isingModel } from '@latticediff/model-ising';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initBackend,
  MADE,
  MADE_FILE_FORMAT,
  type NeuralBackend,
  ReverseKLTrainer,
  tf,
  trainReverseKL,
} from '../dist/index.js';
import { formatErrorOf } from './errors.test-helper';

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer));

describe.each(['wasm', 'cpu'] as const)(
  'MADE checkpoints on the %s backend',
  (backend: NeuralBackend) => {
    beforeAll(async () => {
      expect(await initBackend(backend, { strict: true })).toBe(backend);
    });
    afterAll(async () => {
      await initBackend('wasm');
    });

    const model = isingModel.create({ lx: 3, ly: 3, beta: 0.4 });

    it.each([false, true])('round-trips the float32 weights exactly (z2 %s)', (z2) => {
      const made = MADE.create({ sites: 9, hidden: 12, seed: 3, z2 });
      trainReverseKL(made, { model, steps: 3, batch: 32, learningRate: 1e-2, seed: 1 });
      const text = JSON.stringify(made);
      const json = JSON.parse(text) as { format: string; version: number; training?: unknown };
      expect(json.format).toBe(MADE_FILE_FORMAT);
      expect(json.version).toBe(1);
      expect(json.training).toBeUndefined();
      const copy = MADE.fromJSON(text);
      expect([copy.sites, copy.localDimension, copy.hidden, copy.z2]).toEqual([9, 2, 12, z2]);
      const [a, b] = [made.weights(), copy.weights()];
      for (let i = 0; i < a.length; i++) expect(bits(b[i]!)).toEqual(bits(a[i]!));
      // a draw after reloading equals the draw before, bit for bit (digits and log q)
      const before = made.sample(200, 7);
      const after = copy.sample(200, 7);
      expect(Array.from(after.data)).toEqual(Array.from(before.data));
      for (let k = 0; k < 200; k++)
        expect(after.logProbabilities[k]).toBe(before.logProbabilities[k]);
      // the parsed object works as well as the text, and a second round trip is the same text
      expect(JSON.stringify(MADE.fromJSON(json as Record<string, unknown>))).toBe(text);
      made.dispose();
      copy.dispose();
    });

    it('resumes training from a checkpoint bit for bit (j steps, reload, K - j steps)', () => {
      const options = { model, batch: 48, learningRate: 5e-3, betaAnneal: 0.9, seed: 11 };
      const whole = MADE.create({ sites: 9, hidden: 16, seed: 2 });
      const trainer = new ReverseKLTrainer(whole, options);
      const history = trainer.run(9);
      const expected = whole.weights();
      const expectedAdam = trainer.trainingState().adam;
      trainer.dispose();

      const first = MADE.create({ sites: 9, hidden: 16, seed: 2 });
      const partial = new ReverseKLTrainer(first, options);
      const early = partial.run(4);
      const text = JSON.stringify(first.toJSON({ trainer: partial, metadata: { note: 'j = 4' } }));
      partial.dispose();
      first.dispose();

      // a fresh network and trainer from the text alone
      const made = MADE.fromJSON(text);
      expect(MADE.readMetadata(text)).toEqual({ note: 'j = 4' });
      const resumed = ReverseKLTrainer.fromJSON(made, text, { model });
      expect(resumed.step).toBe(4);
      expect([resumed.batch, resumed.learningRate, resumed.betaAnneal, resumed.seed]).toEqual([
        48, 5e-3, 0.9, 11,
      ]);
      const late = resumed.run(5);
      expect([...early, ...late]).toEqual(history);
      const weights = made.weights();
      for (let i = 0; i < weights.length; i++)
        expect(bits(weights[i]!)).toEqual(bits(expected[i]!));
      const adam = resumed.trainingState().adam;
      expect([adam.iterations, adam.accBeta1, adam.accBeta2]).toEqual([
        expectedAdam.iterations,
        expectedAdam.accBeta1,
        expectedAdam.accBeta2,
      ]);
      for (let i = 0; i < adam.m.length; i++) {
        expect(bits(adam.m[i]!)).toEqual(bits(expectedAdam.m[i]!));
        expect(bits(adam.v[i]!)).toEqual(bits(expectedAdam.v[i]!));
      }
      resumed.dispose();
      made.dispose();
      whole.dispose();
    });

    it('frees every tensor it creates (save, load, train, dispose)', () => {
      const before = tf.memory().numTensors;
      const made = MADE.create({ sites: 9, hidden: 8, seed: 1 });
      const trainer = new ReverseKLTrainer(made, { model, batch: 16, seed: 1 });
      trainer.run(2);
      const text = JSON.stringify(made.toJSON({ trainer }));
      trainer.dispose();
      made.dispose();
      const copy = MADE.fromJSON(text);
      const again = ReverseKLTrainer.fromJSON(copy, text, { model });
      again.run(1);
      again.dispose();
      copy.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);

describe('malformed checkpoints', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  const model = isingModel.create({ lx: 2, ly: 2, beta: 0.3 });

  it('are refused with the offending field named', () => {
    const made = MADE.create({ sites: 4, hidden: 4, seed: 1 });
    const trainer = new ReverseKLTrainer(made, { model, batch: 8, seed: 1 });
    trainer.run(1);
    const good = made.toJSON({ trainer });
    trainer.dispose();
    const text = JSON.stringify(good);
    const edit = (change: (json: Record<string, unknown>) => void) => {
      const json = JSON.parse(text) as Record<string, unknown>;
      change(json);
      return JSON.stringify(json);
    };
    expect(formatErrorOf(() => MADE.fromJSON(text.slice(0, 100))).field).toBe('document');
    expect(
      formatErrorOf(() => MADE.fromJSON(edit((j) => (j.format = 'latticediff.mps')))).field,
    ).toBe('format');
    const newer = formatErrorOf(() => MADE.fromJSON(edit((j) => (j.version = 2))));
    expect(newer.field).toBe('version');
    expect(newer.message).toMatch(/knows 1/);
    expect(formatErrorOf(() => MADE.fromJSON(edit((j) => (j.extra = 1)))).field).toBe('extra');
    expect(formatErrorOf(() => MADE.fromJSON(edit((j) => (j.hidden = 5)))).field).toBe(
      'weights.w1',
    );
    // one changed base64 character in a weight, or in an Adam moment: checksum mismatch
    const flip = (s: string) => `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const corrupted = formatErrorOf(() =>
      MADE.fromJSON(
        edit((j) => {
          const w = j.weights as Record<string, string>;
          w.b1 = flip(w.b1!);
        }),
      ),
    );
    expect(corrupted.field).toBe('checksum');
    expect(
      formatErrorOf(() =>
        ReverseKLTrainer.fromJSON(
          made,
          edit((j) => {
            const m = ((j.training as Record<string, unknown>).adam as Record<string, unknown>)
              .m as Record<string, string>;
            m.w0 = flip(m.w0!);
          }),
          { model },
        ),
      ).field,
    ).toBe('checksum');
    // a checkpoint without training state cannot resume training
    const error = invalidArgumentOf(() =>
      ReverseKLTrainer.fromJSON(made, JSON.stringify(made), { model }),
    );
    expect(error.argument).toBe('json');
    expect(invalidArgumentOf(() => made.toJSON({ metadata: { bad: Number.NaN } })).argument).toBe(
      'metadata',
    );
    made.dispose();
  });

  it('refuse training numbers that disagree with each other, and a rate the reader cannot take', () => {
    // (found by an audit: a learning rate of 1 wrote a checkpoint its reader refused; a step,
    // random-word count or Adam iteration count edited out of step was resumed from, and a
    // random-word count near 2^53 made the reader replay draws for years)
    const made = MADE.create({ sites: 4, hidden: 4, seed: 1 });
    for (const learningRate of [1, 1.5, 0]) {
      expect(
        invalidArgumentOf(() => new ReverseKLTrainer(made, { model, seed: 1, learningRate }))
          .argument,
      ).toBe('learningRate');
    }
    const trainer = new ReverseKLTrainer(made, { model, batch: 8, seed: 1, learningRate: 0.5 });
    trainer.run(3);
    const text = JSON.stringify(made.toJSON({ trainer }));
    trainer.dispose();
    // the checkpoint of the largest accepted rate resumes
    ReverseKLTrainer.fromJSON(made, text, { model }).dispose();
    const training = (
      change: (t: Record<string, unknown>, adam: Record<string, unknown>) => void,
    ) => {
      const json = JSON.parse(text) as Record<string, unknown>;
      const t = json.training as Record<string, unknown>;
      change(t, t.adam as Record<string, unknown>);
      return JSON.stringify(json);
    };
    const cases: [(t: Record<string, unknown>, adam: Record<string, unknown>) => void, string][] = [
      [(t) => (t.step = 300), 'training.randomWords'],
      [(t) => (t.randomWords = 7), 'training.randomWords'],
      [(t) => (t.randomWords = Number.MAX_SAFE_INTEGER), 'training.randomWords'],
      [(t) => (t.step = 2 ** 31), 'training.step'],
      [(_, adam) => (adam.iterations = 0), 'training.adam.iterations'],
      [(_, adam) => (adam.accBeta1 = 0.5), 'training.adam.accBeta1'],
      [(_, adam) => (adam.accBeta2 = (adam.accBeta2 as number) * 0.999), 'training.adam.accBeta2'],
    ];
    for (const [change, field] of cases) {
      expect(
        formatErrorOf(() => ReverseKLTrainer.fromJSON(made, training(change), { model })).field,
      ).toBe(field);
    }
    made.dispose();
  });
});
