/**
 * The exact reference of a model instance (`exactObservables()`), as `exact` and `mc` use it:
 * - what it costs, estimated from the sizes for the built-in models (so that `mc` can skip a
 *   reference that would take minutes, before doing any work);
 * - computed on a worker thread when a progress line is shown, so that the line keeps moving
 *   (exactObservables() is one synchronous call without progress callbacks).
 */
import { Worker } from 'node:worker_threads';
import type { ExactObservables, LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import { LatticeDiffError } from '@latticediff/tensor-network';
import { oneLine } from './errors';
import { createActivity } from './io';

/**
 * Estimated work of a model's exact reference, in elementary updates (about 1e8 per second on one
 * core as measured on the Ising transfer matrix), for the built-in models; undefined for other
 * models (their cost is unknown to the CLI).
 * - ising: the column transfer matrix of @latticediff/model-ising, passes * 2^Ly * (N + 1)^2
 *   (passes = 2^Ly on a torus, else 1), times 40 when it keeps log-weights (beta (4 |J| (Ly + 1)
 *   + 2 |h|) > 600, as in the package);
 * - fredkin: the height environments, N^2.
 * Sizes the package refuses (its checkTransferSize) cost nothing: the refusal comes at once.
 */
export async function exactWorkEstimate(
  instance: LatticeModelInstance,
): Promise<number | undefined> {
  const p = instance.parameters as ParameterValues;
  if (instance.modelId === 'ising') {
    const { lx, ly, beta, coupling, field, boundary } = p;
    if (typeof lx !== 'number' || typeof ly !== 'number') return undefined;
    const { checkTransferSize } = await import('@latticediff/model-ising');
    try {
      checkTransferSize(
        'exactObservables',
        p as unknown as Parameters<typeof checkTransferSize>[1],
      );
    } catch (error) {
      if (LatticeDiffError.isInstance(error)) return 0;
      throw error;
    }
    const n = lx * ly;
    const passes = boundary === 'torus' ? 2 ** ly : 1;
    const logWeights =
      typeof beta === 'number' &&
      beta * (4 * Math.abs(Number(coupling ?? 1)) * (ly + 1) + 2 * Math.abs(Number(field ?? 0))) >
        600;
    return passes * 2 ** ly * (n + 1) ** 2 * (logWeights ? 40 : 1);
  }
  if (instance.modelId === 'fredkin') return instance.sites ** 2;
  return undefined;
}

/** Elementary updates per second assumed for the rough time of a skipped reference. */
export const EXACT_UPDATES_PER_SECOND = 1e8;

/**
 * Largest estimated work that `mc` computes by default (2^29, about 5 s on one core): beyond,
 * `mc` skips the exact reference unless `--exact` is given.
 */
export const MC_EXACT_MAX_WORK = 2 ** 29;

function roughTime(work: number): string {
  const seconds = work / EXACT_UPDATES_PER_SECOND;
  if (seconds < 1) return 'under 1 s';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/**
 * Why `mc` skips the exact reference by default (its estimated work is above
 * {@link MC_EXACT_MAX_WORK}); undefined when it is computed.
 */
export async function exactSkipReason(instance: LatticeModelInstance): Promise<string | undefined> {
  if (typeof instance.exactObservables !== 'function') return undefined;
  const work = await exactWorkEstimate(instance);
  if (work === undefined || work <= MC_EXACT_MAX_WORK) return undefined;
  return `its estimated work ${work.toExponential(1)} is above ${MC_EXACT_MAX_WORK.toExponential(1)} (roughly ${roughTime(work)} on one core)`;
}

/** For the progress line: how long the reference roughly takes, where it is estimated. */
async function exactDurationNote(instance: LatticeModelInstance): Promise<string> {
  const work = await exactWorkEstimate(instance);
  return work === undefined || work === 0
    ? ''
    : `(estimated: roughly ${roughTime(work)} on one core)`;
}

/** The outcome: the exact values, or the model's refusal (sizes beyond its limits). */
export type ExactOutcome =
  | { readonly ok: true; readonly exact: ExactObservables }
  | { readonly ok: false; readonly message: string };

/** Where a worker thread imports the model from. */
export interface ExactModelModule {
  readonly url: string;
  readonly exportName: string;
}

/** What the main thread sends to the worker (as workerData). */
export interface ExactWorkerJob {
  readonly module: string;
  readonly exportName: string;
  readonly parameters: ParameterValues;
}

/** What the worker replies. */
export type ExactWorkerReply =
  | { readonly ok: true; readonly exact: ExactObservables }
  | { readonly ok: false; readonly refused: boolean; readonly message: string };

const WORKER_URL = new URL('./exact-worker.js', import.meta.url);

/** `instance.exactObservables()` on this thread; refusals of the model as `ok: false`. */
export function exactHere(instance: LatticeModelInstance): ExactOutcome {
  try {
    return { ok: true, exact: instance.exactObservables!() };
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) return { ok: false, message: oneLine(error.message) };
    throw error;
  }
}

/**
 * The exact reference computed on a worker thread (the model imported from `model`), so that the
 * main thread stays free to draw progress and to react to signals. `workerUrl`: the worker module
 * (default exact-worker.js beside this module in dist).
 */
export function exactOnThread(
  model: ExactModelModule,
  parameters: ParameterValues,
  workerUrl: URL = WORKER_URL,
): Promise<ExactOutcome> {
  const job: ExactWorkerJob = { module: model.url, exportName: model.exportName, parameters };
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: job });
    let settled = false;
    worker.once('message', (reply: ExactWorkerReply) => {
      settled = true;
      if (reply.ok) resolve({ ok: true, exact: reply.exact });
      else if (reply.refused) resolve({ ok: false, message: reply.message });
      else reject(new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the exact reference thread exited with code ${code}`));
      settled = true;
    });
  });
}

/**
 * The exact reference with a progress line (elapsed time) on stderr when `showProgress`: then it
 * runs on a worker thread if `model` says where to import the model from; otherwise, or without
 * progress, on this thread.
 */
export async function computeExact(
  instance: LatticeModelInstance,
  options: { showProgress: boolean; model?: ExactModelModule | undefined; label: string },
): Promise<ExactOutcome> {
  if (!options.showProgress || !options.model) return exactHere(instance);
  const activity = createActivity(options.label, true, await exactDurationNote(instance));
  try {
    return await exactOnThread(options.model, { ...instance.parameters });
  } finally {
    activity.finish();
  }
}
