import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listing, run, runJson, temporaryDirectory } from './test-helpers';

describe('demo', () => {
  it('learns, samples, compares with exact values and writes the pictures (short run)', () => {
    const directory = temporaryDirectory();
    const r = run(['demo', '--rounds', '2', '--steps', '40', '--out-dir', 'out'], {
      cwd: directory,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/8x8 cylinder at beta_c =\s+0\.4406868/);
    for (const name of ['energyPerSite', 'absMagnetization', 'magnetizationSquared']) {
      expect(r.stdout).toMatch(new RegExp(`${name}\\s+-?[\\d.]+ ± [\\d.]+\\s+-?[\\d.]+`));
    }
    expect(listing(join(directory, 'out'))).toEqual([
      'autocorrelation.svg',
      'configurations.svg',
      'denoising.svg',
      'ising-8x8.mps',
      'training.svg',
    ]);
    // fits an 80-column terminal, and every duration says what it measured
    const lines = r.stdout.trimEnd().split('\n');
    const tooWide = lines.filter((line) => [...line].length > 80);
    expect(tooWide, r.stdout).toEqual([]);
    expect(
      lines.filter((line) => /^\s*(\d+ min )?[\d.]+ s\W*$/.test(line)),
      r.stdout,
    ).toEqual([]);
    expect(r.stdout).toMatch(/built and refined in [\d.]+ s/);
    expect(r.stdout).toMatch(/sampled in [\d.]+ s: acceptance/);
    const picture = readFileSync(join(directory, 'out', 'denoising.svg'), 'utf8');
    expect(picture).toContain('t = 0 (denoised)');
    expect((picture.match(/<rect /g) ?? []).length).toBeGreaterThan(8 * 64);
  });
});

describe('bench', () => {
  it('prints the machine and the figures as JSON', () => {
    const out = runJson<{
      machine: { cpu: string; cores: number; node: string; loadAverage: number; busy: boolean };
      sampling: {
        singleThreadSamplesPerSecond: number;
        poolSamplesPerSecond: number;
        singleThreadSpread: { median: number; min: number; max: number; repeats: number };
        sites: number;
        bondDim: number;
        batch: number;
      };
      denoising: { singleThreadSamplesPerSecond: number; poolSamplesPerSecond: number };
      monteCarlo: { results: { scheme: string; acceptanceRate: number }[] };
    }>(['bench', '--json']);
    expect(out.machine.cores).toBeGreaterThan(0);
    expect(out.machine.node).toBe(process.version);
    expect(out.sampling).toMatchObject({ sites: 256, bondDim: 32, batch: 1000 });
    expect(out.sampling.singleThreadSamplesPerSecond).toBeGreaterThan(0);
    expect(out.sampling.poolSamplesPerSecond).toBeGreaterThan(0);
    // the spread over repeats, and the load the busy-machine warning looks at
    const s = out.sampling.singleThreadSpread;
    expect(s.repeats).toBeGreaterThanOrEqual(3);
    expect(s.min).toBeLessThanOrEqual(s.median);
    expect(s.median).toBeLessThanOrEqual(s.max);
    expect(s.median).toBe(out.sampling.singleThreadSamplesPerSecond);
    expect(out.machine.loadAverage).toBeGreaterThanOrEqual(0);
    expect(typeof out.machine.busy).toBe('boolean');
    expect(out.denoising.singleThreadSamplesPerSecond).toBeGreaterThan(0);
    expect(out.monteCarlo.results.map((r) => r.scheme)).toEqual([
      'connected T=0.5',
      'disconnected',
      'local',
      'wolff',
    ]);
  });
});
