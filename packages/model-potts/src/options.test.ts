import { squareLattice } from '@latticediff/lattice';
import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { pottsExactMPS } from './exact-mps';
import { pottsModel } from './potts';
import { pottsCountDistribution, pottsTransferMatrix } from './transfer-matrix';
import { createPottsWolffUpdate } from './wolff';

describe('misspelt parameters and options are refused, naming them', () => {
  it.each([
    ['potts', () => pottsModel.create({ lx: 2, ly: 2, colours: 3 } as never)],
    ['pottsExactMPS', () => pottsExactMPS({ lx: 2, ly: 2, Q: 3 } as never)],
    ['pottsTransferMatrix', () => pottsTransferMatrix({ lx: 2, ly: 2, betta: 1 } as never)],
    ['pottsCountDistribution', () => pottsCountDistribution({ lx: 2, ly: 2, feild: 1 } as never)],
  ] as [string, () => unknown][])('%s refuses an unknown parameter', (name, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.message).toContain('unknown parameter');
  });

  it('createPottsWolffUpdate refuses a misspelt option and a non-object', () => {
    const geometry = squareLattice({ lx: 2, ly: 2 });
    const error = invalidArgumentOf(() =>
      createPottsWolffUpdate(geometry, { q: 3, coupling: 1, field: 0, betta: 0.3 } as never),
    );
    expect(error.functionName).toBe('createPottsWolffUpdate');
    expect(error.argument).toBe('options.betta');
    expect(error.message).toContain('`createPottsWolffUpdate` has no option `betta`');
    expect(invalidArgumentOf(() => createPottsWolffUpdate(geometry, 3 as never)).argument).toBe(
      'options',
    );
    expect(createPottsWolffUpdate(geometry, { q: 3, coupling: 1, field: 0, beta: 0.3 })).toBeTypeOf(
      'function',
    );
  });
});

describe('potts sizes', () => {
  it('names potts and lx or ly for a lattice beyond the sites limit (it named squareLattice)', () => {
    expect(() => pottsModel.create({ lx: 4000, ly: 4000 })).toThrow(
      '`lx` passed to `potts` must be an integer <= 1048 for ly = 4000 (lx * ly <= 4194304 sites)',
    );
    expect(() => pottsModel.create({ lx: 2, ly: 2 ** 23 })).toThrow('`ly` passed to `potts`');
  });
});
