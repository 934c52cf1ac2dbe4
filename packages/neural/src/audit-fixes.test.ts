/**
 * Refusals an audit of the package found missing (each was accepted, with a wrong or no result):
 * a PixelCNN checkpoint beyond the limits of PixelCNN.create, rows of another model given to
 * trainNLL, a network restored for a model of another size, and a free-energy bound of a model
 * whose constraints the network's draws break.
 */
import { isingModel } from '@latticediff/model-ising';
import { randomMPS, sample } from '@latticediff/tensor-network';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  freeEnergyBound,
  initBackend,
  MADE,
  nllLearner,
  PixelCNN,
  ReverseKLTrainer,
  trainNLL,
} from '../dist/index.js';
import { formatErrorOf } from './errors.test-helper';
import { encodePixelCNNCheckpoint, pixelCNNWeightShapes } from './pixelcnn-checkpoint';

/** A valid (checksummed) PixelCNN checkpoint text of any architecture, zero weights. */
function pixelText(lx: number, ly: number, kernelSize: number, periodic: [boolean, boolean]) {
  const architecture = {
    sites: lx * ly,
    localDimension: 2,
    lx,
    ly,
    cells: Array.from({ length: lx * ly }, (_, i) => i),
    periodic,
    kernelSize,
    channels: 1,
    depth: 1,
  };
  const weights = pixelCNNWeightShapes(architecture).map(
    (shape) => new Float32Array(shape.reduce((a, b) => a * b)),
  );
  return JSON.stringify(encodePixelCNNCheckpoint({ ...architecture, weights, metadata: {} }));
}

describe('refusals found by an audit', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('PixelCNN.fromJSON holds to the limits of PixelCNN.create', () => {
    // within them: read (a 4 x 4 grid, kernel 3)
    PixelCNN.fromJSON(pixelText(4, 4, 3, [false, false])).dispose();
    // 44 x 44 with kernel 3: k^2 N^2 = 3.4e7 > 2^25 (create refuses it; the reader took it)
    expect(formatErrorOf(() => PixelCNN.fromJSON(pixelText(44, 44, 3, [false, false]))).field).toBe(
      'kernelSize',
    );
    expect(invalidArgumentOf(() => PixelCNN.create({ lx: 44, ly: 44, seed: 1 })).argument).toBe(
      'kernelSize',
    );
    // 43 x 43 is within (the README's example said otherwise)
    PixelCNN.create({ lx: 43, ly: 43, channels: 1, depth: 1, seed: 1 }).dispose();
    // a kernel wider than a periodic axis allows
    expect(formatErrorOf(() => PixelCNN.fromJSON(pixelText(2, 3, 7, [true, false]))).field).toBe(
      'kernelSize',
    );
  });

  it('trainNLL refuses rows of another length; nllLearner.restore a network of another size', () => {
    const made = MADE.create({ sites: 9, hidden: 4, seed: 1 });
    // 10 rows of a 16-site model: they were read across configurations as 9-site rows
    const rows = sample(randomMPS({ length: 16, bondDim: 2, seed: 2 }), { count: 10, seed: 3 });
    expect(invalidArgumentOf(() => trainNLL(made, rows, { epochs: 1, seed: 1 })).argument).toBe(
      'data.length',
    );
    expect(
      invalidArgumentOf(() =>
        trainNLL(made, { data: new Int32Array(8), count: 1 }, { epochs: 1, seed: 1 }),
      ).argument,
    ).toBe('data.data');
    expect(invalidArgumentOf(() => made.logProbabilities(rows)).argument).toBe('batch.length');
    const factory = nllLearner({ network: { kind: 'made', hidden: 4 }, epochs: 1 });
    const text = JSON.stringify(made.toJSON());
    made.dispose();
    const restored = factory.restore(text, { sites: 9, localDimension: 2 });
    restored.dispose();
    expect(
      invalidArgumentOf(() => factory.restore(text, { sites: 16, localDimension: 2 })).argument,
    ).toBe('text');
  });

  it('a failed training step leaves the trainer as before it: its checkpoint loads and resumes the same', () => {
    // (a review found that the stream moved on before the refusal of a forbidden draw, so a
    // checkpoint taken after the error had 2 random words more than 2 a step, which the reader
    // refuses)
    const model = isingModel.create({ lx: 2, ly: 2, beta: 0.3 });
    let forbid = false;
    const target = {
      ...model,
      energy: (batch: { data: ArrayLike<number>; count: number }) => {
        const e = model.energy(batch as never);
        return forbid ? e.map(() => Number.POSITIVE_INFINITY) : e;
      },
    };
    const made = MADE.create({ sites: 4, hidden: 4, seed: 1 });
    const twin = MADE.create({ sites: 4, hidden: 4, seed: 1 });
    const trainer = new ReverseKLTrainer(made, {
      model: target,
      batch: 8,
      seed: 1,
      learningRate: 0.05,
    });
    const reference = new ReverseKLTrainer(twin, { model, batch: 8, seed: 1, learningRate: 0.05 });
    trainer.run(2);
    reference.run(2);
    forbid = true;
    expect(invalidArgumentOf(() => trainer.run(1)).argument).toBe('model');
    forbid = false;
    const text = JSON.stringify(made.toJSON({ trainer }));
    const resumed = ReverseKLTrainer.fromJSON(made, text, { model });
    expect(resumed.step).toBe(2);
    // the same next step as a trainer that never failed
    const [next] = resumed.run(1);
    const [expected] = reference.run(1);
    expect(next).toEqual(expected);
    for (const t of [trainer, reference, resumed]) t.dispose();
    made.dispose();
    twin.dispose();
  });

  it('freeEnergyBound refuses a model whose forbidden configurations the network draws', () => {
    const made = MADE.create({ sites: 4, hidden: 4, seed: 1 });
    // a toy target: configurations with two neighbouring 1s are forbidden
    const target = {
      sites: 4,
      localDimension: 2,
      beta: 1,
      energy(batch: { data: ArrayLike<number>; count: number }) {
        const out = new Float64Array(batch.count);
        for (let b = 0; b < batch.count; b++) {
          for (let i = 0; i + 1 < 4; i++) {
            if (batch.data[b * 4 + i] === 1 && batch.data[b * 4 + i + 1] === 1) {
              out[b] = Number.POSITIVE_INFINITY;
            }
          }
        }
        return out;
      },
    };
    expect(
      invalidArgumentOf(() => freeEnergyBound(made, target, { count: 100, seed: 1 })).argument,
    ).toBe('model');
    made.dispose();
  });
});
