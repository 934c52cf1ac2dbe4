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
