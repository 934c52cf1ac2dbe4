// Before the cluster tier (`pnpm test:cluster`): one line naming what is missing to start a
// single-node SLURM cluster here, and exit 1; nothing and exit 0 when everything is there.
import { spawnSync } from 'node:child_process';

const needed = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'];
const absent = needed.filter(
  (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0,
);
if (absent.length > 0) {
  process.stderr.write(
    `test:cluster needs SLURM and munge (missing: ${absent.join(', ')}); on Debian: apt-get install -y slurm-wlm munge\n`,
  );
  process.exit(1);
}
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  process.stderr.write(
    'test:cluster starts slurmctld and slurmd, which must run as root here (SlurmUser=root)\n',
  );
  process.exit(1);
}
