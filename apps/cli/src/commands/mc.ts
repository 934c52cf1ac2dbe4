import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { LatticeModelInstance } from '@latticediff/lattice';
import { MPS } from '@latticediff/tensor-network';
import { type FlagSpec, flagValue } from '../args';
import {
  type Checkpoint,
  checkpointModel,
  createInstance,
  JSON_FLAG,
  readCheckpoint,
  SEED_FLAG,
  WORKERS_FLAG,
  withPool,
} from '../common';
import { quote, usage } from '../errors';
import { exactSkipReason, MC_EXACT_MAX_WORK } from '../exact-reference';
import {
  checkWritablePath,
  ensureDirectory,
  formatSeconds,
  num,
  printJson,
  progressEnabled,
  refuseForeignOverwrite,
  writeOutput,
} from '../io';
import {
  isNeuralCheckpointFile,
  loadNeural,
  type NeuralCheckpoint,
  readNeuralCheckpoint,
  startBackend,
} from '../neural';
import type { ModelEntry } from '../registry';
import {
  ddmShardSeed,
  fileDigest,
  MAX_SHARDS,
  resolveShard,
  SHARD_FORMAT,
  type ShardRun,
  shardFile,
} from '../shards';
import {
  estimatesTable,
  monteCarloJson,
  reliabilityWarnings,
  writeMonteCarloPlots,
} from './mc-render';
import {
  disconnectedPoolDraws,
  MAX_RECORDED_VALUES,
  type ModelModule,
  type MonteCarloResult,
  runMonteCarlo,
  SCHEMES,
  type SchemeName,
} from './mc-run';
import { PLOTS_FLAG } from './train-flags';
import { parametersText } from './train-render';
import type { Command } from './types';

/** `--workers` of mc: it applies to every scheme. */
const MC_WORKERS_FLAG: FlagSpec = {
  ...WORKERS_FLAG,
  description:
    'worker threads (1: none): they run the local, Wolff and disconnected chains or sample the connected proposals (the same result for every N)',
};

const CHECKPOINT_FLAG: FlagSpec = {
  name: 'checkpoint',
  type: 'string',
  valueName: 'FILE',
  description:
    'a model trained by "latticediff train": the proposal of the DDM schemes (and the model, if none is named)',
};

const NOISE_TIME_FLAG = {
  name: 'noise-time',
  type: 'number',
  valueName: 'T',
  description: 'noise time of the connected scheme',
  exclusiveMinimum: 0,
  default: 0.5,
} as const satisfies FlagSpec;

const STEPS_FLAG = {
  name: 'steps',
  type: 'integer',
  valueName: 'N',
  description: 'recorded steps per chain (plus 10% burn-in)',
  minimum: 2,
  maximum: 100000000,
  default: 2000,
} as const satisfies FlagSpec;

const CHAINS_FLAG = {
  name: 'chains',
  type: 'integer',
  valueName: 'N',
  description: 'independent chains',
  minimum: 1,
  maximum: 1000000,
  default: 32,
} as const satisfies FlagSpec;

const LOCAL_SWEEPS_FLAG = {
  name: 'local-sweeps',
  type: 'integer',
  valueName: 'N',
  description:
    'local Metropolis sweeps after every DDM step (connected, disconnected); helps chains leave states the model under-weights',
  minimum: 0,
  maximum: 1000,
  default: 0,
} as const satisfies FlagSpec;

export const mcCommand: Command = {
  name: 'mc',
  summary: 'Monte Carlo estimates with DDM (learned MPS) or local/cluster proposals',
  usage: [
    'mc (<model> [model parameters] | --checkpoint FILE) --scheme connected|disconnected|local|wolff [--noise-time T] [--steps N] [--chains N] [--local-sweeps N] [--exact | --no-exact] [--workers N] [--seed S] [--plots DIR] [--json]',
  ],
  model: 'optional',
  flags: [
    CHECKPOINT_FLAG,
    {
      name: 'scheme',
      type: 'choice',
      choices: SCHEMES,
      description:
        'proposal: connected (noise for T, denoise exactly), disconnected (fresh MPS samples), local (sweeps of local moves), wolff (cluster moves)',
      required: true,
    },
    NOISE_TIME_FLAG,
    STEPS_FLAG,
    CHAINS_FLAG,
    LOCAL_SWEEPS_FLAG,
    {
      name: 'exact',
      type: 'boolean',
      description: `compute the exact reference even when it is estimated to be slow (by default mc skips a reference of estimated work above ${MC_EXACT_MAX_WORK.toExponential(1)}, about 5 s)`,
    },
    {
      name: 'no-exact',
      type: 'boolean',
      description: 'do not compute the exact reference (no exact values in the table or JSON)',
    },
    {
      name: 'shard',
      type: 'string',
      valueName: 'K/N',
      description:
        'run shard K (0-based) of N and write its shard file (--out); merge the files with "latticediff merge". Default: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (minus SLURM_ARRAY_TASK_MIN), or JOB_COMPLETION_INDEX with --shards',
    },
    {
      name: 'shards',
      type: 'integer',
      valueName: 'N',
      description:
        'the number of shards of a Kubernetes Indexed Job (its completions); the shard index is JOB_COMPLETION_INDEX',
      minimum: 1,
      maximum: MAX_SHARDS,
    },
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      description: 'where a shard writes its shard file (atomically)',
      defaultText: 'mc-shard-K-of-N.json',
    },
    MC_WORKERS_FLAG,
    SEED_FLAG,
    PLOTS_FLAG,
    JSON_FLAG,
  ],
  details: [
    'One step is one proposal per chain (DDM), one sweep of local moves (local) or one cluster',
    "move (wolff). The DDM acceptance min{1, pi(x') P(x) / (pi(x) P(x'))} makes every scheme exact",
    'whatever the quality of the trained model. With --checkpoint and no model, the model and',
    "parameters are the checkpoint's; naming the model lets flags override parameters of the same",
    "sizes. Error bars: stdErr = sqrt(2 tau_int var / N) with Sokal's automatic window;",
    'effectiveSampleSize is the smallest ESS over the scalar observables. --workers N threads',
    'run the local, Wolff and disconnected chains (split into N groups; every chain keeps its own',
    'random streams, so the result is the same for every N) or the connected denoising; fewer',
    'disconnected chains than 128 per thread run on the main thread, with the threads drawing',
    'their proposals in runs long enough to repay starting them (about 1 s of draws).',
    'Exact reference: where the model has one, the table and JSON compare the estimates with',
    'it. Its cost is estimated from the sizes (Ising: 2^Ly * (N + 1)^2 transfer-matrix updates,',
    'times 2^Ly on a torus; Fredkin: N^2); above 2^29 (about 5 s on one core) mc skips it and',
    'says so on stderr: --exact computes it anyway, --no-exact never.',
    'Shards (--shard K/N, or a scheduler index): every shard runs --chains chains. Local and Wolff',
    'shard K runs the chains K*C..(K+1)*C-1 of one run of N*C chains with the same --seed, so',
    '"latticediff merge" of all N shard files gives that run (to the rounding of the merge). DDM',
    'shards draw their proposals from stream 2^30 + K of the seed: independent and reproducible.',
    'Every shard of a run must read the same checkpoint; a shard refuses to run beside shard files',
    'of the same run made with another checkpoint, and merge refuses to mix them.',
  ],
  async run({ values, choice, parameters, hint, json }) {
    const scheme = String(values.scheme) as SchemeName;
    const checkpointPath = values.checkpoint === undefined ? undefined : String(values.checkpoint);
    if (!choice && checkpointPath === undefined) {
      usage(
        'missing <model> or --checkpoint FILE for "latticediff mc"',
        'run "latticediff mc --help" for the usage',
      );
    }
    if (values['noise-time'] !== undefined && scheme !== 'connected') {
      usage(`--noise-time applies only to --scheme connected (got --scheme ${scheme})`, hint);
    }
    const ddm = scheme === 'connected' || scheme === 'disconnected';
    if (values['local-sweeps'] !== undefined && !ddm) {
      usage(
        `--local-sweeps applies only to the DDM schemes connected and disconnected (got --scheme ${scheme})`,
        hint,
      );
    }
    let checkpoint: Checkpoint | undefined;
    let network: NeuralCheckpoint | undefined;
    let instance: LatticeModelInstance;
    let entry: ModelEntry;
    if (checkpointPath !== undefined && isNeuralCheckpointFile(checkpointPath)) {
      // a MADE network (train --proposal neural): an independence proposal only
      if (scheme === 'connected') {
        usage(
          `--scheme connected needs an MPS checkpoint, and ${quote(checkpointPath)} is a neural network: the connected scheme denoises exactly, which needs the noised distribution in closed form (an MPS has it, a network does not)`,
          'use --scheme disconnected (fresh draws of the network), or train an MPS for --scheme connected',
        );
      }
      if (ddm && values.workers !== undefined && Number(values.workers) > 1) {
        usage(
          `--workers ${values.workers}: the neural proposal draws on the main thread (worker threads sample MPS proposals and run local or Wolff chains)`,
          'drop --workers',
        );
      }
      const neural = await loadNeural(`checkpoint ${quote(checkpointPath)} (a neural network)`);
      await startBackend(neural, undefined, json);
      network = readNeuralCheckpoint(neural, checkpointPath);
      ({ entry, instance } = await checkpointModel(network, choice, parameters));
    } else if (checkpointPath !== undefined) {
      checkpoint = readCheckpoint(checkpointPath);
      ({ entry, instance } = await checkpointModel(checkpoint, choice, parameters));
    } else {
      if (ddm) {
        usage(
          `--scheme ${scheme} needs a trained model as proposal: give --checkpoint FILE`,
          `train one with "latticediff train ${choice!.model.id} [model parameters] --out FILE"`,
        );
      }
      entry = choice!.entry;
      instance = createInstance(choice!.model, parameters, hint, choice!.flags);
    }
    if (scheme === 'wolff' && typeof instance.clusterMove !== 'function') {
      usage(
        `--scheme wolff needs a model with cluster moves; ${instance.modelId} has none at these parameters`,
        'use --scheme local, connected or disconnected',
      );
    }
    if (values.exact === true && values['no-exact'] === true) {
      usage('--exact and --no-exact exclude each other', hint);
    }
    if (values.exact === true && typeof instance.exactObservables !== 'function') {
      usage(
        `--exact: model ${instance.modelId} has no exact reference`,
        'drop --exact; the table then shows the estimates only',
      );
    }
    const skipReason =
      values.exact === true || values['no-exact'] === true
        ? undefined
        : await exactSkipReason(instance);
    const computeExactReference = values['no-exact'] !== true && skipReason === undefined;
    if (skipReason !== undefined) {
      process.stderr.write(
        `latticediff: note: skipping the exact reference of ${instance.modelId} (${parametersText(instance.parameters)}): ${skipReason}; give --exact to compute it anyway, --no-exact to skip it without this note\n`,
      );
    }
    // (a neural proposal's DDM chains draw on the main thread: the default of 2 was reported)
    const workers = network !== undefined && ddm ? 1 : flagValue(values, WORKERS_FLAG);
    const seed = flagValue(values, SEED_FLAG);
    const noiseTime = flagValue(values, NOISE_TIME_FLAG);
    const chains = flagValue(values, CHAINS_FLAG);
    const steps = flagValue(values, STEPS_FLAG);
    if (chains * steps > MAX_RECORDED_VALUES) {
      usage(
        `--chains ${chains} x --steps ${steps} = ${chains * steps} recorded values per observable is more than ${MAX_RECORDED_VALUES}`,
        'use fewer chains or steps',
      );
    }
    const shard = resolveShard(
      values.shard === undefined ? undefined : String(values.shard),
      values.shards === undefined ? undefined : Number(values.shards),
      process.env,
    );
    if (shard === undefined && values.out !== undefined) {
      usage('--out applies to shards (--shard K/N): mc prints its estimates', hint);
    }
    if (shard !== undefined && values.plots !== undefined) {
      usage('--plots applies to whole runs, not to shards (--shard)', hint);
    }
    let shardRun: ShardRun | undefined;
    let shardPath: string | undefined;
    if (shard !== undefined) {
      shardPath = checkWritablePath(
        '--out',
        String(values.out ?? `mc-shard-${shard.index}-of-${shard.count}.json`),
      );
      shardRun = {
        model: instance.modelId,
        parameters: { ...instance.parameters },
        scheme,
        noiseTime: scheme === 'connected' ? noiseTime : null,
        localSweeps: ddm ? flagValue(values, LOCAL_SWEEPS_FLAG) : 0,
        chains,
        steps,
        burnIn: Math.floor(steps / 10),
        seed,
        checkpoint: ddm && checkpointPath !== undefined ? fileDigest(checkpointPath) : null,
      };
      // (it overwrote any file, the checkpoint being read included)
      refuseForeignOverwrite(
        '--out',
        shardPath,
        String(values.out ?? shardPath),
        'a shard file of latticediff mc',
        (head) => head.startsWith(`{"format":"${SHARD_FORMAT}"`),
      );
      refuseOtherCheckpoint(shardPath, shardRun);
      refuseOtherRunsShard(shardPath, shardRun, shard);
    }
    const plots =
      values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
    const mps = ddm ? (network?.made.proposal() ?? checkpoint?.mps) : undefined;
    // threads (local and Wolff chains, the exact reference) import the model from its package
    const modelModule: ModelModule = {
      url: entry.moduleUrl,
      exportName: await entry.exportName(),
    };
    // the connected scheme's proposals are sampled by a pool; disconnected chains with an MPS
    // run whole on worker threads (runMonteCarlo), or, fewer than a chunk of 128 per thread, on
    // this thread with a pool drawing their proposals
    const poolDraws =
      network === undefined &&
      (scheme === 'connected' ||
        (scheme === 'disconnected' &&
          MPS.isMPS(mps) &&
          disconnectedPoolDraws(mps, { chains, steps, workers })));
    const result = await withPool(poolDraws ? workers : 1, (pool) =>
      runMonteCarlo({
        instance,
        mps,
        scheme,
        noiseTime,
        chains,
        steps,
        // a shard: local/Wolff chains K*C.. of the whole run; DDM proposals from stream 2^30 + K
        seed: shard !== undefined && ddm ? ddmShardSeed(seed, shard.index) : seed,
        ...(shard !== undefined && !ddm ? { firstChain: shard.index * chains } : {}),
        pool,
        showProgress: progressEnabled(json),
        localSweeps: flagValue(values, LOCAL_SWEEPS_FLAG),
        workers,
        modelModule,
        exact: computeExactReference,
      }),
    );
    if (shard !== undefined) {
      await writeOutput(
        '--out',
        shardPath!,
        `${JSON.stringify(shardFile(shard, shardRun!, result.summary))}\n`,
        shown(shardPath!),
      );
    }
    // a picture that cannot be written must not lose the estimates: they are printed first, and
    // the failure reported after them (exit 1)
    const plotFiles: string[] = [];
    let plotFailure: unknown;
    if (plots) {
      try {
        await writeMonteCarloPlots(plots, instance, result, checkpoint?.mps, seed, plotFiles);
      } catch (error) {
        plotFailure = error;
      }
    }
    const shardInfo =
      shard !== undefined
        ? {
            shard: {
              index: shard.index,
              count: shard.count,
              source: shard.source,
              file: shardPath,
            },
          }
        : {};
    if (json) {
      printJson(
        monteCarloJson(instance, result, {
          workers,
          seed,
          ...(checkpointPath !== undefined ? { checkpoint: checkpointPath } : {}),
          exactReference: exactStatus(values['no-exact'] === true, skipReason, result),
          plots: plotFiles,
          ...shardInfo,
        }),
      );
      if (plotFailure !== undefined) throw plotFailure;
      return;
    }
    const lines = [
      `${instance.modelId} (${parametersText(instance.parameters)}), scheme ${scheme}${
        result.noiseTime !== undefined ? ` (T = ${result.noiseTime})` : ''
      }${result.localSweeps > 0 ? ` + ${result.localSweeps} local sweep(s) per step` : ''}${
        checkpointPath !== undefined && ddm
          ? `, proposal ${quote(checkpointPath)}${network ? ' (neural network)' : ''}`
          : ''
      }`,
      `${result.chains} chains x ${result.steps} steps (+${result.burnIn} burn-in), ${formatSeconds(result.seconds)}, acceptance ${num(result.acceptanceRate, 4)}, ESS ${num(result.effectiveSampleSize, 1)} (${num(result.essPerSecond, 1)}/s)`,
      '',
      estimatesTable(result),
      ...(plotFiles.length > 0 ? ['', ...plotFiles.map((f) => `wrote ${f}`)] : []),
      ...(shard !== undefined
        ? [
            '',
            `wrote shard ${shard.index} of ${shard.count} (${shard.source}) to ${shown(shardPath!)}; merge all ${shard.count} with "latticediff merge"`,
          ]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (result.exactUnavailable !== undefined) {
      process.stderr.write(
        `latticediff: note: no exact reference at these sizes: ${result.exactUnavailable}\n`,
      );
    }
    for (const warning of reliabilityWarnings(result)) {
      process.stderr.write(`latticediff: warning: ${warning}\n`);
    }
    if (plotFailure !== undefined) throw plotFailure;
  },
};

/** What became of the exact reference, for `mc --json`. */
function exactStatus(
  off: boolean,
  skipReason: string | undefined,
  result: MonteCarloResult,
): string {
  if (off) return 'not computed (--no-exact)';
  if (skipReason !== undefined) return `skipped: ${skipReason} (--exact computes it)`;
  if (result.exactUnavailable !== undefined) return `unavailable: ${result.exactUnavailable}`;
  return Object.values(result.observables).some((o) => o.exact !== undefined)
    ? 'computed'
    : 'none (the model has no exact reference)';
}

/**
 * Refuses to run a shard beside shard files of the same run (same settings but the checkpoint)
 * that were made with another checkpoint: the shards of a run must read one trained model.
 */
function refuseOtherCheckpoint(shardPath: string, run: ShardRun): void {
  const directory = dirname(shardPath);
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(directory, name);
    if (path === shardPath) continue;
    let other: { format?: unknown; run?: ShardRun };
    try {
      // (a FIFO among them would block the read)
      if (!statSync(path).isFile()) continue;
      other = JSON.parse(readFileSync(path, 'utf8')) as typeof other;
    } catch {
      continue;
    }
    if (other?.format !== SHARD_FORMAT || typeof other.run !== 'object' || other.run === null)
      continue;
    const same =
      JSON.stringify({ ...other.run, checkpoint: null }) ===
      JSON.stringify({ ...run, checkpoint: null });
    if (same && other.run.checkpoint !== run.checkpoint) {
      usage(
        `${quote(shown(path))} is a shard of this run made with another checkpoint (SHA-256 ${String(other.run.checkpoint).slice(0, 12)}..., this one ${String(run.checkpoint).slice(0, 12)}...): every shard of a run must read the same trained checkpoint`,
        "use the checkpoint the other shards used, or write this run's shards elsewhere (--out)",
      );
    }
  }
}

/**
 * Refuses to replace a shard file of another run, or of another shard of this run (it replaced
 * them silently; found by an audit): a rerun of the same shard replaces its own file.
 */
function refuseOtherRunsShard(
  shardPath: string,
  run: ShardRun,
  shard: { index: number; count: number },
): void {
  let other: { format?: unknown; run?: unknown; shard?: { index?: unknown; count?: unknown } };
  try {
    if (!statSync(shardPath).isFile()) return;
    other = JSON.parse(readFileSync(shardPath, 'utf8')) as typeof other;
  } catch {
    return;
  }
  if (other?.format !== SHARD_FORMAT) return;
  const sameRun = JSON.stringify(other.run) === JSON.stringify(run);
  const sameShard = other.shard?.index === shard.index && other.shard?.count === shard.count;
  if (!sameRun || !sameShard) {
    usage(
      `--out ${quote(shown(shardPath))} holds ${sameRun ? `shard ${String(other.shard?.index)}/${String(other.shard?.count)} of this run` : 'a shard of another run (other settings, seed or checkpoint)'}; mc replaces only the file of this same shard`,
      "remove it, or write this run's shard elsewhere (--out)",
    );
  }
}

/** A path as shown to the user: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
