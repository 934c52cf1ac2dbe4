import { describe, expect, it } from 'vitest';
import { deviationFromExact } from './commands/mc';
import { runJson } from './test-helpers';

describe('deviationFromExact', () => {
  it('is (mean - exact) / stdErr for a series with an error bar', () => {
    expect(deviationFromExact(1.2, 0.5, 0.1, 1)).toBeCloseTo(2, 12);
    expect(deviationFromExact(0.5, 0.5, 0.1, 1)).toBeCloseTo(-5, 12);
  });

  it('agrees for a constant series equal to the exact value and disagrees otherwise', () => {
    expect(deviationFromExact(-0.25, 0, Number.NaN, -0.25 + 1e-15)).toBe(0);
    expect(deviationFromExact(-0.25, 0, 0, -0.25)).toBe(0);
    expect(deviationFromExact(-0.25, 0, Number.NaN, -0.2)).toBe(Number.NEGATIVE_INFINITY);
    expect(deviationFromExact(0.3, 0, Number.NaN, 0.2)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('latticediff mc with a constant observable', () => {
  it('reports the Fredkin energy at c = 1/2 (the same for every path) as agreeing', () => {
    const result = runJson<{
      observables: Record<string, { mean: number; exact: number; deviation: number }>;
    }>([
      'mc',
      'fredkin',
      '--sites',
      '8',
      '--c',
      '0.5',
      '--scheme',
      'local',
      '--steps',
      '200',
      '--chains',
      '4',
      '--workers',
      '1',
      '--json',
    ]);
    const energy = result.observables.energyPerSite!;
    expect(energy.mean).toBeCloseTo(energy.exact, 12);
    expect(energy.deviation).toBe(0);
  });
});
