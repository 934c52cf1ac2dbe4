import { join, relative } from 'node:path';
import type { ParameterValues } from '@latticediff/lattice';
import { writeFileAtomic } from '@latticediff/monte-carlo/node';
import { type FlagSpec, flagValue } from '../args';
import { createInstance, SEED_FLAG, WORKERS_FLAG, withPool } from '../common';
import {
  checkWritablePath,
  ensureDirectory,
  formatSeconds,
  num,
  progressEnabled,
  table,
} from '../io';
import { loadModel } from '../registry';
import { modelCaption } from '../svg';
import { reliabilityWarnings, writeMonteCarloPlots } from './mc-render';
import { type MonteCarloResult, runMonteCarlo } from './mc-run';
import { type TrainingRun, trainToFile } from './train';
import { exactEntropy, reportTable, trainingSvg } from './train-render';
import type { Command } from './types';

const CRITICAL_BETA = Math.log(1 + Math.SQRT2) / 2;

/** The demo's lines fit this many columns (fewer on a narrower terminal). */
export const DEMO_COLUMNS = 80;

/**
 * The estimates beside the exact values in fewer columns than `mc` prints (no ESS/s, and the
 * 4-sigma verdict in one line below the table): 75 columns with the demo's indentation.
 */
export function demoEstimatesTable(result: MonteCarloResult): string {
  const rows = Object.entries(result.observables).map(([name, o]) => {
    if (o.constant) {
      const verdict = o.deviation === undefined ? '' : o.deviation === 0 ? 'equal' : 'differs';
      return [name, `${num(o.mean, 5)} (constant)`, num(o.exact, 5), verdict, '-'];
    }
    // an exact zero computed as 1e-16 shows as 0
    const exact =
      o.exact !== undefined && Math.abs(o.exact) < 1e-12 * Math.max(Math.abs(o.mean), o.stdErr)
        ? 0
        : o.exact;
    return [
      name,
      `${num(o.mean, 5)} ± ${num(o.stdErr, 5)}`,
      num(exact, 5),
      o.deviation === undefined ? '' : `${o.deviation >= 0 ? '+' : ''}${o.deviation.toFixed(2)}`,
      `${num(o.tauInt, 2)}${o.windowConverged ? '' : ' (>=)'}`,
    ];
  });
  const lines = [
    table(['observable', 'estimate ± stdErr', 'exact', 'dev/stdErr', 'tau_int'], rows),
  ];
  const observables = Object.values(result.observables);
  if (observables.some((o) => o.constant)) {
    lines.push(
      '(constant): the same value in every recorded step (no error bar); the exact value is then equal or not',
    );
  }
  if (observables.some((o) => !o.windowConverged && o.stdErr > 0)) {
    lines.push(
      '(>=): the autocorrelation window did not converge; tau_int is a lower bound and the error bar too small: run more --steps',
    );
  }
  return lines.join('\n');
}

/**
 * Word-wraps one line of text to `width` columns. Continuation lines keep the line's indentation,
 * plus the width of a leading step number ("1. ") or 2 columns; a word longer than the width
 * (a long path) stays whole on its own line.
 */
export function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^\s*/.exec(line)![0];
  const step = /^\s*\d+\.\s/.exec(line);
  const hanging = step ? ' '.repeat(step[0].length) : `${indent}  `;
  const lines: string[] = [];
  let current = indent;
  let prefix = indent;
  // each word with the spaces before it (two spaces between a path and its description stay two)
  for (const [, gap, word] of line.slice(indent.length).matchAll(/(\s*)(\S+)/g)) {
    if (current.length > prefix.length && current.length + gap!.length + word!.length > width) {
      lines.push(current);
      prefix = hanging;
      current = hanging + word;
    } else {
      current = current.length > prefix.length ? current + gap + word : current + word;
    }
  }
  lines.push(current);
  return lines;
}

const OUT_DIR_FLAG = {
  name: 'out-dir',
  type: 'string',
  valueName: 'DIR',
  description: 'where the trained model and the pictures go',
  default: 'latticediff-demo',
} as const satisfies FlagSpec;

const ROUNDS_FLAG = {
  name: 'rounds',
  type: 'integer',
  valueName: 'N',
  description: 'refinement rounds after the physics-built start',
  minimum: 1,
  maximum: 10000,
  default: 2,
} as const satisfies FlagSpec;

const STEPS_FLAG = {
  name: 'steps',
  type: 'integer',
  valueName: 'N',
  description: 'Monte Carlo steps per chain',
  minimum: 10,
  maximum: 10000000,
  default: 2000,
} as const satisfies FlagSpec;

export const demoCommand: Command = {
  name: 'demo',
  summary:
    'build an MPS of the 8x8 Ising cylinder at beta_c from its energy, refine it, sample it by connected DDM Monte Carlo, compare with exact values, draw pictures',
  usage: ['demo [--out-dir DIR] [--rounds N] [--steps N] [--seed S] [--workers N]'],
  model: 'none',
  flags: [OUT_DIR_FLAG, ROUNDS_FLAG, STEPS_FLAG, SEED_FLAG, WORKERS_FLAG],
  details: [
    'The same as: latticediff train ising --lx 8 --ly 8 --max-bond-dim 32 --out DIR/ising-8x8.mps',
    '--rounds 2 --plots DIR (the default --recipe physics), then latticediff mc --checkpoint',
    'DIR/ising-8x8.mps --scheme connected --noise-time 0.5 --local-sweeps 1 --steps 2000 --plots DIR.',
  ],
  async run({ values }) {
    const start = performance.now();
    const directory = ensureDirectory('--out-dir', flagValue(values, OUT_DIR_FLAG));
    const out = checkWritablePath('--out-dir', join(directory, 'ising-8x8.mps'));
    const seed = flagValue(values, SEED_FLAG);
    const workers = flagValue(values, WORKERS_FLAG);
    const { entry, model } = await loadModel('ising');
    const target = {
      ...createInstance(model, { lx: 8, ly: 8, beta: CRITICAL_BETA, boundary: 'cylinder' })
        .parameters,
    } as ParameterValues;
    // the run record of `train ising --lx 8 --ly 8 --max-bond-dim 32` (the physics recipe)
    const run: TrainingRun = {
      model: model.id,
      parameters: target,
      bondDim: 32,
      rounds: flagValue(values, ROUNDS_FLAG),
      seed,
      chains: 64,
      steps: 32,
      epochs: 4,
      learningRate: 0.05,
      noiseTime: 0.5,
      anneal: null,
      kind: 'born',
      replayRounds: 4,
      sweepsPerRound: 2,
      scheme: 'disconnected',
      validationFraction: 0.25,
      initial: 'physics',
    };
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    const width = Math.max(40, Math.min(DEMO_COLUMNS, columns || DEMO_COLUMNS));
    const say = (text = '') => {
      const lines = text.split('\n').flatMap((line) => wrapLine(line, width));
      process.stdout.write(`${lines.join('\n')}\n`);
    };
    const show = (path: string) => relative(process.cwd(), path) || path;
    say('latticediff demo: a tensor-network diffusion model of the 2D Ising model');
    say(
      `1. build the Born MPS (bond dimension ${run.bondDim}) of the 8x8 cylinder at beta_c = ${CRITICAL_BETA.toFixed(7)} from its energy (psi = exp(-beta E / 2) applied bond by bond with SVD truncation), then refine it by ${run.rounds} round${run.rounds === 1 ? '' : 's'} of Monte Carlo sampling and two-site sweeps, each keeping the fit with the lowest held-out NLL`,
    );
    const trained = await trainToFile({
      run,
      out,
      workers,
      modelModule: { url: entry.moduleUrl, exportName: await entry.exportName() },
      chainsOnWorkers: false,
      showProgress: progressEnabled(false),
      reuse: false,
      log: (line) => say(`   ${line}`),
      displayName: show(out),
      flag: '--out-dir',
    });
    say(`   built and refined in ${formatSeconds(trained.seconds)}:`);
    say(
      reportTable(trained.reports, undefined)
        .split('\n')
        .map((l) => `   ${l}`)
        .join('\n'),
    );
    const instance = createInstance(model, target);
    const steps = flagValue(values, STEPS_FLAG);
    say();
    say(
      `2. sample pi(x) ∝ exp(-beta E(x)) by connected DDM Monte Carlo: noise the state for T = 0.5, denoise it exactly with the MPS, accept with min{1, pi(x') P(x) / (pi(x) P(x'))}; one local Metropolis sweep after each step; 32 chains x ${steps} steps`,
    );
    const result = await withPool(workers, (pool) =>
      runMonteCarlo({
        instance,
        mps: trained.mps,
        scheme: 'connected',
        noiseTime: 0.5,
        chains: 32,
        steps,
        seed,
        pool,
        showProgress: progressEnabled(false),
        localSweeps: 1,
      }),
    );
    say(
      `   sampled in ${formatSeconds(result.seconds)}: acceptance of the DDM proposals ${num(result.acceptanceRate, 3)}, effective sample size ${num(result.effectiveSampleSize, 0)}`,
    );
    say();
    say('3. estimates beside the exact values (column transfer matrix):');
    say(
      demoEstimatesTable(result)
        .split('\n')
        .map((l) => `   ${l}`)
        .join('\n'),
    );
    const outside = Object.values(result.observables).filter(
      (o) => o.deviation !== undefined && Math.abs(o.deviation) > 4,
    ).length;
    say(
      outside === 0
        ? '   every estimate is within 4 standard errors of the exact value'
        : `   ${outside} estimate(s) more than 4 standard errors from the exact value`,
    );
    for (const warning of reliabilityWarnings(result)) say(`   warning: ${warning}`);
    say();
    const trainingFile = join(directory, 'training.svg');
    await writeFileAtomic(
      trainingFile,
      trainingSvg(trained.reports, {
        caption: `training ${modelCaption('ising', target)}`,
        scheme: 'disconnected',
        exactEntropy: exactEntropy(instance),
      }),
    );
    const files = [
      trainingFile,
      ...(await writeMonteCarloPlots(
        directory,
        instance,
        result,
        trained.mps,
        seed,
        [],
        '--out-dir',
      )),
    ];
    say('4. pictures:');
    say(`   ${show(trainingFile)}  training curves (NLL and acceptance per round)`);
    say(`   ${show(files[1]!)}  autocorrelation functions of the observables`);
    say(`   ${show(files[2]!)}  final configurations of six chains`);
    say(`   ${show(files[3]!)}  one sample noised and denoised step by step`);
    say(
      `   ${show(out)}  the trained model (latticediff sample --checkpoint ${show(out)} --count 10)`,
    );
    say();
    say(`done in ${formatSeconds((performance.now() - start) / 1000)}`);
  },
};
