import { invalidArgumentOf } from '@latticediff/test-kit/testing';
import { describe, expect, it } from 'vitest';
import type { LatticeModelInstance } from './contract';
import { enumerateConfigurations } from './enumerate';
import { probeLocalFactors } from './probe-factors';
import { hardCoreModel } from './toy-model.test-helper';

/** A chain whose energy has site, pair and (optionally) three-site terms. */
function toyInstance(sites: number, threeSite: number): LatticeModelInstance {
  const base = hardCoreModel.create({ sites });
  const energyOf = (x: ArrayLike<number>): number => {
    let e = 0.25;
    for (let i = 0; i < sites; i++) {
      e += 0.3 * (x[i] as number) * (i + 1);
      if (i + 1 < sites) e -= 0.7 * (x[i] === x[i + 1] ? 1 : -1);
      if (i + 3 < sites) e += 0.2 * (x[i] as number) * (x[i + 3] as number);
      if (i + 2 < sites)
        e += threeSite * (x[i] as number) * (x[i + 1] as number) * (x[i + 2] as number);
    }
    return e;
  };
  return {
    ...base,
    modelId: 'toy',
    energy(batch) {
      const out = new Float64Array(batch.count);
      for (let b = 0; b < batch.count; b++) {
        out[b] = energyOf(batch.data.subarray(b * sites, (b + 1) * sites));
      }
      return out;
    },
    initialConfiguration: () => new Int32Array(sites).fill(1),
  };
}

function expansion(factors: ReturnType<typeof probeLocalFactors>['factors'], x: ArrayLike<number>) {
  let e = factors.constant ?? 0;
  for (let i = 0; i < x.length; i++) e += factors.siteEnergies![i * 2 + (x[i] as number)]!;
  const pairs = factors.pairs!;
  for (let p = 0; p < pairs.sites.length / 2; p++) {
    const a = x[pairs.sites[2 * p]!] as number;
    const b = x[pairs.sites[2 * p + 1]!] as number;
    e += pairs.energies[p * 4 + a * 2 + b]!;
  }
  return e;
}

describe('probeLocalFactors', () => {
  it('recovers a pairwise energy of any range exactly, from any reference', () => {
    const sites = 8;
    const instance = toyInstance(sites, 0);
    for (const reference of [undefined, [0, 1, 1, 0, 1, 0, 0, 1]]) {
      const probe = probeLocalFactors(instance, reference ? { reference } : {});
      expect(probe.pairwise).toBe(true);
      expect(probe.pairCount).toBe(sites - 1 + sites - 3);
      expect(probe.energyEvaluations).toBe(1 + sites + (sites * (sites - 1)) / 2 + 256);
      const all = enumerateConfigurations(sites, 2);
      const energies = instance.energy(all);
      for (let k = 0; k < all.count; k++) {
        const x = all.data.subarray(k * sites, (k + 1) * sites);
        expect(Math.abs(expansion(probe.factors, x) - energies[k]!)).toBeLessThan(1e-12);
      }
    }
  });

  it('says when the energy has terms of three sites, and by how much the expansion misses', () => {
    const probe = probeLocalFactors(toyInstance(8, 0.5), { seed: 1 });
    expect(probe.pairwise).toBe(false);
    // each three-site product is 0 or 0.5; some check configuration meets at least one
    expect(probe.maxResidual).toBeGreaterThanOrEqual(0.5 - 1e-12);
  });

  it('refuses a model with hard constraints, naming the configuration', () => {
    const instance = hardCoreModel.create({ sites: 6 });
    const error = invalidArgumentOf(() => probeLocalFactors(instance));
    expect(error.argument).toBe('instance');
    expect(error.message).toContain('E = +Infinity with site');
    expect(error.message).toContain('localFactors()');
  });

  it('refuses bad options, naming them', () => {
    const instance = toyInstance(4, 0);
    expect(invalidArgumentOf(() => probeLocalFactors(instance, { tolerance: 0 })).argument).toBe(
      'tolerance',
    );
    expect(invalidArgumentOf(() => probeLocalFactors(instance, { checks: 0 })).argument).toBe(
      'checks',
    );
    expect(
      invalidArgumentOf(() => probeLocalFactors(instance, { reference: [0, 1] })).argument,
    ).toBe('reference');
    expect(
      invalidArgumentOf(() => probeLocalFactors(instance, { reference: [0, 1, 2, 0] })).argument,
    ).toBe('reference[2]');
    expect(
      invalidArgumentOf(() => probeLocalFactors(instance, { seeds: 1 } as never)).argument,
    ).toBe('options.seeds');
  });
});
