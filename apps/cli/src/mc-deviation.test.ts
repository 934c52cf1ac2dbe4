import { createSummary } from '@latticediff/monte-carlo';
import { describe, expect, it } from 'vitest';
import { deviationFromExact, estimatesTable, reliabilityWarnings } from './commands/mc-render';
import type { MonteCarloResult, ObservableEstimate } from './commands/mc-run';
import { run, runJson } from './test-helpers';

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

describe('mc says when its estimates cannot be trusted', () => {
  const estimate = (over: Partial<ObservableEstimate>): ObservableEstimate => ({
    mean: 0,
    stdErr: 0.1,
    tauInt: 2,
    ess: 100,
    essPerSecond: 10,
    windowConverged: true,
    variance: 1,
    constant: false,
    autocorrelation: new Float64Array(1),
    ...over,
  });
  const result = (over: Partial<MonteCarloResult>): MonteCarloResult => ({
    scheme: 'local',
    noiseTime: undefined,
    localSweeps: 0,
    chains: 4,
    steps: 1000,
    burnIn: 100,
    acceptanceRate: 0.5,
    seconds: 1,
    effectiveSampleSize: 100,
    essPerSecond: 100,
    observables: { e: estimate({}) },
    finalStates: new Int32Array(0),
    summary: createSummary({ observables: { e: [Float64Array.of(0, 1, 0, 1)] } }),
    ...over,
  });

  it('names the observable and the remedy: unconverged window, short burn-in, no acceptance', () => {
    expect(reliabilityWarnings(result({}))).toEqual([]);
    expect(
      reliabilityWarnings(
        result({ observables: { e: estimate({ windowConverged: false, tauInt: 300 }) } }),
      ),
    ).toEqual([
      'e: the autocorrelation window did not converge (tau_int >= 300.00 steps), so its error bar is too small; run more --steps (at least 50 tau_int per chain)',
    ]);
    expect(
      reliabilityWarnings(result({ observables: { e: estimate({ tauInt: 30 }) } }))[0],
    ).toMatch(
      /^e: the burn-in \(100 steps, 10% of --steps\) is shorter than 5 tau_int \(150.0 steps\)/,
    );
    expect(reliabilityWarnings(result({ scheme: 'disconnected', acceptanceRate: 0 }))[0]).toMatch(
      /^no DDM proposal was accepted/,
    );
    // chains that disagree with each other (R-hat above 1.05); at or below it, or without an
    // R-hat (merged shards), nothing
    expect(reliabilityWarnings(result({ observables: { e: estimate({ rHat: 1.08 }) } }))).toEqual([
      'e: the chains disagree with each other (R-hat 1.080 > 1.05): they have not mixed, or are far too short for their autocorrelation, so the error bar is not to be trusted; run more --steps, add --local-sweeps, or train a better proposal',
    ]);
    expect(
      reliabilityWarnings(
        result({ observables: { e: estimate({ rHat: Number.POSITIVE_INFINITY }) } }),
      )[0],
    ).toMatch(/^e: the chains disagree with each other \(R-hat infinite > 1.05\)/);
    // 1.02: what well-mixed chains with tau_int about 12 read at 2000 steps (no warning)
    expect(reliabilityWarnings(result({ observables: { e: estimate({ rHat: 1.02 }) } }))).toEqual(
      [],
    );
    // a constant series (no error bar) is not flagged
    expect(
      reliabilityWarnings(
        result({ observables: { e: estimate({ stdErr: 0, windowConverged: false }) } }),
      ),
    ).toEqual([]);
  });

  it('shows an exact value that is zero up to rounding as 0 (was 1.4919e-16)', () => {
    const table = estimatesTable(
      result({
        observables: {
          m: estimate({ mean: -0.028, stdErr: 0.01, exact: 1.4919e-16, deviation: -2.8 }),
          e: estimate({ mean: 3e-15, stdErr: 1e-15, exact: 2e-15, deviation: 1 }),
        },
      }),
    );
    const row = (name: string) => table.split('\n').find((l) => l.startsWith(`${name} `))!;
    expect(row('m')).not.toContain('e-16');
    expect(row('m')).toContain(' 0.00000 ');
    // a genuinely small exact value next to an estimate of its size is kept
    expect(row('e')).toContain('2.0000e-15');
  });

  it('puts trustworthy and warnings in the JSON and the warnings on stderr', () => {
    const args = [
      'mc',
      'fredkin',
      '--sites',
      '16',
      '--c',
      '0.6',
      '--scheme',
      'local',
      '--steps',
      '20',
      '--chains',
      '2',
      '--workers',
      '1',
    ];
    const json = runJson<{ trustworthy: boolean; warnings: string[] }>([...args, '--json']);
    expect(json.trustworthy).toBe(false);
    expect(json.warnings.length).toBeGreaterThan(0);
    const text = run(args);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/^latticediff: warning: /m);
  });

  it('reports R-hat of the chains and warns where they disagree (local moves, the sign of m at beta_c)', () => {
    const out = runJson<{
      observables: Record<string, { rHat?: number }>;
      warnings: string[];
    }>([
      'mc',
      'ising',
      '--lx',
      '4',
      '--ly',
      '4',
      '--scheme',
      'local',
      '--steps',
      '400',
      '--chains',
      '8',
      '--workers',
      '1',
      '--json',
    ]);
    for (const [name, o] of Object.entries(out.observables)) {
      expect(o.rHat, name).toBeGreaterThan(0.9);
    }
    // local sweeps flip the sign of m rarely at beta_c: 8 chains of 400 steps disagree on it
    expect(out.observables.magnetization!.rHat).toBeGreaterThan(1.05);
    expect(out.warnings.some((w) => w.startsWith('magnetization: the chains disagree'))).toBe(true);
    // beyond 2^18 draws an observable, R-hat of every k-th draw (here every 2nd): still computed
    const long = runJson<{ observables: Record<string, { rHat?: number }> }>([
      'mc',
      'ising',
      '--lx',
      '4',
      '--ly',
      '4',
      '--scheme',
      'local',
      '--steps',
      '8200',
      '--chains',
      '32',
      '--workers',
      '1',
      '--no-exact',
      '--json',
    ]);
    for (const [name, o] of Object.entries(long.observables)) {
      expect(o.rHat, name).toBeGreaterThan(0.99);
      expect(o.rHat, name).toBeLessThan(1.05);
    }
  });
});
