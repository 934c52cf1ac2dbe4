import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { chain, squareLattice } from './geometry';
import { describeLatticeModel } from './testing';
import { hardCoreEnergy, hardCoreModel } from './toy-model.test-helper';

describe('misspelt options are refused, naming the function and the option', () => {
  // each call is valid except for one misspelt option name
  const cases: [string, string, () => unknown][] = [
    ['chain', 'periodc', () => chain(4, { periodc: true } as never)],
    ['squareLattice', 'boundry', () => squareLattice({ lx: 3, ly: 4, boundry: 'torus' } as never)],
    ['squareLattice', 'Lx', () => squareLattice({ Lx: 3, lx: 3, ly: 4 } as never)],
    [
      'describeLatticeModel',
      'referenceEnergi',
      () =>
        describeLatticeModel(hardCoreModel, {
          paramGrid: [{ sites: 4 }],
          referenceEnergi: hardCoreEnergy,
        } as never),
    ],
  ];
  it.each(cases)('%s refuses `%s`', (name, key, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('the spelled-out options still work, and undefined values are allowed', () => {
    expect(chain(4, { periodic: true }).periodic).toEqual([true]);
    expect(chain(4, { periodic: undefined }).periodic).toEqual([false]);
    expect(squareLattice({ lx: 3, ly: 4, boundary: 'torus', order: 'row' }).order).toBe('row');
  });

  it('non-object options and a non-boolean `periodic` are refused naming the argument', () => {
    expect(invalidArgumentOf(() => chain(4, null as never)).argument).toBe('options');
    expect(invalidArgumentOf(() => chain(4, { periodic: 'yes' } as never)).argument).toBe(
      'periodic',
    );
    expect(invalidArgumentOf(() => describeLatticeModel(hardCoreModel, 7 as never)).argument).toBe(
      'options',
    );
    expect(
      invalidArgumentOf(() => describeLatticeModel(hardCoreModel, { paramGrid: [] })).argument,
    ).toBe('paramGrid');
  });

  it('unknown model parameters are refused by create (the parameter parser)', () => {
    const error = invalidArgumentOf(() => hardCoreModel.create({ sites: 4, muu: 0.3 } as never));
    expect(error.argument).toBe('muu');
    expect(error.message).toContain('unknown parameter');
  });
});
