/**
 * Issue 16: the documented way to run the command from a clone (README): `pnpm latticediff`,
 * the root script, after a build.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HANG_GUARD_MS } from '@latticediff/test-kit/vitest';
import { describe, expect, it } from 'vitest';

describe('the documented way to run it from the repository', () => {
  it('runs "pnpm latticediff models" from the repository root (README)', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const r = spawnSync('pnpm', ['latticediff', 'models'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LATTICEDIFF_NO_PROGRESS: '1' },
      // a hang guard for a command of about a second, not a speed check
      timeout: HANG_GUARD_MS - 10_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ising +\(@latticediff\/model-ising/m);
    expect(r.stdout).toMatch(/^fredkin +\(@latticediff\/model-fredkin/m);
  });
});
