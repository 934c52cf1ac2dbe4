/**
 * The conformance kit's checks fed broken models (an audit broke a model one part at a time: these
 * passed the kit before, and gave biased Monte Carlo results): each check fails on its broken
 * variant, with a message naming the broken part, and passes on the correct model.
 */
import { type RandomGenerator, randomMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type { Configuration, LatticeModelInstance } from './contract';
import { enumerateConfigurations, exactByEnumeration } from './enumerate';
import {
  checkClusterMoveInvariance,
  checkExactReferencesAtPoint,
  checkMovesOnViews,
  checkObserveRows,
} from './testing-checks';
import { hardCoreModel } from './toy-model.test-helper';

function allowedRows(instance: LatticeModelInstance): Int32Array[] {
  const all = enumerateConfigurations(instance.sites, 2);
  const rows: Int32Array[] = [];
  for (let k = 0; k < all.count; k++) {
    const x = Int32Array.from(all.data.subarray(k * instance.sites, (k + 1) * instance.sites));
    if (instance.allowed({ data: x, count: 1 })[0] === 1) rows.push(x);
  }
  return rows;
}

/**
 * A cluster move of the hard-core gas that leaves pi invariant (a Metropolis flip of one random
 * site), or, broken, one that occupies a random site whenever it may (no acceptance step).
 */
function withClusterMove(instance: LatticeModelInstance, broken: boolean): LatticeModelInstance {
  const moves = instance.localMoves;
  return {
    ...instance,
    clusterMove(x: Configuration, random: RandomGenerator) {
      const k = Math.floor(random.float64() * instance.sites);
      const dE = moves.deltaEnergy(x, k);
      const u = random.float64();
      const accept = broken
        ? dE !== Number.POSITIVE_INFINITY && x[k] === 0
        : dE !== Number.POSITIVE_INFINITY && u < Math.exp(-instance.beta * dE);
      if (accept) moves.apply(x, k);
      return { accepted: accept, deltaEnergy: accept ? dE : 0, size: 1 };
    },
  };
}

describe('the conformance checks catch broken models', () => {
  const instance = hardCoreModel.create({ sites: 8, mu: 0.6 });
  const rows = allowedRows(instance);

  it('observe: a row read at the wrong offset, and a view whose offset is ignored', () => {
    checkObserveRows(instance, rows);
    const n = instance.sites;
    const rowOffset: LatticeModelInstance = {
      ...instance,
      // row b read at offset b instead of b n
      observe: (name, batch) =>
        instance.observe(name, {
          data: Int32Array.from({ length: batch.count * n }, (_, k) =>
            Number(batch.data[Math.floor(k / n) + (k % n)]),
          ),
          count: batch.count,
        }),
    };
    expect(() => checkObserveRows(rowOffset, rows)).toThrow(
      /observe density: row 1 of a batch gives/,
    );
    const noOffset: LatticeModelInstance = {
      ...instance,
      observe: (name, batch) =>
        instance.observe(name, {
          data:
            batch.data instanceof Int32Array
              ? new Int32Array(batch.data.buffer, 0, batch.count * n)
              : batch.data,
          count: batch.count,
        }),
    };
    expect(() => checkObserveRows(noOffset, rows)).toThrow(/viewed inside a larger buffer/);
  });

  it('local moves: a move that ignores its view and writes at the buffer start', () => {
    checkMovesOnViews(instance, rows);
    const moves = instance.localMoves;
    const ignoresView: LatticeModelInstance = {
      ...instance,
      localMoves: {
        count: moves.count,
        deltaEnergy: moves.deltaEnergy,
        apply(x: Configuration, k: number) {
          const whole = x instanceof Int32Array ? new Int32Array(x.buffer) : x;
          whole[k] = 1 - (whole[k] as number);
        },
      },
    };
    expect(() => checkMovesOnViews(ignoresView, rows)).toThrow(/applied to a view gives/);
  });

  it('cluster moves: one that does not leave pi invariant fails the chi-square test', () => {
    const enumeration = exactByEnumeration(instance);
    checkClusterMoveInvariance(withClusterMove(instance, false), enumeration, 3);
    expect(() =>
      checkClusterMoveInvariance(withClusterMove(instance, true), enumeration, 3),
    ).toThrow(/does not leave pi invariant/);
  });

  it('exact references beyond enumeration: an exact MPS of other parameters, a wrong ln Z', () => {
    // 12 sites: the toy's exactObservables still enumerates, so ln Z can be checked against it
    const point = hardCoreModel.create({ sites: 12, mu: 0.6 });
    const walk = allowedRows(point);
    checkExactReferencesAtPoint(point, walk);
    const otherMu: LatticeModelInstance = {
      ...point,
      exactMPS: () => hardCoreModel.create({ sites: 12, mu: 0.606 }).exactMPS!(),
    };
    expect(() => checkExactReferencesAtPoint(otherMu, walk)).toThrow(
      /exact MPS: ln P\(.*against -beta dE/,
    );
    const wrongLogZ: LatticeModelInstance = {
      ...point,
      exactObservables: () => {
        const exact = point.exactObservables!();
        return { ...exact, logPartitionFunction: exact.logPartitionFunction * (1 + 1e-6) };
      },
    };
    expect(() => checkExactReferencesAtPoint(wrongLogZ, walk)).toThrow(
      /ln Z of exactObservables against the exact MPS/,
    );
    // an MPS of another distribution altogether
    const random: LatticeModelInstance = {
      ...point,
      exactMPS: () => randomMPS({ length: 12, bondDim: 2, seed: 4 }),
    };
    expect(() => checkExactReferencesAtPoint(random, walk)).toThrow(/exact MPS/);
  });
});
