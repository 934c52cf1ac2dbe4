import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParameterValues } from '@latticediff/lattice';
import {
  checkTrainingRecipe,
  type RoundReport,
  type TrainingRecipe,
  trainingMethod,
} from '@latticediff/monte-carlo';
import {
  deserializeMPS,
  LatticeDiffError,
  type MetadataValue,
  type MPS,
  type MPSMetadata,
  serializeMPS,
} from '@latticediff/tensor-network';
import { flagValue } from '../args';
import { buildSizeRefusal } from '../build-size';
import { createInstance, exitOnInterrupt, WORKERS_FLAG } from '../common';
import { quote, usage } from '../errors';
import {
  assertReplaceable,
  checkWritablePath,
  createProgress,
  ensureDirectory,
  formatSeconds,
  num,
  type Progress,
  printJson,
  progressEnabled,
  removeStaleTemporaries,
  writeOutput,
} from '../io';
import { modelCaption } from '../svg';
import { trainOnThread } from '../train-thread';
import { resolveTrainRun, TRAIN_FLAGS } from './train-flags';
import { checkProposalFlags, trainNeuralCommand } from './train-neural';
import {
  exactEntropy,
  exactEntropyField,
  parametersText,
  qualityNotes,
  reportTable,
  trainingSvg,
} from './train-render';
import type { Command } from './types';

/**
 * The run record of `train`: the library's training recipe (its canonical form, with the fields
 * that equal their defaults absent, is what checkpoints and output metadata store).
 */
export type TrainingRun = TrainingRecipe;

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
  run: TrainingRun;
  out: string;
  workers: number;
  /**
   * The model's module (a registry entry's), from which the training thread imports the model
   * whose id is `run.model`.
   */
  modelModule: { url: string; exportName: string };
  /**
   * With `workers` > 1, run the rounds' local and disconnected chains on worker threads too
   * (chainsOnWorkers; the same result). Default true.
   */
  chainsOnWorkers?: boolean;
  showProgress: boolean;
  /** Reuse an --out file that already holds this finished run (default true). */
  reuse?: boolean;
  log?: (line: string) => void;
  /** The output path as the user wrote it (for messages; default `out`). */
  displayName?: string;
  /** The flag that named the output, for messages (default `--out`). */
  flag?: string;
}): Promise<TrainResult> {
  const { out } = options;
  const flag = options.flag ?? '--out';
  // the canonical record: the one a finished --out and a resume state are compared with
  const run = checkTrainingRecipe(options.run);
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
  assertReplaceable(flag, out, shownOut);
  // the seconds of a run include the pilot of a thermodynamic path
  const start = performance.now();
  const bars: { pilot?: Progress; building?: Progress; training?: Progress } = {};
  const progress: Progress = {
    update: (done, note) => {
      bars.training ??= createProgress('training', run.rounds, options.showProgress);
      bars.training.update(done, note);
    },
    finish: () => bars.training?.finish(),
  };
  // Ctrl-C or a termination signal: the state of the last finished round is already on disk
  // (written atomically), so say how to resume and stop at once
  const stopInterruptHandler = exitOnInterrupt(
    progress,
    statePath,
    shownState,
    'no round had finished yet',
  );
  // the run itself on a worker thread (the same code, the same bits), so that this thread stays
  // free to draw progress and to react to Ctrl-C at once, also while the first MPS is built (one
  // synchronous call of up to minutes at large bond dimensions)
  let result: Awaited<ReturnType<typeof trainOnThread>>;
  try {
    result = await trainOnThread(
      {
        module: options.modelModule.url,
        exportName: options.modelModule.exportName,
        run,
        statePath,
        shownState,
        workers: options.workers,
        chainsOnWorkers: options.chainsOnWorkers !== false,
      },
      {
        onPilot: (done, total) => {
          bars.pilot ??= createProgress('path pilot', total, options.showProgress);
          bars.pilot.update(done, `${run.anneal!.parameter} grid`);
          if (done === total) bars.pilot.finish();
        },
        // minutes on large lattices (16x16 at bond dimension 128: about 4 min): show progress
        onBuild: (done, total) => {
          // a readiness marker for the tests (a signal sent after it arrives during the build)
          if (bars.building === undefined && process.env.LATTICEDIFF_TEST_HOOKS === '1') {
            process.stderr.write(`latticediff-test: building MPS (${done}/${total})\n`);
          }
          bars.building ??= createProgress('building MPS', total, options.showProgress);
          bars.building.update(done, 'pair groups');
          if (done === total) bars.building.finish();
        },
        onResume: (rounds) => {
          if (rounds > 0) {
            options.log?.(`resumed from ${shownState} after round ${rounds} of ${run.rounds}`);
          }
        },
        onRound: (r) => {
          progress.update(
            r.round + 1,
            `NLL ${num(r.nllAfter, 2)} acceptance ${num(r.acceptanceRate, 3)}`,
          );
        },
      },
    );
  } finally {
    bars.pilot?.finish();
    bars.building?.finish();
    progress.finish();
    stopInterruptHandler();
  }
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
  await writeOutput(flag, out, serializeMPS(result.mps, { metadata }), shownOut);
  rmSync(statePath, { force: true });
  return {
    mps: result.mps,
    reports: result.reports,
    resumedFromRound: result.resumedFromRound,
    alreadyComplete: false,
    seconds,
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary:
    "build an MPS from the model's energy and refine it, or learn it by Monte Carlo with annealing, or a neural (MADE or PixelCNN) proposal by reverse KL or forward NLL (resumable)",
  usage: [
    'train <model> [model parameters] [--max-bond-dim N] [--rounds N] [--workers N] [--overlap-rounds] [--seed S] --out FILE [--plots DIR] [--json]',
    'train <model> [model parameters] --kind born [--training sweeps] [--restart] [--sweeps N] [--replay N] [--local-sweeps N] [--scheme connected|disconnected] [--validation-fraction X] [--path linear|thermodynamic] [--kappa X] --out FILE',
    'train <model> [model parameters] --recipe restart [--chains N] [--steps N] --out FILE',
    'train <model> [model parameters] --recipe physics|learn|anneal [--max-bond-dim N] --out FILE',
    'train <model> [model parameters] --proposal neural [--network made] [--hidden N] [--z2] [--batch N] [--steps N] [--learning-rate X] [--beta-anneal A] [--backend wasm|cpu] [--seed S] --out FILE [--plots DIR] [--json]',
    'train <model> [model parameters] --proposal neural --network pixelcnn [--kernel-size K] [--channels N] [--depth N] [--batch N] [--steps N] [--learning-rate X] [--beta-anneal A] [--backend wasm|cpu] [--seed S] --out FILE',
    'train <model> [model parameters] --proposal neural --objective nll [--network made|pixelcnn] [--rounds N] [--chains N] [--steps N] [--local-sweeps N] [--epochs N] [--replay N] [--batch N] [--learning-rate X] [--anneal-from X] [--seed S] --out FILE [--plots DIR] [--json]',
  ],
  model: 'required',
  flags: TRAIN_FLAGS,
  details: [
    'The default for a model with local factors (ising, potts, fredkin) is --recipe physics: the',
    "Born MPS of the target built directly from the model's energy terms (physicsBornMPS, no",
    'learning needed: ising 8x8 at beta_c, bond dimension 32, accepts about 80% of disconnected',
    'proposals), then refined for --rounds rounds by sweeps on Monte Carlo samples at the target,',
    'each round keeping the sweep with the lowest held-out NLL, the start included. A model',
    'without local factors gets them by probing its energy (probeLocalFactors) when the energy',
    'is a sum of site and pair terms with no hard constraints (at most 2,000,000 evaluations).',
    '',
    'A model whose energy is not a sum of site and pair terms learns with --recipe learn: a',
    'random Born MPS along an annealing path from the parameter the model declares (its',
    '`annealing`), trained by two sweeps per round on the last 4 rounds of 512 chains x 128',
    'disconnected steps, the step decaying by 0.88 per round. Measured on ising 8x8 at beta_c with',
    'bond dimension 16 from the energy alone: KL(pi || P) 0.32 (the SVD truncation of the exact',
    'MPS: 0.33), acceptance 0.61, about 30 min on 2 cores.',
    '',
    "With --recipe anneal (the flags' own defaults), round r samples with Metropolis-Hastings chains at the r-th point of an annealing path",
    '(the last third of the rounds at the target), using the current MPS as connected proposal,',
    'then trains the MPS on the samples. The state is saved after every round to FILE.state',
    '(atomically); after a kill, rerun the same command to resume: the result is bit for bit',
    'that of an uninterrupted run. FILE is written atomically at the end and FILE.state removed.',
    'A FILE.state of another model, parameters or options is refused (exit 2).',
    '',
    '--path thermodynamic places the annealing rounds at equal steps of thermodynamic length',
    '(KL --kappa between neighbouring rounds), with at least the last third of the rounds at the',
    'target. Its pilot runs 64 local Metropolis chains for 1300 sweeps at every 0.01 of the',
    'annealed parameter before training (about 20 s for ising 8x8 from beta 0.2 to beta_c); a',
    'resumed run repeats it (same seed, same path).',
    '',
    '--recipe restart (a Born MPS refitted every round by 4 sweeps on the samples of the last 4',
    'rounds, disconnected proposals with 20 local sweeps per step, thermodynamic path) learns',
    'across transitions where warm-started training fails (the Fredkin chain across c = 1/2);',
    'give it more data per round, e.g. --chains 512 --steps 16.',
    '',
    '--proposal neural trains a MADE network (one hidden tanh layer of --hidden units, as in',
    'variational autoregressive networks) by reverse KL: --steps Adam steps, each on --batch exact',
    'draws of the network, minimising beta F_q = E_q[ln q + beta E] with beta annealed as',
    'beta (1 - A^t) (--beta-anneal A). It needs the optional package @latticediff/neural (and',
    'its tfjs peers). Reverse KL refuses models with hard constraints (fredkin): it is infinite',
    'for a network with weight off the allowed set. The state is saved every 10 steps to',
    'FILE.state; rerun the same command to resume bit for bit. The report gives the variational',
    'bound ln Z >= -E_q[ln q + beta E] with its error bar, and KL(q || pi) where ln Z is known.',
    'Use the network with "latticediff mc --checkpoint FILE --scheme disconnected".',
    '',
    '--proposal neural --objective nll trains the network by forward NLL on Monte Carlo samples',
    "instead, for any model (hard constraints too), in the MPS's learning loop: each of --rounds",
    'rounds (default 10) runs --chains chains (64) x --steps steps (32) with the network as',
    'disconnected proposal and --local-sweeps local sweeps (100) after every step, then --epochs',
    'Adam epochs (8) on the samples of the last --replay rounds (3); --anneal-from X anneals the',
    'model parameter from X. It reports per round the acceptance, the NLL before and after',
    "training, KL(pi || q) with its error bar and the allowed share of 2048 of the network's draws,",
    'and the exact entropy where known; the state is saved every round.',
    'fredkin --sites 16 --c 0.55, 6 rounds of 4 epochs: about 5 s, 89% allowed, acceptance 0.71.',
    '',
    "--network pixelcnn trains a masked-convolution PixelCNN instead (VAN's network for square",
    'lattices; 2D square or rectangular lattices only): --depth masked K x K convolutions',
    '(--kernel-size K, odd; the first excludes the centre site) of --channels channels, tanh,',
    "and a 1 x 1 convolution to the logits, in the model's site order and padded periodically",
    "along the model's periodic axes. No residual connections and no --z2 yet. Its checkpoint",
    "is a latticediff.pixelcnn file, resumable and read by mc and sample like a MADE's.",
  ],
  async run({ values, choice, parameters, hint, json }) {
    const model = choice!.model;
    const instance = createInstance(model, parameters, hint, choice!.flags);
    const target = { ...instance.parameters } as ParameterValues;
    // (a read-only --out that holds this finished run is reused; trainToFile checks the rest)
    const out = checkWritablePath('--out', String(values.out), { readOnlyLater: true });
    if (values.plots !== undefined && resolve(String(values.plots)) === out) {
      // (the directory was created where --out goes, and the run then failed reading it)
      usage(
        `--plots ${quote(String(values.plots))} is the --out file: give the pictures a directory of their own`,
      );
    }
    if (checkProposalFlags(values, hint) === 'neural') {
      assertReplaceable('--out', out, String(values.out));
      await trainNeuralCommand({ values, model, instance, target, out, hint, json });
      return;
    }
    const { run, anneal, probed } = resolveTrainRun(values, { model, instance, hint });
    if (probed && !json) {
      process.stderr.write(
        `model ${model.id} has no localFactors(): its site and pair energies were found by probing its energy (probeLocalFactors)\n`,
      );
    }
    // the first MPS must fit in memory: refused before any work (see build-size.ts)
    const tooLarge = buildSizeRefusal(instance, {
      maxBondDim: run.bondDim,
      physics: run.initial === 'physics',
      sizeFlags: choice!.flags
        .filter((f) => f.parameter?.spec.type === 'integer')
        .map((f) => [`--${f.name}`, instance.parameters[f.parameter!.name]] as const),
    });
    if (tooLarge !== undefined) usage(tooLarge);
    const method = trainingMethod(run);
    // checked (and created) before any training, so that a bad --plots loses no work
    const plots =
      values.plots === undefined ? undefined : ensureDirectory('--plots', String(values.plots));
    const result = await trainToFile({
      run,
      out,
      workers: flagValue(values, WORKERS_FLAG),
      modelModule: { url: choice!.entry.moduleUrl, exportName: await choice!.entry.exportName() },
      showProgress: progressEnabled(json),
      log: json ? undefined : (line) => process.stderr.write(`${line}\n`),
      displayName: String(values.out),
    });
    const plotFiles: string[] = [];
    if (plots !== undefined) {
      const file = join(plots, 'training.svg');
      await writeOutput(
        '--plots',
        file,
        trainingSvg(result.reports, {
          caption: `training ${modelCaption(model.id, target)}`,
          scheme: run.scheme ?? 'connected',
          exactEntropy: exactEntropy(instance),
          anneal:
            anneal && typeof target[anneal.parameter] === 'number'
              ? { parameter: anneal.parameter, target: target[anneal.parameter] as number }
              : undefined,
        }),
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
        kind: method.kind,
        training: method.training,
        path: run.path?.kind ?? 'linear',
        resumedFromRound: result.resumedFromRound,
        alreadyComplete: result.alreadyComplete,
        seconds: result.seconds,
        final: last
          ? {
              nll: last.nllAfter,
              acceptanceRate: last.acceptanceRate,
              ...(last.quality ? { quality: last.quality } : {}),
            }
          : null,
        ...exactEntropyField(instance),
        plots: plotFiles,
        reports: result.reports,
      });
      return;
    }
    const lines = [
      result.alreadyComplete
        ? `${String(values.out)} already holds this finished run (nothing to do)`
        : `trained ${model.id} (${parametersText(target)}): ${run.initial === 'physics' ? `the Born MPS built from its local factors, refined by ${run.rounds} round${run.rounds === 1 ? '' : 's'}` : `${run.rounds} round${run.rounds === 1 ? '' : 's'}${run.path ? ' on a thermodynamic path' : ''}`}, bond dimension ${run.bondDim}${method.kind === 'born' ? ` (Born MPS, ${method.training === 'sweeps' ? 'sweeps' : 'Adam'})` : ''}, ${formatSeconds(result.seconds)}${
            result.resumedFromRound > 0 ? ` (resumed after round ${result.resumedFromRound})` : ''
          }`,
      '',
      reportTable(result.reports, anneal?.parameter),
      ...qualityNotes(result.reports, instance),
      '',
      // (a finished run found in --out is not written again)
      ...(result.alreadyComplete ? [] : [`wrote ${String(values.out)}`]),
      ...plotFiles.map((f) => `wrote ${f}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
