import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LatticeModel, ParameterValues } from '@latticediff/lattice';
import { annealingPath, learnByMonteCarlo, type RoundReport } from '@latticediff/monte-carlo';
import { fileCheckpoint, writeFileAtomic } from '@latticediff/monte-carlo/node';
import {
  deserializeMPS,
  InvalidArgumentError,
  LatticeDiffError,
  type MetadataValue,
  type MPS,
  type MPSMetadata,
  NumericalError,
  serializeMPS,
} from '@latticediff/tensor-network';
import type { FlagSpec } from '../args';
import {
  createInstance,
  defaultAnnealing,
  JSON_FLAG,
  SEED_FLAG,
  WORKERS_FLAG,
  withPool,
} from '../common';
import { oneLine, quote, UsageError, usage } from '../errors';
import {
  checkWritablePath,
  createProgress,
  ensureDirectory,
  formatSeconds,
  num,
  printJson,
  progressEnabled,
  removeStaleTemporaries,
  table,
} from '../io';
import { chartsSvg } from '../svg';
import type { Command } from './types';

export const PLOTS_FLAG: FlagSpec = {
  name: 'plots',
  type: 'string',
  valueName: 'DIR',
  description: 'write SVG pictures into this directory (created if missing)',
};

/** Everything that decides the result of a training run (a resumed run must match it). */
export interface TrainingRun {
  model: string;
  parameters: ParameterValues;
  bondDim: number;
  rounds: number;
  seed: number;
  chains: number;
  steps: number;
  epochs: number;
  learningRate: number;
  noiseTime: number;
  anneal: { parameter: string; from: number } | null;
}

export interface TrainResult {
  mps: MPS;
  reports: RoundReport[];
  /** Rounds found in the resume state (0 for a fresh run). */
  resumedFromRound: number;
  /** True when --out already held this finished run (nothing was trained). */
  alreadyComplete: boolean;
  seconds: number;
}

function sanitize(value: unknown): MetadataValue {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map(sanitize);
  if (typeof value === 'object' && value !== undefined) {
    const out: Record<string, MetadataValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = sanitize(v);
    }
    return out;
  }
  return null;
}

/**
 * Trains (or resumes, or finds finished) a run and writes `out` atomically. The resume state is
 * `out + '.state'`, saved after every round and removed once `out` is written.
 */
export async function trainToFile(options: {
  model: LatticeModel;
  run: TrainingRun;
  out: string;
  workers: number;
  showProgress: boolean;
  /** Reuse an --out file that already holds this finished run (default true). */
  reuse?: boolean;
  log?: (line: string) => void;
  /** The output path as the user wrote it (for messages; default `out`). */
  displayName?: string;
}): Promise<TrainResult> {
  const { model, run, out } = options;
  const statePath = `${out}.state`;
  const shownOut = options.displayName ?? out;
  const shownState = `${shownOut}.state`;
  removeStaleTemporaries(out);
  removeStaleTemporaries(statePath);
  if (existsSync(out)) {
    let metadata: MPSMetadata | undefined;
    let mps: MPS | undefined;
    try {
      const parsed = deserializeMPS(readFileSync(out, 'utf8'));
      metadata = parsed.metadata;
      mps = parsed.mps;
    } catch (error) {
      if (!LatticeDiffError.isInstance(error)) throw error;
      usage(
        `--out ${quote(shownOut)} exists and is not a latticediff checkpoint; refusing to overwrite it`,
        'choose another file or delete it',
      );
    }
    if (
      options.reuse !== false &&
      metadata?.complete === true &&
      JSON.stringify(metadata.run) === JSON.stringify(sanitize(run))
    ) {
      rmSync(statePath, { force: true });
      return {
        mps: mps!,
        reports: (metadata.reports ?? []) as unknown as RoundReport[],
        resumedFromRound: run.rounds,
        alreadyComplete: true,
        seconds: 0,
      };
    }
  }
  let resumedFromRound = 0;
  if (existsSync(statePath)) {
    try {
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as { roundsCompleted?: unknown };
      if (typeof state.roundsCompleted === 'number') resumedFromRound = state.roundsCompleted;
    } catch {
      // the learning loop reports an unreadable state below
    }
  }
  let announced = false;
  const announce = () => {
    // only once the learning loop has accepted the state as this run's
    if (!announced && resumedFromRound > 0) {
      options.log?.(`resumed from ${shownState} after round ${resumedFromRound} of ${run.rounds}`);
    }
    announced = true;
  };
  const schedule = run.anneal
    ? annealingPath(run.parameters, {
        parameter: run.anneal.parameter,
        from: run.anneal.from,
        rounds: run.rounds,
        hold: Math.floor(run.rounds / 3),
      })
    : Array.from({ length: run.rounds }, () => ({ ...run.parameters }));
  const progress = createProgress('training', run.rounds, options.showProgress);
  const start = performance.now();
  // Ctrl-C or a termination signal: the state of the last finished round is already on disk
  // (written atomically), so say how to resume and stop at once
  const interrupted = (signal: NodeJS.Signals) => {
    progress.finish();
    process.stderr.write(
      `latticediff: interrupted (${signal}); ${
        existsSync(statePath)
          ? `rerun the same command to resume from ${shownState}`
          : 'no round had finished yet'
      }\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const result = await withPool(options.workers, async (pool) => {
    try {
      return await learnByMonteCarlo({
        model,
        schedule,
        bondDim: run.bondDim,
        scheme: { kind: 'connected', noiseTime: run.noiseTime },
        chains: run.chains,
        stepsPerRound: run.steps,
        burnIn: Math.max(1, Math.floor(run.steps / 4)),
        epochsPerRound: run.epochs,
        learningRate: run.learningRate,
        seed: run.seed,
        checkpoint: fileCheckpoint(statePath),
        ...(pool ? { pool } : {}),
        onRound: (r) => {
          announce();
          progress.update(
            r.round + 1,
            `NLL ${num(r.nllAfter, 2)} acceptance ${num(r.acceptanceRate, 3)}`,
          );
        },
      });
    } catch (error) {
      if (
        InvalidArgumentError.isInstance(error) &&
        error.functionName === 'learnByMonteCarlo' &&
        error.argument === 'checkpoint'
      ) {
        const why =
          error.value === 'a checkpoint of a different run'
            ? 'it holds the training state of a different run (model, parameters or options differ)'
            : `it is not a usable training state (${oneLine(error.message)})`;
        throw new UsageError(
          `cannot resume from ${quote(shownState)}: ${why}`,
          'rerun the command that created it, or delete the file to start afresh',
        );
      }
      if (NumericalError.isInstance(error)) {
        throw new NumericalError(
          `training failed: ${oneLine(error.message)}; a smaller --learning-rate usually helps`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      progress.finish();
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
    }
  });
  announce();
  const seconds = (performance.now() - start) / 1000;
  const metadata: MPSMetadata = {
    model: run.model,
    parameters: sanitize(run.parameters),
    bondDim: run.bondDim,
    rounds: run.rounds,
    seed: run.seed,
    run: sanitize(run),
    complete: true,
    reports: sanitize(result.reports),
    createdBy: 'latticediff train',
  };
  await writeFileAtomic(out, serializeMPS(result.mps, { metadata }));
  rmSync(statePath, { force: true });
  return {
    mps: result.mps,
    reports: result.reports,
    resumedFromRound,
    alreadyComplete: false,
    seconds,
  };
}

/** NLL and acceptance per round, as an SVG document. */
export function trainingSvg(reports: readonly RoundReport[], caption: string): string {
  const rounds = reports.map((r) => r.round);
  return chartsSvg(
    [
      {
        title: "negative log-likelihood of each round's samples",
        xLabel: 'round',
        yLabel: 'NLL (nats per configuration)',
        series: [
          { name: 'before training', x: rounds, y: reports.map((r) => r.nllBefore ?? Number.NaN) },
          { name: 'after training', x: rounds, y: reports.map((r) => r.nllAfter ?? Number.NaN) },
        ],
      },
      {
        title: 'acceptance of connected DDM proposals',
        xLabel: 'round',
        yLabel: 'acceptance rate',
        series: [
          { name: 'acceptance', x: rounds, y: reports.map((r) => r.acceptanceRate ?? Number.NaN) },
        ],
        referenceLines: [0],
      },
    ],
    { caption },
  );
}

/** A few rows of the round reports (first, evenly spaced, last). */
export function reportTable(reports: readonly RoundReport[], anneal: string | undefined): string {
  const pick = new Set<number>();
  const n = reports.length;
  const shown = Math.min(n, 8);
  for (let k = 0; k < shown; k++) pick.add(Math.round((k * (n - 1)) / Math.max(1, shown - 1)));
  const rows = [...pick]
    .sort((a, b) => a - b)
    .map((i) => {
      const r = reports[i]!;
      const value = anneal ? r.parameters?.[anneal] : undefined;
      return [
        String(r.round),
        ...(anneal ? [typeof value === 'number' ? num(value, 4) : String(value)] : []),
        num(r.nllBefore, 3),
        num(r.nllAfter, 3),
        num(r.acceptanceRate, 3),
      ];
    });
  return table(
    ['round', ...(anneal ? [anneal] : []), 'NLL before', 'NLL after', 'acceptance'],
    rows,
  );
}

export function parametersText(parameters: ParameterValues): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(8)) : v}`)
    .join(' ');
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'learn an MPS for a model by Monte Carlo with annealing (resumable)',
  usage: [
    'train <model> [model parameters] [--bond-dim N] [--rounds N] [--seed S] --out FILE [--plots DIR] [--json]',
  ],
  model: 'required',
  flags: [
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      description: 'the trained model (latticediff.mps format with the model in its metadata)',
      required: true,
    },
    {
      name: 'bond-dim',
      type: 'integer',
      valueName: 'N',
      description: 'bond dimension of the MPS',
      minimum: 1,
      maximum: 512,
      defaultText: '16',
    },
    {
      name: 'rounds',
      type: 'integer',
      valueName: 'N',
      description: 'rounds of sampling and training',
      minimum: 1,
      maximum: 100000,
      defaultText: '30',
    },
    SEED_FLAG,
    {
      name: 'chains',
      type: 'integer',
      valueName: 'N',
      description: 'Markov chains per round',
      minimum: 1,
      maximum: 100000,
      defaultText: '64',
    },
    {
      name: 'steps',
      type: 'integer',
      valueName: 'N',
      description: 'recorded Monte Carlo steps per chain and round',
      minimum: 1,
      maximum: 1000000,
      defaultText: '32',
    },
    {
      name: 'epochs',
      type: 'integer',
      valueName: 'N',
      description: "training epochs over each round's samples",
      minimum: 0,
      maximum: 10000,
      defaultText: '4',
    },
    {
      name: 'learning-rate',
      type: 'number',
      valueName: 'X',
      description: 'Adam step size',
      exclusiveMinimum: 0,
      defaultText: '0.03',
    },
    {
      name: 'noise-time',
      type: 'number',
      valueName: 'T',
      description: 'noise time of the connected proposals used while training',
      exclusiveMinimum: 0,
      defaultText: '0.5',
    },
    {
      name: 'anneal-from',
      type: 'number',
      valueName: 'X',
      description:
        'start of the annealed parameter (beta: 0.2 beta; Fredkin c: min(0.3, c); other models train at the target)',
    },
    WORKERS_FLAG,
    PLOTS_FLAG,
    JSON_FLAG,
  ],
  details: [
    'Round r samples with Metropolis-Hastings chains at the r-th point of an annealing path',
    '(the last third of the rounds at the target), using the current MPS as connected proposal,',
    'then trains the MPS on the samples. The state is saved after every round to FILE.state',
    '(atomically); after a kill, rerun the same command to resume: the result is bit for bit',
    'that of an uninterrupted run. FILE is written atomically at the end and FILE.state removed.',
    'A FILE.state of another model, parameters or options is refused (exit 2).',
  ],
  async run({ values, choice, parameters, hint, json }) {
    const model = choice!.model;
    const instance = createInstance(model, parameters, hint);
    const target = { ...instance.parameters } as ParameterValues;
    const out = checkWritablePath('--out', String(values.out));
    const anneal = defaultAnnealing(
      target,
      values['anneal-from'] === undefined ? undefined : Number(values['anneal-from']),
    );
    if (values['anneal-from'] !== undefined && !anneal) {
      usage(`--anneal-from: model ${model.id} has no parameter beta or c to anneal`, hint);
    }
    // checked (and created) before any training, so that a bad --plots loses no work
    const plots =
      values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
    const run: TrainingRun = {
      model: model.id,
      parameters: target,
      bondDim: Number(values['bond-dim'] ?? 16),
      rounds: Number(values.rounds ?? 30),
      seed: Number(values.seed ?? 1),
      chains: Number(values.chains ?? 64),
      steps: Number(values.steps ?? 32),
      epochs: Number(values.epochs ?? 4),
      learningRate: Number(values['learning-rate'] ?? 0.03),
      noiseTime: Number(values['noise-time'] ?? 0.5),
      anneal: anneal ?? null,
    };
    if (anneal) {
      // every point of the path must be a valid parameter point (checked before any work)
      try {
        createInstance(model, { ...target, [anneal.parameter]: anneal.from });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        const given = values['anneal-from'] !== undefined;
        throw new UsageError(
          `${given ? `invalid value for --anneal-from: ${anneal.from}` : `the default start of the annealing path (${anneal.parameter} = ${anneal.from}) is invalid`}: ${error.message}`,
          hint,
        );
      }
    }
    const result = await trainToFile({
      model,
      run,
      out,
      workers: Number(values.workers ?? 2),
      showProgress: progressEnabled(json),
      log: json ? undefined : (line) => process.stderr.write(`${line}\n`),
      displayName: String(values.out),
    });
    const plotFiles: string[] = [];
    if (plots !== undefined) {
      const file = join(plots, 'training.svg');
      await writeFileAtomic(
        file,
        trainingSvg(result.reports, `training ${model.id} (${parametersText(target)})`),
      );
      plotFiles.push(file);
    }
    const last = result.reports[result.reports.length - 1];
    if (json) {
      printJson({
        model: model.id,
        parameters: target,
        out: String(values.out),
        bondDim: run.bondDim,
        rounds: run.rounds,
        seed: run.seed,
        resumedFromRound: result.resumedFromRound,
        alreadyComplete: result.alreadyComplete,
        seconds: result.seconds,
        final: last ? { nll: last.nllAfter, acceptanceRate: last.acceptanceRate } : null,
        plots: plotFiles,
        reports: result.reports,
      });
      return;
    }
    const lines = [
      result.alreadyComplete
        ? `${String(values.out)} already holds this finished run (nothing to do)`
        : `trained ${model.id} (${parametersText(target)}): ${run.rounds} rounds, bond dimension ${run.bondDim}, ${formatSeconds(result.seconds)}${
            result.resumedFromRound > 0 ? ` (resumed after round ${result.resumedFromRound})` : ''
          }`,
      '',
      reportTable(result.reports, anneal?.parameter),
      '',
      `wrote ${String(values.out)}`,
      ...plotFiles.map((f) => `wrote ${f}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
