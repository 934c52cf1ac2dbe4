import { squareLattice } from '@latticediff/lattice';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { isingExactMPS } from './exact-mps';
import { isingModel } from './ising';
import { isingTransferMatrix } from './transfer-matrix';
import { createWolffUpdate } from './wolff';

describe('misspelt parameters and options are refused, naming them', () => {
  it.each([
    ['ising', () => isingModel.create({ lx: 2, ly: 2, betta: 0.3 } as never)],
    ['isingExactMPS', () => isingExactMPS({ lx: 2, ly: 2, feild: 0.1 } as never)],
    ['isingTransferMatrix', () => isingTransferMatrix({ lx: 2, ly: 2, boundry: 'torus' } as never)],
  ] as [string, () => unknown][])('%s refuses an unknown parameter', (name, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.message).toContain('unknown parameter');
  });

  it('createWolffUpdate refuses a misspelt option and a non-object', () => {
    const geometry = squareLattice({ lx: 2, ly: 2 });
    const error = invalidArgumentOf(() =>
      createWolffUpdate(geometry, { coupling: 1, feild: 0, beta: 0.3 } as never),
    );
    expect(error.functionName).toBe('createWolffUpdate');
    expect(error.argument).toBe('options.feild');
    expect(error.message).toContain('`createWolffUpdate` has no option `feild`');
    expect(invalidArgumentOf(() => createWolffUpdate(geometry, null as never)).argument).toBe(
      'options',
    );
    expect(createWolffUpdate(geometry, { coupling: 1, field: 0, beta: 0.3 })).toBeTypeOf(
      'function',
    );
  });
});

describe('energy and observe check the digits in the pass that reads them', () => {
  const model = isingModel.create({ lx: 3, ly: 2, field: 0.2 });
  const names = ['energy', ...model.observables.map((o) => o.name)];
  const call = (name: string, data: Int32Array | Uint8Array) => {
    const batch = { data, count: 3 };
    return () => (name === 'energy' ? model.energy(batch) : model.observe(name, batch));
  };
  it.each(names)(
    '%s refuses a digit out of range anywhere, naming batch.data and the entry',
    (name) => {
      for (const [entry, value] of [
        [0, 2],
        [8, -1],
        [17, 2],
      ] as const) {
        const data = new Int32Array(18);
        data[entry] = value;
        const error = invalidArgumentOf(call(name, data));
        expect(error.argument).toBe('batch.data');
        expect(error.message).toContain(`(entry ${entry} is not) (got ${value})`);
      }
      const bytes = new Uint8Array(18);
      bytes[17] = 255;
      expect(invalidArgumentOf(call(name, bytes)).message).toContain('(entry 17 is not) (got 255)');
    },
  );

  it('gives the values of the definitions on valid digits (E = -J sum s_i s_j - h sum s_i)', () => {
    const x = Int32Array.from([1, 0, 0, 1, 1, 1]);
    const s = Array.from(x, (v) => 2 * v - 1);
    let bonds = 0;
    const b = model.geometry.bonds;
    for (let k = 0; k < b.length; k += 2) bonds += s[b[k]!]! * s[b[k + 1]!]!;
    const m = s.reduce((a, v) => a + v, 0);
    expect(model.energy({ data: x, count: 1 })[0]).toBe(-bonds - 0.2 * m);
    expect(model.observe('magnetization', { data: x, count: 1 })[0]).toBe(m / 6);
    expect(model.observe('energyPerSite', { data: x, count: 1 })[0]).toBe((-bonds - 0.2 * m) / 6);
  });
});
