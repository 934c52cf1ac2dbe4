/**
 * Issue 16: mc and exact do not wait silently for an exact reference (skipped by default when
 * estimated to be slow, --exact / --no-exact, computed on a worker thread for the progress line),
 * and an observable that never changes is shown as constant instead of n/a.
 */
import type { ExactObservables } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { describe, expect, it } from 'vitest';
import { exactOnThread, exactSkipReason, MC_EXACT_MAX_WORK } from './exact-reference';
import { expectUsageError, run, runJson } from './test-helpers';

interface McJson {
  exactReference: string;
  observables: Record<
    string,
    { mean: number; stdErr: number | null; exact?: number; constant?: boolean }
  >;
}

const WORKER = new URL('../dist/exact-worker.js', import.meta.url);
const ISING_MODULE = {
  url: import.meta.resolve('@latticediff/model-ising'),
  exportName: 'isingModel',
};

describe('mc and the exact reference', () => {
  const small = ['mc', 'fredkin', '--sites', '8', '--c', '0.6', '--scheme', 'local'];
  const short = ['--steps', '40', '--chains', '2', '--workers', '1'];

  it('--no-exact leaves out the exact values (JSON and table)', () => {
    const json = runJson<McJson>([...small, ...short, '--no-exact', '--json']);
    expect(json.exactReference).toBe('not computed (--no-exact)');
    for (const o of Object.values(json.observables)) expect(o.exact).toBeUndefined();
    const text = run([...small, ...short, '--no-exact']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/estimate ± stdErr +tau_int/);
    expect(text.stdout).not.toMatch(/exact|within 4/);
    // with the reference (the default at this size), the columns are there
    expect(run([...small, ...short]).stdout).toMatch(/exact +dev\/stdErr +within 4/);
  });

  it('skips by default a reference estimated to take minutes, says so and finishes', () => {
    // Ising 64x14: 2^14 * 897^2 = 1.3e10 transfer-matrix updates (minutes on one core)
    const args = ['mc', 'ising', '--lx', '64', '--ly', '14', '--scheme', 'wolff', ...short];
    const r = run([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^latticediff: note: skipping the exact reference of ising \(lx=64 ly=14 .*\): its estimated work 1\.3e\+10 is above 5\.4e\+8 .*give --exact to compute it anyway/m,
    );
    const json = JSON.parse(r.stdout) as McJson;
    expect(json.exactReference).toMatch(/^skipped: /);
    for (const o of Object.values(json.observables)) expect(o.exact).toBeUndefined();
    // --no-exact: the same run without the note
    expect(run([...args, '--no-exact', '--json']).stderr).not.toMatch(/note/);
  });

  it('decides from the sizes: large Ising skipped, small or refused sizes and Fredkin not', async () => {
    const skip = (parameters: Record<string, unknown>) =>
      exactSkipReason(isingModel.create(parameters));
    expect(await skip({ lx: 64, ly: 14 })).toMatch(/above/);
    expect(await skip({ lx: 8, ly: 8 })).toBeUndefined();
    // 2^14 * 141^2 = 3.3e8: computed (a few seconds)
    expect(await skip({ lx: 10, ly: 14 })).toBeUndefined();
    // beyond the package's limits the model refuses at once: nothing to skip
    expect(await skip({ lx: 8, ly: 20 })).toBeUndefined();
    expect(await exactSkipReason(fredkinModel.create({ sites: 10000, c: 0.6 }))).toBeUndefined();
    expect(MC_EXACT_MAX_WORK).toBe(2 ** 29);
  });

  it('--exact computes it (small case); with --no-exact it is a usage error', () => {
    const json = runJson<McJson>([
      'mc',
      'ising',
      '--lx',
      '3',
      '--ly',
      '3',
      '--scheme',
      'local',
      ...short,
      '--exact',
      '--json',
    ]);
    expect(json.exactReference).toBe('computed');
    const exact = isingModel.create({ lx: 3, ly: 3 }).exactObservables!();
    expect(json.observables.energyPerSite!.exact).toBe(exact.means.energyPerSite);
    expectUsageError(
      run(['mc', 'ising', '--scheme', 'local', '--exact', '--no-exact']),
      /--exact and --no-exact exclude each other/,
    );
  });

  it('computes on a worker thread the same values as on this one, and passes refusals on', async () => {
    const here = isingModel.create({ lx: 3, ly: 4 }).exactObservables!();
    const there = await exactOnThread(ISING_MODULE, { lx: 3, ly: 4 }, WORKER);
    expect(there.ok).toBe(true);
    expect((there as { exact: ExactObservables }).exact).toEqual(here);
    const refused = await exactOnThread(ISING_MODULE, { lx: 3, ly: 30 }, WORKER);
    expect(refused).toEqual({ ok: false, message: expect.stringMatching(/`ly`.*30/) });
  });
});

describe('tables of mc', () => {
  it('shows a constant observable (Fredkin energy at c = 1/2) as constant, not n/a', () => {
    const args = ['mc', 'fredkin', '--sites', '8', '--c', '0.5', '--scheme', 'local'];
    const opts = ['--steps', '100', '--chains', '2', '--workers', '1'];
    const text = run([...args, ...opts]);
    expect(text.code).toBe(0);
    const row = text.stdout.split('\n').find((l) => l.startsWith('energyPerSite'))!;
    expect(row).toMatch(/^energyPerSite +0\.00000 \(constant\) +0\.00000 +equal +yes +- +-$/);
    expect(text.stdout).toContain('(constant): the same value in every recorded step');
    const json = runJson<McJson>([...args, ...opts, '--json']);
    expect(json.observables.energyPerSite!.constant).toBe(true);
    expect(json.observables.midHeight!.constant).toBeUndefined();
  });
});
