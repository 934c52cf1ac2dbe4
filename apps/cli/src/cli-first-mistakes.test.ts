/**
 * Issue 16: clear messages for a newcomer's usual first mistakes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectUsageError, run, temporaryDirectory } from './test-helpers';

describe('first mistakes', () => {
  it('suggests train for trian (a transposition)', () => {
    expectUsageError(run(['trian']), /unknown command "trian" \(did you mean train\?\)/);
  });

  it('says that model parameter flags need the model named', () => {
    expectUsageError(
      run(['mc', '--checkpoint', 'f.mps', '--lx', '5', '--scheme', 'local']),
      /unknown flag --lx: it is a parameter of ising.*model parameter flags need the model named first, e\.g\. "latticediff mc ising --checkpoint f\.mps --lx 5 --scheme local"/,
    );
  });

  it('says that a CSV file is not a checkpoint (instead of "truncated")', () => {
    const directory = temporaryDirectory();
    writeFileSync(join(directory, 'samples.csv'), '0,1,2,3\n1,0,1,0\n');
    const r = run(['mc', '--checkpoint', 'samples.csv', '--scheme', 'connected'], {
      cwd: directory,
    });
    expectUsageError(
      r,
      /"samples\.csv" is not a checkpoint \(an MPS file written by "latticediff train"\): it looks like CSV/,
    );
    expect(r.stderr).not.toMatch(/truncated/);
  });

  it('says "rerun train to resume" only in the help of train', () => {
    for (const command of ['models', 'exact', 'sample', 'mc', 'bench', 'demo']) {
      const help = run([command, '--help']).stdout;
      expect(help, command).toContain('130/143 interrupted by SIGINT/SIGTERM.');
      expect(help, command).not.toContain('rerun train');
    }
    expect(run(['--help']).stdout).not.toContain('rerun train');
    expect(run(['train', '--help']).stdout).toContain(
      '130/143 interrupted by SIGINT/SIGTERM (rerun train to resume).',
    );
  });
});
