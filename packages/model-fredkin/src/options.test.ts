import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import { fredkinExact, fredkinExactMPS, sampleFredkin } from './exact';
import { fredkinModel } from './fredkin';

describe('misspelt parameters and options are refused, naming them', () => {
  it('create refuses an unknown parameter (the lattice parameter parser)', () => {
    const error = invalidArgumentOf(() => fredkinModel.create({ sites: 4, C: 0.3 } as never));
    expect(error.functionName).toBe('fredkin');
    expect(error.argument).toBe('C');
    expect(error.message).toContain('unknown parameter');
  });

  it.each([
    ['fredkinExact', 'seed', () => fredkinExact({ sites: 4, c: 0.3, seed: 1 } as never)],
    ['fredkinExactMPS', 'site', () => fredkinExactMPS({ sites: 4, c: 0.3, site: 6 } as never)],
    [
      'sampleFredkin',
      'seeed',
      () => sampleFredkin({ sites: 4, c: 0.3, count: 2, seed: 1, seeed: 2 } as never),
    ],
  ] as [string, string, () => unknown][])('%s refuses `%s`', (name, key, call) => {
    const error = invalidArgumentOf(call);
    expect(error.functionName).toBe(name);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(`\`${name}\` has no option \`${key}\``);
  });

  it('the spelled-out options still work', () => {
    expect(fredkinExact({ sites: 4, c: 0.3 }).logPartitionFunction).toBeTypeOf('number');
    expect(fredkinExactMPS({ sites: 4, c: 0.3 }).mps.length).toBe(4);
    expect(sampleFredkin({ sites: 4, c: 0.3, count: 2, seed: 1 }).count).toBe(2);
  });
});
