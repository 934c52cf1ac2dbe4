import { enumerateConfigurations } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import {
  InvalidArgumentError,
  logProbabilities,
  type MPS,
  randomMPS,
  sample,
  toDense,
} from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { MPSTrainer } from './learn';
import { withSecondCopy } from './second-copy.test-helper';

/** KL(P_target || P_model) by enumeration. */
function kl(target: Float64Array, model: MPS): number {
  const q = toDense(model);
  let acc = 0;
  for (let k = 0; k < target.length; k++)
    if (target[k]! > 0) acc += target[k]! * Math.log(target[k]! / q[k]!);
  return acc;
}

describe('MPSTrainer', () => {
  const target = randomMPS({ length: 8, bondDim: 3, seed: 5, spread: 1.2 });
  const p = toDense(target);
  const data = sample(target, { count: 4000, seed: 6 });
  // the empirical distribution's own KL floor: what a perfect fit of the data would reach
  const counts = new Float64Array(p.length);
  for (let b = 0; b < data.count; b++) {
    let idx = 0;
    for (let i = 0; i < 8; i++) idx = idx * 2 + data.data[b * 8 + i]!;
    counts[idx]!++;
  }

  it.each([
    ['linear', 'exp'],
    ['linear', 'square'],
    ['born', 'exp'],
  ] as const)(
    'NLL training of a %s MPS (%s) reduces the exact KL divergence to the target',
    (kind, parametrization) => {
      const initial = randomMPS({ length: 8, bondDim: 3, seed: 9, spread: 0.05, kind });
      const trainer = new MPSTrainer(initial, { learningRate: 0.05, parametrization });
      const before = kl(p, trainer.mps);
      const losses: number[] = [];
      for (let e = 0; e < 30; e++) losses.push(trainer.epoch(data, { batchSize: 200, seed: e }));
      const after = kl(p, trainer.mps);
      expect(before).toBeGreaterThan(0.3);
      // at least a 5-fold reduction of the KL divergence, and the loss went down
      expect(after).toBeLessThan(before / 5);
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    },
  );

  it('saveState / restore continue training bit for bit', () => {
    const initial = randomMPS({ length: 8, bondDim: 3, seed: 9, spread: 0.05 });
    const a = new MPSTrainer(initial, { learningRate: 0.05 });
    const b = new MPSTrainer(initial, { learningRate: 0.05 });
    for (let e = 0; e < 3; e++) a.epoch(data, { batchSize: 500, seed: e });
    for (let e = 0; e < 2; e++) b.epoch(data, { batchSize: 500, seed: e });
    const resumed = MPSTrainer.restore(b.saveState());
    resumed.epoch(data, { batchSize: 500, seed: 2 });
    expect(resumed.stepCount).toBe(a.stepCount);
    a.mps.tensors.forEach((t, i) => {
      expect(Array.from(resumed.mps.tensors[i]!)).toEqual(Array.from(t));
    });
  });

  it('variational (reverse-KL) training approaches a Boltzmann distribution', () => {
    const model = fredkinModel.create({ sites: 8, c: 0.6 });
    const all = enumerateConfigurations(8, 2);
    const energy = model.energy(all);
    const logW = Array.from(energy, (e) => -e);
    const maxW = Math.max(...logW.filter(Number.isFinite));
    const w = logW.map((l) => (Number.isFinite(l) ? Math.exp(l - maxW) : 0));
    const z = w.reduce((x, y) => x + y, 0);
    const pi = Float64Array.from(w, (x) => x / z);
    const trainer = new MPSTrainer(randomMPS({ length: 8, bondDim: 3, seed: 2, spread: 0.05 }), {
      learningRate: 0.05,
    });
    // reverse KL(P || pi) = F - F_exact, F = E_P[log P + beta E]
    const reverseKL = (m: MPS) => {
      const lq = logProbabilities(m, all);
      let acc = 0;
      for (let k = 0; k < all.count; k++) {
        const q = Math.exp(lq[k]!);
        if (q > 0) acc += q * (lq[k]! - (pi[k]! > 0 ? Math.log(pi[k]!) : -700));
      }
      return acc;
    };
    const before = reverseKL(trainer.mps);
    for (let s = 0; s < 150; s++)
      trainer.stepVariational((batch) => model.energy(batch), { beta: 1, samples: 256, seed: s });
    const after = reverseKL(trainer.mps);
    expect(after).toBeLessThan(before / 5);
    void counts;
  });

  it('rejects bad options', () => {
    const m = randomMPS({ length: 4, bondDim: 2, seed: 1 });
    expect(() => new MPSTrainer(m, { learningRate: 0 })).toThrow(
      /`learningRate` passed to `MPSTrainer`/,
    );
    expect(() => new MPSTrainer(m, { parametrization: 'cubic' as never })).toThrow(
      /`parametrization`/,
    );
    expect(() => new MPSTrainer({} as never)).toThrow(/`initial`/);
    const t = new MPSTrainer(m);
    expect(() => t.epoch({ data: new Int32Array(0), count: 0 }, { seed: 1 })).toThrow(/`data`/);
    expect(() => t.epoch({ data: new Int32Array(4), count: 1 }, { seed: 1, batchSize: 0 })).toThrow(
      /`batchSize`/,
    );
    expect(() => MPSTrainer.restore('{"format":"other"}')).toThrow(/latticediff.trainer/);
    expect(() => MPSTrainer.restore('not json')).toThrow(/`text` passed to `MPSTrainer.restore`/);
    // an edited state: an unknown parametrization was read as exp, an unknown kind as linear,
    // steps of 1.5 or -1 were kept, moments of another shape were copied in part
    const saved = JSON.parse(t.saveState()) as Record<string, unknown>;
    const other = new MPSTrainer(randomMPS({ length: 5, bondDim: 2, seed: 1 }));
    const edits: [Record<string, unknown>, string][] = [
      [{ parametrization: 'zzz' }, 'parametrization is one of "exp", "square", "identity"'],
      [{ kind: 'quantum' }, 'kind is "linear" or "born"'],
      [{ steps: 1.5 }, 'steps is an integer >= 0'],
      [{ steps: -1 }, 'steps is an integer >= 0'],
      [{ m: JSON.parse(other.saveState()).m }, 'm and v match theta'],
    ];
    for (const [edit, expected] of edits) {
      expect(() => MPSTrainer.restore(JSON.stringify({ ...saved, ...edit }))).toThrow(expected);
    }
    const again = JSON.parse(MPSTrainer.restore(JSON.stringify(saved)).saveState()) as {
      steps: number;
    };
    expect(again.steps).toBe(saved.steps);
  });
});

describe('MPSTrainer: misspelt options and MPS from another copy of tensor-network', () => {
  const m = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  const batch = { data: new Int32Array(8).map((_, k) => k % 2), count: 2 };

  it.each([
    ['MPSTrainer', 'learningrate', () => new MPSTrainer(m, { learningrate: 0.1 } as never)],
    [
      'MPSTrainer',
      'parameterization',
      () => new MPSTrainer(m, { parameterization: 'square' } as never),
    ],
    [
      'MPSTrainer.epoch',
      'batchsize',
      () => new MPSTrainer(m).epoch(batch, { seed: 1, batchsize: 1 } as never),
    ],
    ['MPSTrainer.epoch', 'seeed', () => new MPSTrainer(m).epoch(batch, { seeed: 1 } as never)],
    [
      'MPSTrainer.stepVariational',
      'sample',
      () =>
        new MPSTrainer(m).stepVariational((b) => new Float64Array(b.count), {
          beta: 1,
          sample: 10,
          seed: 1,
        } as never),
    ],
  ] as [string, string, () => unknown][])('%s refuses `%s`', (name, key, call) => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    const error = caught as InvalidArgumentError;
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('refuses non-object options and a plain object as `initial`', () => {
    expect(() => new MPSTrainer(m, null as never)).toThrow(/`options` passed to `MPSTrainer`/);
    expect(() => new MPSTrainer(m).epoch(batch, 1 as never)).toThrow(/`options`/);
    const plain = { kind: 'linear', length: 4, physicalDims: m.physicalDims, tensors: m.tensors };
    expect(() => new MPSTrainer(plain as never)).toThrow(
      /`initial` passed to `MPSTrainer` must be an MPS \(from MPS.fromTensors/,
    );
  });

  it('trains an MPS made by a second installed copy exactly as its local twin', async () => {
    // a copy of the built package in a temporary node_modules: its MPS class is a different one
    await withSecondCopy(async (other) => {
      const foreign = other.MPS.fromTensors(
        m.tensors.map((data, i) => ({ shape: m.siteShape(i), data })),
      ) as unknown as MPS;
      expect(foreign.constructor).not.toBe(m.constructor);
      const a = new MPSTrainer(foreign, { learningRate: 0.05 });
      const b = new MPSTrainer(m, { learningRate: 0.05 });
      for (let e = 0; e < 3; e++) {
        expect(a.epoch(batch, { batchSize: 1, seed: e })).toBe(
          b.epoch(batch, { batchSize: 1, seed: e }),
        );
      }
      a.mps.tensors.forEach((t, i) => {
        expect(Array.from(t)).toEqual(Array.from(b.mps.tensors[i]!));
      });
    });
  });
});

describe('MPSTrainer.stepVariational: energies and steps that cannot be used', () => {
  const m = randomMPS({ length: 4, bondDim: 2, seed: 1 });
  const options = { beta: 1, samples: 8, seed: 1 };

  it('refuses an energy that is not a function, returns too few values, NaN or -Infinity', () => {
    // (NaN or a short array were taken as "not allowed" and the step counted)
    const t = new MPSTrainer(m);
    for (const energy of [
      5 as never,
      () => new Float64Array(1),
      (b: { count: number }) => new Float64Array(b.count).fill(Number.NaN),
      (b: { count: number }) => new Float64Array(b.count).fill(Number.NEGATIVE_INFINITY),
    ]) {
      let caught: unknown;
      try {
        t.stepVariational(energy, options);
      } catch (error) {
        caught = error;
      }
      expect(InvalidArgumentError.isInstance(caught), String(caught)).toBe(true);
      expect((caught as InvalidArgumentError).argument).toBe('energy');
    }
    // +Infinity (a configuration that is not allowed) is a valid energy
    expect(
      Number.isFinite(
        t.stepVariational((b) => new Float64Array(b.count).fill(Number.POSITIVE_INFINITY), options)
          .loss,
      ),
    ).toBe(true);
  });

  it('refuses a step that would make the parameters non-finite and keeps the state as it was', () => {
    // (a learning rate of 1e308 left parameters of -Infinity and a state that could not be saved)
    const t = new MPSTrainer(m, { learningRate: 1e308 });
    const before = t.saveState();
    const energy = (b: { data: Int32Array; count: number }) =>
      Float64Array.from({ length: b.count }, (_, k) => b.data[k * 4]! - b.data[k * 4 + 3]!);
    expect(() => t.stepVariational(energy, options)).toThrow(
      'would make the parameters non-finite',
    );
    expect(t.saveState()).toBe(before);
  });
});
