/**
 * Monte Carlo shards: `mc ... --shard K/N` runs shard K (0-based) of N and writes a versioned
 * shard file; `merge` merges them into the estimates of the whole run.
 *
 * Streams. Every shard runs --chains C chains. Local and Wolff shard K runs the chains
 * K C .. (K + 1) C - 1 of one run of N C chains with the same --seed (each chain draws from its
 * own stream of the seed), so the merged shards are that run, to the rounding of the merge.
 * DDM shards draw their proposals in batches over their own chains, from the stream
 * 2^30 + K of the seed: independent and reproducible, but not a slice of a single run.
 *
 * A shard file holds the run's settings (all shards of a run have the same ones, the shard index
 * aside), a fingerprint of them that includes the SHA-256 of the checkpoint file, and the
 * mergeable summary of @latticediff/monte-carlo (exact sums: the merge is exact and does not
 * depend on the order of the files).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { MergeableSummary } from '@latticediff/monte-carlo';
import { createRandom } from '@latticediff/tensor-network';
import { quote, UsageError, usage } from './errors';

export const SHARD_FORMAT = 'latticediff.mc-shard';
export const SHARD_VERSION = 1;

/** Largest number of shards. */
export const MAX_SHARDS = 100_000;

/** Shard K (0-based) of N, and where K and N came from. */
export interface ShardSpec {
  index: number;
  count: number;
  source: string;
}

/** The settings every shard of a run shares (the shard index aside). */
export interface ShardRun {
  model: string;
  parameters: Record<string, unknown>;
  scheme: string;
  noiseTime: number | null;
  localSweeps: number;
  /** Chains per shard. */
  chains: number;
  steps: number;
  burnIn: number;
  seed: number;
  /** SHA-256 of the checkpoint file (DDM proposals), or null. */
  checkpoint: string | null;
}

export interface ShardFile {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  shard: { index: number; count: number };
  run: ShardRun;
  /** SHA-256 of the canonical JSON of `run`. */
  fingerprint: string;
  summary: MergeableSummary;
  /**
   * SHA-256 of the JSON of { shard, fingerprint, summary }: an edited summary or shard index is
   * refused. Absent in files written before it was added (those are read without the check).
   */
  contentDigest?: string;
}

/**
 * The shard of this process: `--shard K/N`; else a scheduler's index, SLURM_ARRAY_TASK_ID (minus
 * SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT, or Kubernetes's JOB_COMPLETION_INDEX with
 * `--shards N`; else none.
 */
export function resolveShard(
  flag: string | undefined,
  shards: number | undefined,
  env: NodeJS.ProcessEnv,
): ShardSpec | undefined {
  const check = (index: number, count: number, source: string): ShardSpec => {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
      usage(
        `${source}: the number of shards must be an integer in [1, ${MAX_SHARDS}] (got ${count})`,
      );
    }
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      usage(
        `${source}: shard index ${index} is outside 0..${count - 1} (shards are numbered from 0)`,
      );
    }
    return { index, count, source };
  };
  if (flag !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!match) usage(`invalid value for --shard: ${quote(flag)} (expected K/N, e.g. 0/4)`);
    if (shards !== undefined) usage('--shard K/N and --shards N exclude each other');
    return check(Number(match[1]), Number(match[2]), `--shard ${flag}`);
  }
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  if (slurmId !== undefined && slurmId !== '') {
    const count = Number(env.SLURM_ARRAY_TASK_COUNT);
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    if (env.SLURM_ARRAY_TASK_COUNT === undefined || !Number.isFinite(count)) {
      usage(
        `SLURM_ARRAY_TASK_ID=${slurmId} is set but SLURM_ARRAY_TASK_COUNT is not`,
        'give --shard K/N',
      );
    }
    return check(Number(slurmId) - min, count, `SLURM_ARRAY_TASK_ID=${slurmId}`);
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    if (shards === undefined) {
      usage(
        `JOB_COMPLETION_INDEX=${k8s} is set (a Kubernetes Indexed Job): give --shards N, the Job's completions`,
      );
    }
    return check(Number(k8s), shards, `JOB_COMPLETION_INDEX=${k8s}`);
  }
  if (shards !== undefined) {
    usage(
      '--shards N needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); otherwise give --shard K/N',
    );
  }
  return undefined;
}

/** The seed of DDM shard K: stream 2^30 + K of the run's seed. */
export function ddmShardSeed(seed: number, index: number): number {
  const stream = createRandom(seed).split(2 ** 30 + index);
  return stream.uint32() * 2097152 + (stream.uint32() >>> 11);
}

/** SHA-256 of a file's bytes (the checkpoint a shard used). */
export function fileDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function runFingerprint(run: ShardRun): string {
  return createHash('sha256').update(JSON.stringify(run)).digest('hex');
}

/**
 * The digest of what a shard measured. JSON.stringify gives the same text for the object
 * written and for the object read back (NaN and null both print as null, -0 as 0).
 */
function contentDigest(file: Pick<ShardFile, 'shard' | 'fingerprint' | 'summary'>): string {
  const { shard, fingerprint, summary } = file;
  return createHash('sha256').update(JSON.stringify({ shard, fingerprint, summary })).digest('hex');
}

/** The shard file of a finished shard run, with the run's mergeable summary. */
export function shardFile(shard: ShardSpec, run: ShardRun, summary: MergeableSummary): ShardFile {
  const file: ShardFile = {
    format: SHARD_FORMAT,
    version: SHARD_VERSION,
    shard: { index: shard.index, count: shard.count },
    run,
    fingerprint: runFingerprint(run),
    summary,
  };
  file.contentDigest = contentDigest(file);
  return file;
}

/** Reads and checks one shard file; a user error naming the file otherwise. */
export function readShardFile(path: string): ShardFile {
  let text: string;
  try {
    // (reading a FIFO blocks until a writer comes)
    const stat = statSync(path);
    if (!stat.isFile() && !stat.isDirectory()) {
      usage(`${quote(path)} is not a regular file (a FIFO, device or socket), not a shard file`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') usage(`shard file not found: ${quote(path)}`);
    if (code === 'EISDIR') usage(`${quote(path)} is a directory, not a shard file`);
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    usage(
      `${quote(path)} is not a shard file: it is not JSON (truncated or corrupt?)`,
      'shard files are written by "latticediff mc ... --shard K/N"',
    );
  }
  const file = parsed as Partial<ShardFile>;
  if (typeof parsed !== 'object' || parsed === null || file.format !== SHARD_FORMAT) {
    usage(
      `${quote(path)} is not a shard file (no "format": "${SHARD_FORMAT}")`,
      'shard files are written by "latticediff mc ... --shard K/N"',
    );
  }
  if (file.version !== SHARD_VERSION) {
    usage(
      `${quote(path)} is a shard file of version ${String(file.version)}; this latticediff reads version ${SHARD_VERSION}`,
    );
  }
  const shard = file.shard;
  if (
    typeof shard !== 'object' ||
    shard === null ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count) ||
    shard.index < 0 ||
    shard.index >= shard.count ||
    typeof file.run !== 'object' ||
    file.run === null ||
    typeof file.summary !== 'object' ||
    file.summary === null ||
    typeof file.fingerprint !== 'string'
  ) {
    usage(
      `corrupt shard file ${quote(path)}: its shard index, run or summary is missing or invalid`,
    );
  }
  if (runFingerprint(file.run as ShardRun) !== file.fingerprint) {
    usage(`corrupt shard file ${quote(path)}: its run settings do not match its fingerprint`);
  }
  if (file.contentDigest !== undefined && file.contentDigest !== contentDigest(file as ShardFile)) {
    usage(
      `corrupt shard file ${quote(path)}: its summary or shard index does not match its content digest (edited?)`,
      'run the shard again to write it anew',
    );
  }
  return file as ShardFile;
}

/**
 * Checks that the files are the shards 0..N-1 of one run, each once: the same settings (and
 * checkpoint), the same N, no duplicate and no missing index. Returns them in index order.
 */
export function checkShardSet(files: { path: string; file: ShardFile }[]): ShardFile[] {
  if (files.length === 0) usage('merge needs at least one shard file');
  const first = files[0]!;
  for (const { path, file } of files.slice(1)) {
    if (file.fingerprint === first.file.fingerprint) continue;
    const a = first.file.run as unknown as Record<string, unknown>;
    const b = file.run as unknown as Record<string, unknown>;
    const differing = Object.keys({ ...a, ...b }).filter(
      (key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]),
    );
    if (differing.length === 1 && differing[0] === 'checkpoint') {
      usage(
        `${quote(path)} used another checkpoint than ${quote(first.path)} (SHA-256 ${String(b.checkpoint).slice(0, 12)}... against ${String(a.checkpoint).slice(0, 12)}...): shards of one run must read one trained checkpoint`,
      );
    }
    usage(
      `${quote(path)} is a shard of another run than ${quote(first.path)} (they differ in ${differing.join(', ')})`,
    );
  }
  const count = first.file.shard.count;
  const byIndex = new Map<number, string>();
  for (const { path, file } of files) {
    if (file.shard.count !== count) {
      usage(
        `${quote(path)} is shard ${file.shard.index} of ${file.shard.count}, ${quote(first.path)} of ${count}`,
      );
    }
    const seen = byIndex.get(file.shard.index);
    if (seen !== undefined) {
      usage(
        `shard ${file.shard.index} of ${count} is given twice: ${quote(seen)} and ${quote(path)}`,
      );
    }
    byIndex.set(file.shard.index, path);
  }
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !byIndex.has(k));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', ...' : '');
    throw new UsageError(
      `missing shard${missing.length > 1 ? 's' : ''} ${shown} of ${count} (${files.length} given)`,
      'merge needs every shard of the run',
    );
  }
  return [...files].sort((a, b) => a.file.shard.index - b.file.shard.index).map((f) => f.file);
}
