/**
 * Worker of {@link runChainsOnWorkers}: imports the model module, creates the instance and runs
 * its contiguous range of chains with the chains' global random streams (and, for the
 * disconnected scheme, its part of every step's batch of proposals), in one call or segment by
 * segment. Internal.
 */
import { parentPort } from 'node:worker_threads';
import type { LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import { MPS, type MPSKind } from '@latticediff/tensor-network';
import { adoptSamplingPlan, type SamplingPlanData } from '@latticediff/tensor-network/internal';
import { type RunChainsOptions, runChainsFrom } from '../chains';
import { runInSegments } from '../chains-segments';
import { loadModel } from './load-model';

/** What the main thread sends (by message, with an id). */
export interface ChainsWorkerJob {
  module: string;
  exportName: string | null;
  parameters: ParameterValues;
  scheme: { kind: 'local' } | { kind: 'wolff' } | { kind: 'disconnected' };
  /** The proposal of the disconnected scheme (its tensors), or null. */
  proposal: {
    kind: MPSKind;
    physicalDims: number[];
    tensors: Float64Array[];
    /** A Born proposal's sampling plan, computed by the calling thread (null: linear). */
    plan: SamplingPlanData | null;
  } | null;
  localSweeps: number;
  /** Chains of the whole run (the disconnected scheme's batches of proposals span them). */
  totalChains: number;
  /** Recorded steps per segment (runChainsInSegments), or null for one call. */
  segmentSteps: number | null;
  /** The run's root seed drawn on the calling thread (one call), or null (segments: `seed`). */
  rootSeed: number | null;
  firstChain: number;
  chains: number;
  steps: number;
  burnIn: number;
  seed: number;
  initial: Int32Array | null;
  observables: string[];
  keepConfigurations: boolean;
}

/** What the worker posts back: the run's arrays, or the error of a job that failed. */
interface Outcome {
  message: Record<string, unknown>;
  transfer: ArrayBuffer[];
}

/** Posts a segment's progress (counts of this thread's chains) to the calling thread. */
type Report = (progress: { stepsDone: number; accepted: number; proposed: number }) => void;

/** The function whose threads these are: its errors name it. */
const FN = 'runChainsOnWorkers';

/**
 * Model instances of this thread by module, export and parameters, kept from job to job: a new
 * instance per job gave metropolisSweep new closures to call every time, and V8's code for the
 * local sweeps fell back to generic calls (a kept thread's steps took about 1.1-1.2x as long as
 * the same steps on the main thread). Instances are descriptions of the target, the same for
 * the same parameters; the last few used are kept (a learning run's schedule changes the
 * parameters from round to round). Parameters other than numbers, strings and booleans (which a
 * model's own schema may allow) are not keyed: such a job gets an instance of its own.
 */
const instances = new Map<string, LatticeModelInstance>();
const KEPT_INSTANCES = 8;

/** The cache key of a job's model, or undefined when a parameter value is not a primitive. */
function instanceKey(job: ChainsWorkerJob): string | undefined {
  const values: [string, string, string][] = [];
  for (const [name, v] of Object.entries(job.parameters)) {
    const type = typeof v;
    if (type !== 'number' && type !== 'string' && type !== 'boolean') return undefined;
    // (numbers by String, which tells Infinity and NaN apart, and -0 from 0 by its sign)
    values.push([name, type, Object.is(v, -0) ? '-0' : String(v)]);
  }
  return JSON.stringify([job.module, job.exportName, values]);
}

async function modelInstance(job: ChainsWorkerJob): Promise<LatticeModelInstance> {
  const key = instanceKey(job);
  const create = async () => (await loadModel(job.module, job.exportName)).create(job.parameters);
  if (key === undefined) return create();
  let instance = instances.get(key);
  if (instance === undefined) {
    instance = await create();
    if (instances.size >= KEPT_INSTANCES) instances.delete(instances.keys().next().value!);
  } else {
    // most recently used last
    instances.delete(key);
  }
  instances.set(key, instance);
  return instance;
}

/** The job's proposal, with the sampling plan the calling thread computed. */
function proposalOf(given: NonNullable<ChainsWorkerJob['proposal']>): MPS {
  const mps = MPS.unsafeCreate(given.kind, given.physicalDims, given.tensors);
  if (given.plan) adoptSamplingPlan(mps, given.plan);
  return mps;
}

async function runJob(job: ChainsWorkerJob, report: Report): Promise<Outcome> {
  try {
    const model = await modelInstance(job);
    const options: RunChainsOptions = {
      model,
      scheme: job.scheme,
      chains: job.chains,
      steps: job.steps,
      burnIn: job.burnIn,
      seed: job.seed,
      observables: job.observables,
      keepConfigurations: job.keepConfigurations,
      ...(job.initial ? { initial: { data: job.initial, count: job.chains } } : {}),
      ...(job.proposal ? { proposal: proposalOf(job.proposal) } : {}),
      ...(job.localSweeps > 0 ? { localSweeps: job.localSweeps } : {}),
    };
    // a DDM group draws its part of every batch of the whole run's proposals
    const total = job.scheme.kind === 'disconnected' ? job.totalChains : undefined;
    const runGroup = (o: RunChainsOptions) =>
      runChainsFrom(o, job.firstChain, false, total, undefined, FN);
    const run =
      job.segmentSteps === null
        ? await runChainsFrom(options, job.firstChain, false, total, job.rootSeed ?? undefined, FN)
        : await runInSegments(
            FN,
            {
              ...options,
              segmentSteps: job.segmentSteps,
              onSegment: ({ stepsDone, accepted, proposed }) =>
                report({ stepsDone, accepted, proposed }),
            },
            runGroup,
          );
    const transfer: ArrayBuffer[] = [
      ...Object.values(run.series).map((s) => s.buffer as ArrayBuffer),
      run.final.data.buffer as ArrayBuffer,
      ...(run.configurations ? [run.configurations.buffer as ArrayBuffer] : []),
    ];
    return {
      message: {
        ok: true,
        series: run.series,
        accepted: run.accepted,
        proposed: run.proposed,
        final: run.final.data,
        configurations: run.configurations ?? null,
        seconds: run.seconds,
      },
      transfer,
    };
  } catch (error) {
    const e = error as Error;
    return {
      message: { ok: false, name: e?.name ?? 'Error', message: String(e?.message ?? e) },
      transfer: [],
    };
  }
}

// jobs by message, each answered with its id (the thread is kept between calls, or ended after
// one call of runChainsOnWorkers)
const port = parentPort!;
port.on('message', async (request: { id: number; job: ChainsWorkerJob }) => {
  const { message, transfer } = await runJob(request.job, (p) =>
    port.postMessage({ progress: p, id: request.id }),
  );
  port.postMessage({ ...message, id: request.id }, transfer);
});
