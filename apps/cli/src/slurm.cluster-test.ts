/**
 * The cluster tier (`pnpm test:cluster`, not part of `pnpm test`): starts a single-node SLURM
 * cluster on this machine (munged, slurmctld and slurmd from Debian's slurm-wlm and munge, with
 * cgroup-free plugins and its state in a temporary directory), submits `mc` shards as a job
 * array with `sbatch --array`, waits for them, merges them with `latticediff merge` and compares
 * the result with the one-process run of all the chains. The daemons it started are stopped by
 * their process ids whatever happens. Where SLURM cannot be started it fails with one line that
 * says what is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runJson, temporaryDirectory } from './test-helpers';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'] as const;

function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** One line naming what is missing to start a SLURM cluster here, or undefined. */
function missing(): string | undefined {
  const absent = DAEMONS.filter((d) => which(d) === undefined);
  if (absent.length > 0) {
    return `test:cluster needs SLURM and munge (missing: ${absent.join(', ')}); on Debian: apt-get install -y slurm-wlm munge`;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'test:cluster starts slurmctld and slurmd, which must run as root here (SlurmUser=root)';
  }
  return undefined;
}

interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** Every daemon this file started, stopped in afterAll even when starting the cluster failed. */
const started: number[] = [];
// and killed if the process ends without afterAll (a crash, a signal to vitest)
process.on('exit', () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to every daemon started here, then SIGKILL to any still running after 10 s. */
async function stopAll(): Promise<void> {
  const pids = started.splice(0).reverse();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  for (let k = 0; k < 100 && pids.some(alive); k++) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startCluster(): Promise<Cluster> {
  const dir = temporaryDirectory();
  for (const sub of ['state', 'spool', 'log', 'munge']) mkdirSync(join(dir, sub));
  const cluster: Cluster = { dir, env: { ...process.env } };
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  execFileSync(which('munged')!, [
    `--key-file=${key}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
    `--log-file=${join(dir, 'log', 'munged.log')}`,
    `--seed-file=${join(dir, 'munge', 'seed')}`,
    '--force',
  ]);
  const mungePid = readPid(join(dir, 'munge', 'munged.pid'));
  if (mungePid === undefined) throw new Error(`munged did not start (see ${join(dir, 'log')})`);
  started.push(mungePid);
  const host = hostname().split('.')[0]!;
  // ports away from SLURM's defaults, so that a real cluster on this machine is not disturbed
  const base = 20000 + (process.pid % 20000);
  writeFileSync(
    join(dir, 'slurm.conf'),
    [
      'ClusterName=latticediff-test',
      `SlurmctldHost=${host}`,
      'SlurmUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CryptoType=crypto/munge',
      'MpiDefault=none',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      `SlurmctldPidFile=${join(dir, 'state', 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'state', 'slurmd.pid')}`,
      `SlurmctldPort=${base}`,
      `SlurmdPort=${base + 1}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ReturnToService=2',
      `NodeName=${host} CPUs=${availableParallelism()} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  cluster.env.SLURM_CONF = join(dir, 'slurm.conf');
  for (const daemon of ['slurmctld', 'slurmd'] as const) {
    execFileSync(which(daemon)!, [], { env: cluster.env });
    // the daemon writes its pid file once it has forked
    let pid: number | undefined;
    for (let k = 0; k < 100 && pid === undefined; k++) {
      pid = readPid(join(dir, 'state', `${daemon}.pid`));
      if (pid === undefined) await sleep(100);
    }
    if (pid === undefined) throw new Error(`${daemon} did not start (see ${join(dir, 'log')})`);
    started.push(pid);
  }
  // wait until the node accepts jobs
  for (let k = 0; k < 300; k++) {
    const state = spawnSync(which('sinfo')!, ['-h', '-o', '%t'], {
      env: cluster.env,
      encoding: 'utf8',
    });
    if (state.status === 0 && /^idle/m.test(state.stdout)) return cluster;
    await sleep(100);
  }
  throw new Error(`the SLURM node did not become idle (see ${join(dir, 'log')})`);
}

const problem = missing();

describe('mc shards on a SLURM job array', () => {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    if (problem !== undefined) throw new Error(problem);
    cluster = await startCluster();
  });
  afterAll(async () => {
    await stopAll();
  });

  it('runs 4 shards with sbatch --array; their merge equals the one-process run of all chains', () => {
    // (the daemons are stopped by their process ids in afterAll, whatever happens here)
    const { dir, env } = cluster!;
    const work = join(dir, 'work');
    mkdirSync(work);
    const mc = ['mc', 'ising', '--lx', '4', '--ly', '4', '--scheme', 'local', '--steps', '300'];
    const options = ['--no-exact', '--workers', '1'];
    // no --shard: each task takes its index from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT
    writeFileSync(
      join(work, 'shards.sh'),
      [
        '#!/bin/bash',
        `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${[...mc, '--chains', '2', ...options].join(' ')} --out "mc-shard-\${SLURM_ARRAY_TASK_ID}-of-4.json"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const submitted = spawnSync(
      which('sbatch')!,
      [
        '--array=0-3',
        '--wait',
        `--chdir=${work}`,
        `--output=${join(work, 'task-%a.out')}`,
        'shards.sh',
      ],
      { env, cwd: work, encoding: 'utf8', timeout: 600_000 },
    );
    expect(submitted.status, `${submitted.stdout}${submitted.stderr}`).toBe(0);
    for (let k = 0; k < 4; k++) {
      const file = join(work, `mc-shard-${k}-of-4.json`);
      expect(existsSync(file), readFileSync(join(work, `task-${k}.out`), 'utf8')).toBe(true);
      expect(readFileSync(join(work, `task-${k}.out`), 'utf8')).toContain(
        `wrote shard ${k} of 4 (SLURM_ARRAY_TASK_ID=${k}) to mc-shard-${k}-of-4.json`,
      );
    }
    type Result = {
      chains: number;
      acceptanceRate: number;
      observables: Record<string, { mean: number; stdErr: number; tauInt: number }>;
    };
    const merged = runJson<Result>(
      ['merge', ...[0, 1, 2, 3].map((k) => `mc-shard-${k}-of-4.json`), '--no-exact', '--json'],
      { cwd: work },
    );
    const single = runJson<Result>([...mc, '--chains', '8', ...options, '--json'], { cwd: work });
    expect(merged.chains).toBe(8);
    expect(merged.acceptanceRate).toBeCloseTo(single.acceptanceRate, 14);
    for (const [name, a] of Object.entries(single.observables)) {
      const b = merged.observables[name]!;
      expect(Math.abs(b.mean - a.mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a.mean)));
      expect(Math.abs(b.stdErr - a.stdErr)).toBeLessThanOrEqual(1e-12 * a.stdErr);
      expect(Math.abs(b.tauInt - a.tauInt)).toBeLessThanOrEqual(1e-12 * a.tauInt);
    }
  });
});
