import { describe, expect, it } from 'vitest';
import { busyMachineWarning, spread } from './commands/bench';

describe('bench: busy machine and spread (pure functions, no real load or clock)', () => {
  it('warns when the 1-minute load average is above the core count, not at or below it', () => {
    expect(busyMachineWarning(0.3, 2)).toBeUndefined();
    expect(busyMachineWarning(2, 2)).toBeUndefined();
    const warning = busyMachineWarning(3.5, 2);
    expect(warning).toMatch(/busy \(load average 3\.50 over the last minute on 2 cores\)/);
    expect(warning).toMatch(/rerun when the load average is below 2/);
    expect(busyMachineWarning(1.2, 1)).toMatch(/on 1 core\)/);
    expect(busyMachineWarning(Number.NaN, 2)).toBeUndefined();
  });

  it('gives median, minimum and maximum of the repeats', () => {
    expect(spread([4583, 10586, 9000, 10950, 9800])).toEqual({
      median: 9800,
      min: 4583,
      max: 10950,
      repeats: 5,
    });
    expect(spread([1, 3, 2, 4])).toEqual({ median: 2.5, min: 1, max: 4, repeats: 4 });
    expect(() => spread([])).toThrow();
  });
});
