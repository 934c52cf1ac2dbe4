import { InvalidArgumentError, logProbabilities } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type { LatticeModelInstance } from './contract';
import { exactByEnumeration } from './enumerate';
import { physicsBornMPS } from './physics-mps';
import { hardCoreModel } from './toy-model.test-helper';

function errorOf(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

/** The untruncated build of `instance` against enumeration: ln Z and every probability. */
function expectExactBuild(instance: LatticeModelInstance) {
  const built = physicsBornMPS(instance, { maxBondDim: Number.POSITIVE_INFINITY, cutoff: 0 });
  const exact = exactByEnumeration(instance);
  expect(built.totalTruncationError).toBe(0);
  expect(built.logPartitionFunction).toBeCloseTo(exact.logPartitionFunction, 12);
  const lp = logProbabilities(built.mps, exact.configurations);
  for (let k = 0; k < exact.configurations.count; k++) {
    const p = exact.probabilities[k]!;
    if (p === 0) expect(Math.exp(lp[k]!)).toBeLessThan(1e-25);
    else expect(Math.abs(Math.exp(lp[k]!) - p)).toBeLessThan(1e-12 * p + 1e-15);
  }
  return built;
}

describe('physicsBornMPS', () => {
  it('is exact without truncation: P = psi^2 equals pi by enumeration, 2 ln ||psi|| = ln Z', () => {
    expectExactBuild(hardCoreModel.create({ sites: 12, mu: 0.8 }));
  });

  it('forbids +Infinity energy terms at beta = 0 and below, as at beta > 0', () => {
    // (-beta/2 * Infinity was NaN at beta = 0 and +Infinity below: the builder refused the model)
    for (const beta of [0, -0.5]) {
      expectExactBuild({ ...hardCoreModel.create({ sites: 10, mu: 0.8 }), beta });
    }
    // at beta = 0: the uniform distribution on the 144 allowed configurations of 10 sites
    const uniform = expectExactBuild({ ...hardCoreModel.create({ sites: 10, mu: 0.8 }), beta: 0 });
    expect(uniform.logPartitionFunction).toBeCloseTo(Math.log(144), 12);
  });

  it('keeps maxBondDim', () => {
    const instance = hardCoreModel.create({ sites: 20, mu: 0.3 });
    const built = physicsBornMPS(instance, { maxBondDim: 1 });
    expect(Math.max(...built.bondDims)).toBe(1);
    expect(built.totalTruncationError).toBeGreaterThan(0);
  });

  it('names what is missing for a model without local factors', () => {
    const instance = hardCoreModel.create({ sites: 4 });
    const { localFactors: _, ...withoutFactors } = instance;
    const error = errorOf(() =>
      physicsBornMPS(withoutFactors as LatticeModelInstance, { maxBondDim: 8 }),
    );
    expect(error.argument).toBe('instance.localFactors');
    expect(error.message).toContain('model `hard-core` has none');
    expect(error.message).toContain('exposes its energy as local terms');
  });

  it('refuses bad bond dimensions, cutoffs, options and factor versions, naming them', () => {
    const instance = hardCoreModel.create({ sites: 4 });
    expect(errorOf(() => physicsBornMPS(instance, { maxBondDim: 0 })).message).toBe(
      'invalid argument: `maxBondDim` passed to `physicsBornMPS` must be a positive integer (or Infinity) (got 0)',
    );
    expect(errorOf(() => physicsBornMPS(instance, {} as { maxBondDim: number })).argument).toBe(
      'maxBondDim',
    );
    expect(errorOf(() => physicsBornMPS(instance, { maxBondDim: 4, cutoff: 1 })).argument).toBe(
      'cutoff',
    );
    expect(
      errorOf(() =>
        physicsBornMPS(instance, { maxBondDim: 4, maxBond: 2 } as { maxBondDim: number }),
      ).argument,
    ).toBe('options.maxBond');
    const wrongVersion = {
      ...instance,
      localFactors: () => ({ ...instance.localFactors!(), specificationVersion: 'v2' }),
    } as unknown as LatticeModelInstance;
    expect(errorOf(() => physicsBornMPS(wrongVersion, { maxBondDim: 4 })).argument).toBe(
      'instance.localFactors().specificationVersion',
    );
    // a misspelt key of the factors (it was ignored: `siteEnergy` dropped the site terms)
    const { siteEnergies, ...rest } = instance.localFactors!();
    expect(
      errorOf(() =>
        physicsBornMPS(instance, {
          maxBondDim: 4,
          factors: { ...rest, siteEnergy: siteEnergies } as never,
        }),
      ).argument,
    ).toBe('factors.siteEnergy');
  });
});
