/**
 * Shards of `mc` (--shard K/N or a scheduler's index) and `merge`: N local shards of C chains
 * merged are the single run of N*C chains with the same seed; merge refuses what is not one
 * complete run, naming the file; every shard of a run reads one checkpoint.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectUsageError, listing, run, runJson, temporaryDirectory } from './test-helpers';

interface McJson {
  chains: number;
  acceptanceRate: number;
  observables: Record<string, { mean: number; stdErr: number; tauInt: number; ess: number }>;
  shard?: { index: number; count: number; source: string; file: string };
}

const ISING = ['ising', '--lx', '4', '--ly', '4', '--no-exact'];

function shards(dir: string, scheme: string, count: number, extra: string[] = []): void {
  for (let k = 0; k < count; k++) {
    const r = run(
      [
        'mc',
        ...ISING,
        '--scheme',
        scheme,
        '--chains',
        '2',
        '--steps',
        '300',
        '--shard',
        `${k}/${count}`,
        ...extra,
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `wrote shard ${k} of ${count} (--shard ${k}/${count}) to mc-shard-${k}-of-${count}.json`,
    );
  }
}

describe('mc --shard and merge', () => {
  it.each(['local', 'wolff'])(
    'merging 4 %s shards of 2 chains gives the run of 8 chains with the same seed',
    (scheme) => {
      const dir = temporaryDirectory();
      const single = runJson<McJson>(
        ['mc', ...ISING, '--scheme', scheme, '--chains', '8', '--steps', '300', '--json'],
        { cwd: dir },
      );
      shards(dir, scheme, 4);
      const files = [
        'mc-shard-3-of-4.json',
        'mc-shard-1-of-4.json',
        'mc-shard-0-of-4.json',
        'mc-shard-2-of-4.json',
      ];
      const merged = runJson<McJson>(['merge', ...files, '--no-exact', '--json'], { cwd: dir });
      expect(merged.chains).toBe(8);
      expect(merged.acceptanceRate).toBeCloseTo(single.acceptanceRate, 14);
      expect(Object.keys(merged.observables)).toEqual(Object.keys(single.observables));
      for (const [name, a] of Object.entries(single.observables)) {
        const b = merged.observables[name]!;
        expect(Math.abs(b.mean - a.mean)).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs(a.mean)),
        );
        expect(Math.abs(b.stdErr - a.stdErr)).toBeLessThanOrEqual(1e-12 * a.stdErr);
        expect(Math.abs(b.tauInt - a.tauInt)).toBeLessThanOrEqual(1e-12 * a.tauInt);
      }
    },
  );

  it('takes the shard from SLURM or Kubernetes variables, and refuses bad shard flags', () => {
    const dir = temporaryDirectory();
    const base = ['mc', ...ISING, '--scheme', 'local', '--chains', '1', '--steps', '20', '--json'];
    const slurm = run(base, {
      cwd: dir,
      env: { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' },
    });
    expect(slurm.code, slurm.stderr).toBe(0);
    expect((JSON.parse(slurm.stdout) as McJson).shard).toMatchObject({ index: 2, count: 4 });
    const k8s = run([...base, '--shards', '3'], { cwd: dir, env: { JOB_COMPLETION_INDEX: '1' } });
    expect(k8s.code, k8s.stderr).toBe(0);
    expect((JSON.parse(k8s.stdout) as McJson).shard).toMatchObject({ index: 1, count: 3 });
    expect(listing(dir)).toEqual(['mc-shard-1-of-3.json', 'mc-shard-2-of-4.json']);
    expectUsageError(
      run([...base, '--shard', '4/4'], { cwd: dir }),
      /shard index 4 is outside 0\.\.3/,
    );
    expectUsageError(
      run([...base, '--shard', 'two'], { cwd: dir }),
      /invalid value for --shard: "two"/,
    );
    expectUsageError(
      run(base, { cwd: dir, env: { JOB_COMPLETION_INDEX: '0' } }),
      /JOB_COMPLETION_INDEX=0 is set .* give --shards N/,
    );
    expectUsageError(run([...base, '--out', 'x.json'], { cwd: dir }), /--out applies to shards/);
  });

  it("replaces only its own shard's file: a rerun does, another run's or shard's file is refused", () => {
    // (an audit found a shard of another run replaced without a word)
    const dir = temporaryDirectory();
    shards(dir, 'local', 3, ['--seed', '7']);
    const before = readFileSync(join(dir, 'mc-shard-1-of-3.json'), 'utf8');
    // the same shard again: replaced (the same run, the same bits but the timings)
    shards(dir, 'local', 3, ['--seed', '7']);
    const base = ['mc', ...ISING, '--scheme', 'local', '--chains', '2', '--steps', '300'];
    expectUsageError(
      run([...base, '--shard', '1/3'], { cwd: dir }),
      /--out "mc-shard-1-of-3\.json" holds a shard of another run \(other settings, seed or checkpoint\)/,
    );
    expectUsageError(
      run([...base, '--seed', '7', '--shard', '2/3', '--out', 'mc-shard-1-of-3.json'], {
        cwd: dir,
      }),
      /--out "mc-shard-1-of-3\.json" holds shard 1\/3 of this run/,
    );
    // the refused runs left the file as it was
    const after = JSON.parse(readFileSync(join(dir, 'mc-shard-1-of-3.json'), 'utf8'));
    expect(after.run.seed).toBe(7);
    expect(JSON.parse(before).run).toEqual(after.run);
  });

  it('refuses duplicated, missing, foreign and corrupt shard files, naming them', () => {
    const dir = temporaryDirectory();
    shards(dir, 'local', 3);
    copyFileSync(join(dir, 'mc-shard-1-of-3.json'), join(dir, 'copy.json'));
    const all = ['mc-shard-0-of-3.json', 'mc-shard-1-of-3.json', 'mc-shard-2-of-3.json'];
    expectUsageError(
      run(['merge', ...all, 'copy.json'], { cwd: dir }),
      /shard 1 of 3 is given twice: "mc-shard-1-of-3.json" and "copy.json"/,
    );
    expectUsageError(
      run(['merge', all[0]!, all[2]!], { cwd: dir }),
      /missing shard 1 of 3 \(2 given\)/,
    );
    const other = temporaryDirectory();
    shards(other, 'local', 3, ['--seed', '7']);
    copyFileSync(join(other, 'mc-shard-1-of-3.json'), join(dir, 'seed7.json'));
    expectUsageError(
      run(['merge', all[0]!, 'seed7.json', all[2]!], { cwd: dir }),
      /"seed7.json" is a shard of another run than "mc-shard-0-of-3.json" \(they differ in seed\)/,
    );
    const text = readFileSync(join(dir, all[2]!), 'utf8');
    writeFileSync(join(dir, 'cut.json'), text.slice(0, text.length / 2));
    expectUsageError(
      run(['merge', all[0]!, 'cut.json'], { cwd: dir }),
      /"cut.json" is not a shard file: it is not JSON/,
    );
    writeFileSync(join(dir, 'tampered.json'), text.replace('"steps":300', '"steps":301'));
    expectUsageError(
      run(['merge', all[0]!, all[1]!, 'tampered.json'], { cwd: dir }),
      /corrupt shard file "tampered.json": its run settings do not match its fingerprint/,
    );
    // an edited summary (valid JSON, the run untouched) or shard index: the content digest
    const shard2 = JSON.parse(text) as { summary: unknown; shard: { index: number } };
    const edited = JSON.stringify(shard2.summary).replace(/"shardCount":1/, '"shardCount":2');
    expect(edited).not.toBe(JSON.stringify(shard2.summary));
    writeFileSync(
      join(dir, 'edited.json'),
      JSON.stringify({ ...shard2, summary: JSON.parse(edited) }),
    );
    expectUsageError(
      run(['merge', all[0]!, all[1]!, 'edited.json'], { cwd: dir }),
      /corrupt shard file "edited.json": its summary or shard index does not match its content digest/,
    );
    const moved = JSON.parse(readFileSync(join(dir, all[0]!), 'utf8')) as typeof shard2;
    moved.shard.index = 1;
    writeFileSync(join(dir, 'moved.json'), JSON.stringify(moved));
    expectUsageError(
      run(['merge', 'moved.json', all[0]!, all[2]!], { cwd: dir }),
      /corrupt shard file "moved.json": its summary or shard index does not match its content digest/,
    );
    // a file written before the digest existed is read as before
    const older = JSON.parse(text) as Record<string, unknown>;
    expect(typeof older.contentDigest).toBe('string');
    delete older.contentDigest;
    writeFileSync(join(dir, 'older.json'), JSON.stringify(older));
    expect(run(['merge', all[0]!, all[1]!, 'older.json', '--no-exact'], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, 'samples.csv'), 'x0,x1\n0,1\n');
    expectUsageError(
      run(['merge', 'samples.csv'], { cwd: dir }),
      /"samples.csv" is not a shard file/,
    );
    expectUsageError(run(['merge'], { cwd: dir }), /missing shard files/);
  });

  it("DDM shards read one checkpoint: a shard beside another checkpoint's shards is refused", () => {
    const dir = temporaryDirectory();
    const train = ['train', 'ising', '--lx', '3', '--ly', '3', '--chains', '16', '--steps', '8'];
    for (const [seed, out] of [
      ['1', 'a.mps'],
      ['2', 'b.mps'],
    ]) {
      const r = run(
        [...train, '--max-bond-dim', '4', '--workers', '1', '--seed', seed!, '--out', out!],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const mc = (checkpoint: string, k: number) =>
      run(
        [
          'mc',
          '--checkpoint',
          checkpoint,
          '--scheme',
          'disconnected',
          '--chains',
          '4',
          '--steps',
          '50',
          '--no-exact',
          '--workers',
          '1',
          '--shard',
          `${k}/2`,
        ],
        { cwd: dir },
      );
    expect(mc('a.mps', 0).code).toBe(0);
    expectUsageError(
      mc('b.mps', 1),
      /"mc-shard-0-of-2.json" is a shard of this run made with another checkpoint/,
    );
    // written elsewhere, b's shard runs; merge then refuses to mix the checkpoints
    mkdirSync(join(dir, 'b'));
    const elsewhere = run(
      [
        'mc',
        '--checkpoint',
        'b.mps',
        '--scheme',
        'disconnected',
        '--chains',
        '4',
        '--steps',
        '50',
        '--no-exact',
        '--workers',
        '1',
        '--shard',
        '1/2',
        '--out',
        'b/shard1.json',
      ],
      { cwd: dir },
    );
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expectUsageError(
      run(['merge', 'mc-shard-0-of-2.json', 'b/shard1.json'], { cwd: dir }),
      /"b\/shard1.json" used another checkpoint than "mc-shard-0-of-2.json" \(SHA-256 [0-9a-f]{12}\.\.\. against [0-9a-f]{12}\.\.\.\)/,
    );
    expect(mc('a.mps', 1).code).toBe(0);
    const merged = runJson<McJson>(
      ['merge', 'mc-shard-0-of-2.json', 'mc-shard-1-of-2.json', '--json'],
      {
        cwd: dir,
      },
    );
    expect(merged.chains).toBe(8);
  });
});
