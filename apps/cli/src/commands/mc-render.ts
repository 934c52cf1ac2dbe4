/**
 * What `latticediff mc` (and `merge`) show of a run: the estimates table and JSON, the
 * reliability warnings, and the SVG pictures.
 */
import { join } from 'node:path';
import type { ExactObservables, LatticeModelInstance } from '@latticediff/lattice';
import {
  addNoise,
  denoise,
  linearSchedule,
  scheduleTimes,
  uniformNoise,
} from '@latticediff/markov-jump';
import type { ObservableSummary } from '@latticediff/monte-carlo';
import { createRandom, type MPS } from '@latticediff/tensor-network';
import { num, table, writeOutput } from '../io';
import {
  type ChartSeries,
  type ConfigurationPanel,
  chartsSvg,
  configurationsSvg,
  modelCaption,
  timeLabel,
} from '../svg';
import type { MonteCarloResult, ObservableEstimate } from './mc-run';
/**
 * The table's estimates from the summaries of the observables (in `names` order), compared with
 * the exact means where known, and the smallest ESS over them (NaN when none is positive).
 */
export function estimates(
  names: readonly string[],
  summaries: Readonly<Record<string, ObservableSummary>>,
  exact: ExactObservables | undefined,
): { observables: Record<string, ObservableEstimate>; effectiveSampleSize: number } {
  const observables: Record<string, ObservableEstimate> = {};
  let minEss = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const s = summaries[name]!;
    const estimate: ObservableEstimate = {
      mean: s.mean,
      stdErr: s.stdErr,
      tauInt: s.tauInt,
      ess: s.ess,
      essPerSecond: s.essPerSecond ?? Number.NaN,
      windowConverged: s.windowConverged,
      variance: s.variance,
      constant: s.variance === 0,
      autocorrelation: s.autocorrelation,
    };
    const exactMean = exact?.means[name];
    if (typeof exactMean === 'number') {
      estimate.exact = exactMean;
      estimate.deviation = deviationFromExact(s.mean, s.variance, s.stdErr, exactMean);
    }
    if (Number.isFinite(s.ess) && s.ess > 0) minEss = Math.min(minEss, s.ess);
    observables[name] = estimate;
  }
  return { observables, effectiveSampleSize: Number.isFinite(minEss) ? minEss : Number.NaN };
}

/** The result as the JSON object of `mc --json`. */
export function monteCarloJson(
  instance: LatticeModelInstance,
  result: MonteCarloResult,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const warnings = reliabilityWarnings(result);
  const observables: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(result.observables)) {
    observables[name] = {
      mean: o.mean,
      stdErr: o.stdErr,
      tauInt: o.tauInt,
      ess: o.ess,
      essPerSecond: o.essPerSecond,
      windowConverged: o.windowConverged,
      ...(o.constant ? { constant: true } : {}),
      ...(o.exact !== undefined ? { exact: o.exact, deviation: o.deviation } : {}),
      // (JSON has no Infinity: chains stuck at different values give null)
      ...(o.rHat !== undefined ? { rHat: Number.isFinite(o.rHat) ? o.rHat : null } : {}),
    };
  }
  return {
    model: instance.modelId,
    parameters: instance.parameters,
    scheme: result.scheme,
    ...(result.noiseTime !== undefined ? { noiseTime: result.noiseTime } : {}),
    ...(result.localSweeps > 0 ? { localSweeps: result.localSweeps } : {}),
    chains: result.chains,
    steps: result.steps,
    burnIn: result.burnIn,
    ...extra,
    acceptanceRate: result.acceptanceRate,
    effectiveSampleSize: result.effectiveSampleSize,
    seconds: result.seconds,
    essPerSecond: result.essPerSecond,
    observables,
    // a field a script can test: false when any warning below applies
    trustworthy: warnings.length === 0,
    warnings,
  };
}

/**
 * (mean - exact) / stdErr. A series that never changed (variance 0, e.g. the energy of the
 * Fredkin chain at c = 1/2, where every allowed path has the same energy) has no error bar: it
 * agrees (0) when its value equals the exact one to rounding, and disagrees (+-Infinity) otherwise.
 */
export function deviationFromExact(
  mean: number,
  variance: number,
  stdErr: number,
  exact: number,
): number {
  if (variance === 0 || !(stdErr > 0)) {
    const difference = mean - exact;
    if (Math.abs(difference) <= 1e-9 * Math.max(1, Math.abs(exact))) return 0;
    if (variance === 0) return difference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }
  return (mean - exact) / stdErr;
}

/** Burn-in shorter than this many tau_int (in steps) is flagged: the start may bias the means. */
const BURN_IN_TAUS = 5;

/**
 * Why the estimates of a run may not be trusted (empty when nothing is wrong): chains that
 * disagree with each other (R-hat above 1.05, a run of one process), an autocorrelation window
 * that did not converge (tau_int and the error bar are then lower bounds), a burn-in shorter than
 * 5 tau_int, or DDM chains that never accepted a proposal.
 */
/**
 * Above this R-hat the chains disagree more than autocorrelation alone explains at the run
 * lengths of `mc`. Vehtari et al. (2021) recommend 1.01 for chains much longer than tau_int; for
 * well-mixed chains split R-hat is about sqrt(1 + (2 tau_int - 1) / n) with half-chains of n
 * steps, 1.012 at tau_int 12 and 2000 steps, so 1.01 warned on well-mixed local runs (an audit:
 * 2 of 4 seeds at the default 2000 steps, with deviations from exact of rms 0.91). Chains stuck
 * in different modes read far above (1.5 in an audit's case, 1.16 for the sign of m in 8 short
 * local runs at beta_c).
 */
const R_HAT_LIMIT = 1.05;

export function reliabilityWarnings(result: MonteCarloResult): string[] {
  const warnings: string[] = [];
  const ddm = result.scheme === 'connected' || result.scheme === 'disconnected';
  if (ddm && result.acceptanceRate === 0) {
    warnings.push(
      'no DDM proposal was accepted: the chains did not move, so the estimates are those of the starting states (train the model better, or use --scheme local)',
    );
  }
  for (const [name, o] of Object.entries(result.observables)) {
    if (!(o.stdErr > 0)) continue; // a constant series: nothing to converge
    if (o.rHat !== undefined && !(o.rHat <= R_HAT_LIMIT)) {
      warnings.push(
        `${name}: the chains disagree with each other (R-hat ${Number.isFinite(o.rHat) ? num(o.rHat, 3) : 'infinite'} > ${R_HAT_LIMIT}): they have not mixed, or are far too short for their autocorrelation, so the error bar is not to be trusted; run more --steps, add --local-sweeps, or train a better proposal`,
      );
      continue;
    }
    if (!o.windowConverged) {
      warnings.push(
        `${name}: the autocorrelation window did not converge (tau_int >= ${num(o.tauInt, 2)} steps), so its error bar is too small; run more --steps (at least 50 tau_int per chain)`,
      );
    } else if (result.burnIn < BURN_IN_TAUS * o.tauInt) {
      warnings.push(
        `${name}: the burn-in (${result.burnIn} steps, 10% of --steps) is shorter than ${BURN_IN_TAUS} tau_int (${num(BURN_IN_TAUS * o.tauInt, 1)} steps), so the start may bias the estimate; run more --steps`,
      );
    }
  }
  return warnings;
}

/**
 * An exact value that is zero up to rounding (e.g. <m> = 1.5e-16 from a transfer matrix) shown as
 * 0: below 1e-12 of the scale of the estimate and its error bar.
 */
function roundedZero(exact: number, mean: number, stdErr: number): number {
  const scale = Math.max(Math.abs(mean), Number.isFinite(stdErr) ? stdErr : 0, 1e-300);
  return Math.abs(exact) < 1e-12 * scale ? 0 : exact;
}

/**
 * Estimates beside exact values, as a text table (without the exact columns when no observable
 * has an exact value). A constant observable (one value in every recorded step, e.g. the Fredkin
 * energy at c = 1/2) shows its value marked "(constant)": it has no error bar.
 */
export function estimatesTable(result: MonteCarloResult): string {
  const entries = Object.entries(result.observables);
  const withExact = entries.some(([, o]) => o.exact !== undefined);
  const rows = entries.map(([name, o]) => {
    const agrees = o.deviation === undefined ? '' : Math.abs(o.deviation) <= 4 ? 'yes' : 'NO';
    const deviation =
      o.deviation === undefined
        ? ''
        : o.constant
          ? o.deviation === 0
            ? 'equal'
            : 'differs'
          : `${o.deviation >= 0 ? '+' : ''}${o.deviation.toFixed(2)}`;
    return [
      name,
      o.constant ? `${num(o.mean, 5)} (constant)` : `${num(o.mean, 5)} ± ${num(o.stdErr, 5)}`,
      ...(withExact
        ? [
            o.exact === undefined ? 'n/a' : num(roundedZero(o.exact, o.mean, o.stdErr), 5),
            deviation,
            agrees,
          ]
        : []),
      o.constant ? '-' : `${num(o.tauInt, 2)}${o.windowConverged ? '' : ' (>=)'}`,
      o.constant ? '-' : num(o.essPerSecond, 1),
    ];
  });
  const lines = [
    table(
      [
        'observable',
        'estimate ± stdErr',
        ...(withExact ? ['exact', 'dev/stdErr', 'within 4'] : []),
        'tau_int',
        'ESS/s',
      ],
      rows,
    ),
  ];
  if (entries.some(([, o]) => o.constant)) {
    lines.push(
      '(constant): the same value in every recorded step (no error bar, tau_int or ESS); an exact value is then either equal or not',
    );
  }
  if (entries.some(([, o]) => !o.windowConverged && o.stdErr > 0)) {
    lines.push(
      '(>=): the autocorrelation window did not converge; tau_int is a lower bound and the error bar too small',
    );
  }
  return lines.join('\n');
}

/** The autocorrelation functions rho(t) of the scalar observables. */
export function autocorrelationSvg(result: MonteCarloResult, caption: string): string {
  const entries = Object.entries(result.observables);
  let maxLag = 10;
  for (const [, o] of entries) {
    if (Number.isFinite(o.tauInt)) maxLag = Math.max(maxLag, Math.ceil(8 * o.tauInt));
  }
  const series: ChartSeries[] = entries.map(([name, o]) => {
    const n = Math.min(o.autocorrelation.length, maxLag + 1);
    return {
      name,
      x: Array.from({ length: n }, (_, t) => t),
      y: Array.from(o.autocorrelation.subarray(0, n)),
    };
  });
  return chartsSvg(
    [
      {
        title: `autocorrelation functions, ${result.scheme} scheme`,
        xLabel: 'lag t (steps)',
        yLabel: 'autocorrelation rho(t)',
        series,
        referenceLines: [0],
      },
    ],
    { caption },
  );
}

/** A few configurations (rows of `states`) as a picture. */
export function configurationsPicture(
  instance: LatticeModelInstance,
  states: Int32Array,
  count: number,
  title: string,
): string {
  const n = instance.sites;
  const shown = Math.min(count, Math.floor(states.length / n));
  const panels = Array.from({ length: shown }, (_, c) => ({
    label: `chain ${c}`,
    x: states.subarray(c * n, (c + 1) * n),
  }));
  return configurationsSvg(instance.geometry, instance.localDimension, panels, {
    title,
    digitLabels: digitLabels(instance),
  });
}

/** Names of the digits in picture legends (Ising: the spins s = 2 x - 1). */
function digitLabels(instance: LatticeModelInstance): string[] {
  if (instance.modelId === 'ising') return ['x = 0: spin down (s = -1)', 'x = 1: spin up (s = +1)'];
  return Array.from({ length: instance.localDimension }, (_, v) => `x = ${v}`);
}

/** True when configuration `x` satisfies the model's hard constraints. */
function isAllowed(instance: LatticeModelInstance, x: Int32Array): boolean {
  return instance.allowed({ data: x, count: 1 })[0] === 1;
}

/**
 * The denoising path of one configuration: noise `x` to time `time`, then denoise it exactly
 * with the MPS in `steps` ancestral steps (t_K = time > ... > 0), drawing every intermediate
 * configuration.
 */
export function denoisingPathSvg(
  instance: LatticeModelInstance,
  mps: MPS,
  x: Int32Array,
  options: { time: number; steps: number; seed: number },
): string {
  const n = instance.sites;
  const noise = uniformNoise({ physicalDim: instance.localDimension });
  const random = createRandom(options.seed);
  const times = scheduleTimes(linearSchedule({ endTime: options.time }), options.steps);
  const noisy = addNoise(
    noise,
    { data: x, count: 1 },
    { time: options.time, seed: random.split(0) },
  );
  const panels: ConfigurationPanel[] = [
    { label: "start: a chain's state", x: Int32Array.from(x) },
    { label: timeLabel(times[0]!), x: noisy.data.slice(0, n) },
  ];
  let current = noisy.data.slice(0, n);
  for (let k = 1; k < times.length; k++) {
    const step = denoise(mps, noise, {
      noisy: { data: current, count: 1, length: n },
      time: times[k - 1]!,
      targetTime: times[k]!,
      seed: random.split(k),
    });
    current = step.data.slice(0, n);
    const end = times[k] === 0;
    // the end of the path is a sample of the trained MPS, which may break the constraints
    const outside = end && !isAllowed(instance, current);
    panels.push({
      label: timeLabel(times[k]!),
      x: current,
      ...(outside ? { flag: `not allowed by ${instance.modelId}` } : {}),
    });
  }
  const flagged = panels.some((p) => p.flag !== undefined);
  return configurationsSvg(instance.geometry, instance.localDimension, panels, {
    title: `denoising path: a chain's state, noised to t = ${options.time}, denoised by the trained MPS in ${options.steps} ancestral steps`,
    perRow: Math.min(panels.length, 8),
    digitLabels: digitLabels(instance),
    notes: [
      `${modelCaption(instance.modelId, instance.parameters)}; the panels between are noisy configurations, not samples of pi`,
      ...(flagged
        ? [
            `red: the denoised configuration breaks the constraints of ${instance.modelId} (the trained MPS puts some mass outside the allowed set; mc rejects such proposals)`,
          ]
        : []),
    ],
  });
}

/** Writes the pictures of a run into `directory`; returns the file paths. */
export async function writeMonteCarloPlots(
  directory: string,
  instance: LatticeModelInstance,
  result: MonteCarloResult,
  mps: MPS | undefined,
  seed: number,
  /** The files written, as they are (so that a failure leaves the list of those written). */
  files: string[] = [],
  /** The flag that named `directory` (for messages). */
  flag = '--plots',
): Promise<string[]> {
  const label = modelCaption(instance.modelId, instance.parameters);
  const write = async (file: string, text: string) => {
    await writeOutput(flag, file, text);
    files.push(file);
  };
  await write(join(directory, 'autocorrelation.svg'), autocorrelationSvg(result, label));
  await write(
    join(directory, 'configurations.svg'),
    configurationsPicture(
      instance,
      result.finalStates,
      6,
      `final configurations of 6 chains (${label})`,
    ),
  );
  if (mps) {
    await write(
      join(directory, 'denoising.svg'),
      denoisingPathSvg(instance, mps, result.finalStates.slice(0, instance.sites), {
        time: 1,
        steps: 6,
        seed,
      }),
    );
  }
  return files;
}
