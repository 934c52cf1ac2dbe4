/**
 * Chains on worker threads (Node only): local, cluster-move and disconnected-DDM chains are
 * split into contiguous groups, one per worker, and every chain draws from its own stream of the
 * seed, chain c from the same stream as in {@link runChains}. The disconnected scheme's proposals
 * are drawn in batches over all chains, chunk k of a batch from stream k of the step's seed: a
 * group draws the chunks that overlap it (the groups follow chunk boundaries when there are at
 * least as many chunks as workers) and keeps its rows, and its acceptance uniforms are its part
 * of the whole run's. The result is therefore identical to `runChains` (or, with `segmentSteps`,
 * to `runChainsInSegments`) with the same options on one thread, whatever the number of workers.
 * Each worker runs its chains from start to end without the main thread: the proposals, the
 * acceptance, the local sweeps and the observables all run beside each other. The workers import
 * the model from its module, so the model is named by module, not passed as an object.
 * Entry `@latticediff/monte-carlo/node`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ConfigurationBatch, ParameterValues } from '@latticediff/lattice';
import { LatticeDiffError, MPS, type SeedOrGenerator } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  CHUNK_SIZE,
  invalidArgument,
  samplingPlanData,
} from '@latticediff/tensor-network/internal';
import {
  type ChainRunner,
  chainsRootSeed,
  type RunChainsOptions,
  type RunChainsResult,
  runChains,
  runChainsFrom,
  sweepsOutweighDraws,
} from '../chains';
import type { SegmentProgress } from '../chains-segments';
import type { ChainsWorkerJob } from './chains-worker';
import { loadModel, moduleSpecifier } from './load-model';

/** Options of {@link runChainsOnWorkers}. */
export interface ParallelChainsOptions {
  /**
   * The model, named so that a worker can import it: `module` is a package name (resolved from
   * this package's location, as `import()` would), a path (absolute, or relative to the working
   * directory) or a URL (e.g. `import.meta.resolve('@latticediff/model-ising')`, the safe
   * choice); `exportName` picks the LatticeModel export when the module has several; `parameters`
   * are passed to its `create`.
   */
  model: { module: string | URL; exportName?: string; parameters: ParameterValues };
  /**
   * `local` (Metropolis sweeps), `wolff` (the model's cluster move) or `disconnected` (fresh
   * draws of `proposal`, an MPS, as independence proposals).
   */
  scheme: { kind: 'local' } | { kind: 'wolff' } | { kind: 'disconnected' };
  /** The MPS of the disconnected scheme (required there, refused otherwise). */
  proposal?: MPS;
  /** Local Metropolis sweeps after every disconnected step (default 0), as in runChains. */
  localSweeps?: number;
  /**
   * Run as {@link runChainsInSegments} with segments of this many recorded steps (stream k of the
   * seed for segment k): the same result as that function on one thread. Default: one call, as
   * runChains.
   */
  segmentSteps?: number;
  /**
   * With `segmentSteps`: called once every thread has finished segment k, with the steps done
   * and the acceptance of all chains so far (as runChainsInSegments's `onSegment`).
   */
  onSegment?: (progress: SegmentProgress) => void;
  /** Number of chains (default 16). */
  chains?: number;
  /** Recorded steps per chain. */
  steps: number;
  /** Steps discarded before recording (default 0). */
  burnIn?: number;
  /**
   * Seed, as runChains's for identical results: a non-negative safe integer, or (without
   * `segmentSteps`) a generator, of which the calling thread takes 53 bits as runChains does.
   */
  seed: SeedOrGenerator;
  /** Starting states (`chains` rows); default: the model's initial configuration. */
  initial?: ConfigurationBatch;
  /** Scalar observables to record (default: every observable of size 1). */
  observables?: readonly string[];
  /** Keep every recorded configuration (default false). */
  keepConfigurations?: boolean;
  /** Worker threads (default: the number of cores, at most the number of chains). */
  workers?: number;
  /**
   * Index of this run's first chain in a larger run (default 0): chain c draws its moves from
   * the stream of chain `firstChain + c` of the seed, so runs of contiguous chain ranges (the
   * shards of a job array) together give exactly the chains of one run of all of them. Local
   * and Wolff chains only (a disconnected run's proposals are batches over all its chains).
   */
  firstChain?: number;
  /** Location of the worker module (default: chains-worker.js beside this module in dist). */
  workerUrl?: URL | string;
}

const KNOWN = [
  'model',
  'scheme',
  'chains',
  'steps',
  'burnIn',
  'seed',
  'initial',
  'observables',
  'keepConfigurations',
  'workers',
  'workerUrl',
  'firstChain',
  'proposal',
  'localSweeps',
  'segmentSteps',
  'onSegment',
];

/** The worker module: `workerUrl`, or chains-worker.js beside this module. */
function workerModuleUrl(fn: string, workerUrl: URL | string | undefined): URL {
  try {
    return workerUrl === undefined
      ? new URL('./chains-worker.js', import.meta.url)
      : new URL(workerUrl);
  } catch {
    return invalidArgument(fn, 'workerUrl', workerUrl, 'a valid URL of the worker module');
  }
}

/** Runs jobs on threads, job k on thread k, and returns their replies in order. */
interface ChainThreads {
  run(jobs: ChainsWorkerJob[], fn: string, onProgress?: ThreadProgress): Promise<WorkerReply[]>;
}

/** A thread's report after one of its segments: its chains' counts so far. */
type ThreadProgress = (
  thread: number,
  progress: { stepsDone: number; accepted: number; proposed: number },
) => void;

/** The error a worker reported for its job (a user error keeps its class name). */
function replyError(fn: string, reply: WorkerReply): Error {
  return new LatticeDiffError(reply.name ?? 'Error', `\`${fn}\`: ${reply.message}`);
}

/**
 * Worker threads that take jobs by message, each answered with its id: kept from one call to the
 * next by `chainsOnWorkers` (they have imported the model and compiled the kernels once), or
 * opened for one call of `runChainsOnWorkers` and closed after it. An idle thread does not keep
 * the process alive; a thread that fails or exits rejects the jobs it was given, naming the
 * function called, and is replaced at the next call.
 */
function keptThreads(
  url: URL,
): ChainThreads & { open(count: number): void; close(): Promise<void> } {
  const threads: (Worker | undefined)[] = [];
  const busy: number[] = [];
  const pending = new Map<
    number,
    {
      worker: Worker;
      fn: string;
      resolve: (r: WorkerReply) => void;
      reject: (e: Error) => void;
      onProgress: ThreadProgress | undefined;
      thread: number;
    }
  >();
  let nextId = 1;
  const start = (k: number): Worker => {
    const worker = new Worker(url, { workerData: null });
    worker.unref();
    busy[k] = 0;
    // the jobs of this worker (not of a later one in its place) fail with it
    const fail = (errorFor: (fn: string) => Error) => {
      if (threads[k] === worker) threads[k] = undefined;
      for (const [id, entry] of pending) {
        if (entry.worker !== worker) continue;
        pending.delete(id);
        entry.reject(errorFor(entry.fn));
      }
    };
    worker.on('message', (reply: WorkerReply & { id: number }) => {
      const entry = pending.get(reply.id);
      if (!entry) return;
      if (reply.progress) {
        // a progress callback that throws fails the call, as on one thread (not the process)
        try {
          entry.onProgress?.(entry.thread, reply.progress);
        } catch (error) {
          pending.delete(reply.id);
          entry.reject(error as Error);
        }
        return;
      }
      pending.delete(reply.id);
      entry.resolve(reply);
    });
    worker.on('error', (error) => fail(() => error));
    worker.on('exit', (code) =>
      fail(
        (fn) =>
          new LatticeDiffError(
            'LatticeDiffWorkerError',
            `\`${fn}\`: a worker exited (code ${code})`,
          ),
      ),
    );
    threads[k] = worker;
    return worker;
  };
  return {
    open(count: number) {
      for (let k = 0; k < count; k++) threads[k] ?? start(k);
    },
    async run(jobs, fn, onProgress) {
      const used: { worker: Worker; k: number; id: number; reply: Promise<WorkerReply> }[] = [];
      try {
        jobs.forEach((job, k) => {
          const worker = threads[k] ?? start(k);
          const id = nextId++;
          const reply = new Promise<WorkerReply>((resolve, reject) =>
            pending.set(id, { worker, fn, resolve, reject, onProgress, thread: k }),
          );
          // awaited below; a post that throws (a job that cannot be cloned) must not leave the
          // replies already promised without a handler
          reply.catch(() => {});
          if (busy[k]!++ === 0) worker.ref();
          used.push({ worker, k, id, reply });
          worker.postMessage({ id, job });
        });
        const replies = await Promise.all(used.map((u) => u.reply));
        for (const reply of replies) if (!reply.ok) throw replyError(fn, reply);
        return replies;
      } finally {
        for (const { worker, k, id } of used) {
          pending.delete(id);
          if (--busy[k]! === 0) worker.unref();
        }
      }
    },
    async close() {
      const all = threads.filter((t): t is Worker => t !== undefined);
      threads.length = 0;
      await Promise.all(all.map((t) => t.terminate()));
    },
  };
}

interface WorkerReply {
  /** A segment's progress report (not the reply). */
  progress?: { stepsDone: number; accepted: number; proposed: number };
  ok: boolean;
  name?: string;
  message?: string;
  series: Record<string, Float64Array>;
  accepted: Float64Array;
  proposed: Float64Array;
  final: Int32Array;
  configurations: Int32Array | null;
  seconds: number;
}

/**
 * Runs local, cluster-move or disconnected chains on worker threads; same result as
 * {@link runChains} (with `segmentSteps`, as `runChainsInSegments`) with the same options on one
 * thread. `seconds` is, as for runChains, the time of the Monte Carlo steps:
 * that of the slowest worker (starting the threads and importing the model, about 0.1-0.3 s, are
 * not included).
 */
export function runChainsOnWorkers(options: ParallelChainsOptions): Promise<RunChainsResult> {
  return runChainsOnThreads(options, undefined);
}

/** {@link runChainsOnWorkers} on the given threads (default: a thread per group, ended after). */
async function runChainsOnThreads(
  options: ParallelChainsOptions,
  threads: ChainThreads | undefined,
): Promise<RunChainsResult> {
  const fn = 'runChainsOnWorkers';
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object');
  assertKnownOptions(fn, options, KNOWN);
  const { model: named } = options;
  if (typeof named !== 'object' || named === null)
    invalidArgument(fn, 'model', named, '{ module, exportName?, parameters }');
  for (const key of Object.keys(named)) {
    if (!['module', 'exportName', 'parameters'].includes(key))
      invalidArgument(
        fn,
        `model.${key}`,
        (named as Record<string, unknown>)[key],
        'absent (model takes module, exportName and parameters)',
      );
  }
  if (typeof named.module !== 'string' && !(named.module instanceof URL))
    invalidArgument(fn, 'model.module', named.module, 'a module name, path or URL');
  if (named.exportName !== undefined && typeof named.exportName !== 'string')
    invalidArgument(fn, 'model.exportName', named.exportName, 'a string');
  if (typeof named.parameters !== 'object' || named.parameters === null)
    invalidArgument(fn, 'model.parameters', named.parameters, 'an object of parameter values');
  // the threads get the parameters by structured clone (a proxy, a function or a class
  // instance with private state cannot be sent)
  try {
    structuredClone(named.parameters);
  } catch {
    invalidArgument(
      fn,
      'model.parameters',
      named.parameters,
      'parameter values that can be sent to a worker thread (a plain object of numbers, strings and booleans)',
    );
  }
  const kind = (options.scheme as { kind?: unknown } | undefined)?.kind;
  if (kind !== 'local' && kind !== 'wolff' && kind !== 'disconnected') {
    invalidArgument(
      fn,
      'scheme',
      options.scheme,
      '{ kind: "local" }, { kind: "wolff" } or { kind: "disconnected" } (connected proposals denoise the batch of all chains: use runChains with a SamplerPool for those)',
    );
  }
  const ddm = kind === 'disconnected';
  if (ddm && !MPS.isMPS(options.proposal)) {
    invalidArgument(
      fn,
      'proposal',
      options.proposal,
      'an MPS (the disconnected scheme on workers draws from an MPS; other proposals run with runChains)',
    );
  }
  if (!ddm && options.proposal !== undefined) {
    invalidArgument(fn, 'proposal', 'an MPS', `absent for the ${kind} scheme`);
  }
  const localSweeps = options.localSweeps ?? 0;
  assertInteger(fn, 'localSweeps', localSweeps, 0);
  if (!ddm && localSweeps > 0) {
    invalidArgument(fn, 'localSweeps', localSweeps, `absent for the ${kind} scheme`);
  }
  if (options.segmentSteps !== undefined)
    assertInteger(fn, 'segmentSteps', options.segmentSteps, 1);
  if (options.onSegment !== undefined) {
    if (typeof options.onSegment !== 'function')
      invalidArgument(fn, 'onSegment', options.onSegment, 'a function or absent');
    if (options.segmentSteps === undefined)
      invalidArgument(fn, 'onSegment', 'a function', 'absent without segmentSteps');
  }
  if (ddm && options.firstChain !== undefined && options.firstChain !== 0) {
    invalidArgument(
      fn,
      'firstChain',
      options.firstChain,
      "0 or absent for the disconnected scheme (its proposals are batches over all the run's chains)",
    );
  }
  if (typeof options.seed === 'number' || options.segmentSteps !== undefined)
    assertInteger(fn, 'seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
  const chains = options.chains ?? 16;
  assertInteger(fn, 'chains', chains, 1);
  const workers = options.workers ?? Math.min(availableParallelism(), chains);
  assertInteger(fn, 'workers', workers, 1, 64);
  const offset = options.firstChain ?? 0;
  assertInteger(fn, 'firstChain', offset, 0, 2 ** 39);
  const url = workerModuleUrl(fn, options.workerUrl);
  const specifier = moduleSpecifier(named.module);
  const exportName = named.exportName ?? null;
  const instance = (await loadModel(specifier, exportName, fn)).create(named.parameters);
  const steps = options.steps;
  const burnIn = options.burnIn ?? 0;
  const observables =
    options.observables ?? instance.observables.filter((o) => o.size === 1).map((o) => o.name);
  const keepConfigurations = options.keepConfigurations ?? false;
  const scheme = { kind } as { kind: 'local' } | { kind: 'wolff' } | { kind: 'disconnected' };
  const mps = ddm ? (options.proposal as MPS) : undefined;
  // every option checked as runChains checks it, before any worker starts
  const common = {
    model: instance,
    scheme,
    chains,
    steps,
    burnIn,
    seed: options.seed,
    observables,
    keepConfigurations,
    ...(options.initial ? { initial: options.initial } : {}),
    ...(mps ? { proposal: mps } : {}),
    ...(localSweeps > 0 ? { localSweeps } : {}),
  };
  // one root for every thread, drawn here (a generator seed is advanced once, as by runChains)
  const rootSeed =
    options.segmentSteps === undefined ? chainsRootSeed(fn, options.seed) : undefined;
  await runChainsFrom(common, 0, true, undefined, rootSeed, fn);
  const n = instance.sites;
  const used = Math.min(workers, chains);
  // a call without kept threads starts its own now, ended after the call: they start (Node's
  // start and the imports, about 0.1 s) while this thread computes the proposal's sampling plan
  // and the jobs
  const own = threads === undefined ? keptThreads(url) : undefined;
  try {
    own?.open(used);
    return await runOnThreads(own ?? threads!);
  } finally {
    await own?.close();
  }
  async function runOnThreads(threads: ChainThreads): Promise<RunChainsResult> {
    const ranges: [number, number][] = [];
    const chunks = Math.ceil(chains / CHUNK_SIZE);
    if (ddm && chunks >= used) {
      // whole chunks of the proposal batches per worker: no chunk is drawn twice
      for (let w = 0; w < used; w++) {
        const first = Math.floor((w * chunks) / used) * CHUNK_SIZE;
        const end = Math.min(chains, Math.floor(((w + 1) * chunks) / used) * CHUNK_SIZE);
        ranges.push([first, end - first]);
      }
    } else {
      // (disconnected with fewer chunks than workers: a chunk shared by two groups is drawn by
      // both, each keeping its rows)
      for (let w = 0, first = 0; w < used; w++) {
        const size = Math.floor(chains / used) + (w < chains % used ? 1 : 0);
        ranges.push([first, size]);
        first += size;
      }
    }
    // a Born proposal's sampling plan (its canonical form in the diagonal gauge), computed here
    // once, not by every thread: a new thread's engine computes it in unoptimised code (about
    // 0.1-0.2 s of a 2-thread call at bond 16 on the 2-core VMs measured)
    const plan = mps ? samplingPlanData(mps) : null;
    const jobs = ranges.map(
      ([first, size]): ChainsWorkerJob => ({
        module: specifier,
        exportName,
        parameters: named.parameters,
        scheme,
        proposal: mps
          ? {
              kind: mps.kind,
              physicalDims: [...mps.physicalDims],
              tensors: mps.tensors.map((t) => t.slice()),
              plan,
            }
          : null,
        localSweeps,
        totalChains: chains,
        segmentSteps: options.segmentSteps ?? null,
        rootSeed: rootSeed ?? null,
        firstChain: offset + first,
        chains: size,
        steps,
        burnIn,
        // (segments: the seed itself, a number; one call: rootSeed replaces it)
        seed: typeof options.seed === 'number' ? options.seed : 0,
        // (any array-like of digits, as runChains accepts)
        initial: options.initial
          ? Int32Array.from({ length: size * n }, (_, k) =>
              Number((options.initial!.data as ArrayLike<number>)[first * n + k]),
            )
          : null,
        observables: [...observables],
        keepConfigurations,
      }),
    );
    // segment k is reported once every thread has finished it, with the counts of all chains
    const reported: { stepsDone: number; accepted: number; proposed: number }[][] = jobs.map(
      () => [],
    );
    let segmentsReported = 0;
    const onProgress: ThreadProgress | undefined = options.onSegment
      ? (thread, progress) => {
          reported[thread]!.push(progress);
          while (reported.every((r) => r.length > segmentsReported)) {
            const k = segmentsReported++;
            let accepted = 0;
            let proposed = 0;
            for (const r of reported) {
              accepted += r[k]!.accepted;
              proposed += r[k]!.proposed;
            }
            options.onSegment!({
              stepsDone: reported[0]![k]!.stepsDone,
              steps,
              acceptanceRate: proposed > 0 ? accepted / proposed : 0,
              accepted,
              proposed,
            });
          }
        }
      : undefined;
    const replies = await threads.run(jobs, fn, onProgress);
    // as in runChains: the time of the steps, here of the slowest worker (thread start-up and the
    // model's import are not counted)
    const seconds = Math.max(...replies.map((r) => r.seconds));
    const series: Record<string, Float64Array> = {};
    for (const name of observables) {
      const out = new Float64Array(chains * steps);
      replies.forEach((r, w) => {
        out.set(r.series[name]!, ranges[w]![0] * steps);
      });
      series[name] = out;
    }
    const accepted = new Float64Array(chains);
    const proposed = new Float64Array(chains);
    const final = new Int32Array(chains * n);
    const configurations = keepConfigurations ? new Int32Array(chains * steps * n) : undefined;
    let acc = 0;
    let prop = 0;
    replies.forEach((r, w) => {
      const first = ranges[w]![0];
      accepted.set(r.accepted, first);
      proposed.set(r.proposed, first);
      final.set(r.final, first * n);
      if (configurations && r.configurations)
        configurations.set(r.configurations, first * steps * n);
      for (const v of r.accepted) acc += v;
      for (const v of r.proposed) prop += v;
    });
    return {
      scheme: scheme.kind,
      chains,
      steps,
      series,
      accepted,
      proposed,
      acceptanceRate: prop > 0 ? acc / prop : 0,
      final: { data: final, count: chains },
      ...(configurations ? { configurations } : {}),
      seconds,
    };
  }
}

/** Options of {@link chainsOnWorkers}. */
export interface ChainsOnWorkersOptions {
  /** The model's module, as `model.module` of {@link runChainsOnWorkers}. */
  module: string | URL;
  /** The LatticeModel export, when the module has several. */
  exportName?: string;
  /** Worker threads (default: the number of cores, at most the number of chains). */
  workers?: number;
  /** Location of the worker module (default: chains-worker.js beside this module in dist). */
  workerUrl?: URL | string;
}

/**
 * A {@link ChainRunner} (for `learnByMonteCarlo`'s `chainRunner`) that runs local, Wolff and
 * disconnected chains with an MPS proposal on worker threads ({@link runChainsOnWorkers}: the
 * model imported from `module` and created with the instance's parameters; the pool is not
 * used) and anything else (connected chains, independence proposals, and disconnected runs
 * with fewer chunks of 128 chains than threads and too few local sweeps to outweigh their draws,
 * which threads would not speed up) with `runChains` and its pool on this thread. Either way the
 * result is runChains's for the same options. The module's model must be the instance's model:
 * its id is checked at the first call. The threads start at
 * the first call and stay for the next ones (they import the model and compile the kernels once;
 * starting them costs about 0.1-0.3 s); idle, they do not keep the process alive, and `close()`
 * ends them.
 */
export function chainsOnWorkers(
  options: ChainsOnWorkersOptions,
): ChainRunner & { close(): Promise<void> } {
  const fn = 'chainsOnWorkers';
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object { module, exportName?, workers? }');
  assertKnownOptions(fn, options, ['module', 'exportName', 'workers', 'workerUrl']);
  if (typeof options.module !== 'string' && !(options.module instanceof URL))
    invalidArgument(fn, 'module', options.module, 'a module name, path or URL');
  if (options.exportName !== undefined && typeof options.exportName !== 'string')
    invalidArgument(fn, 'exportName', options.exportName, 'a string');
  if (options.workers !== undefined) assertInteger(fn, 'workers', options.workers, 1, 64);
  const specifier = moduleSpecifier(options.module);
  const url = workerModuleUrl(fn, options.workerUrl);
  // started at the first call, kept for the next ones (a learning run calls once per round)
  let threads: ReturnType<typeof keptThreads> | undefined;
  let modelId: Promise<string> | undefined;
  const runner = async (run: RunChainsOptions) => {
    const kind = run?.scheme?.kind;
    const chains = run.chains ?? 16;
    const workers = options.workers ?? Math.min(availableParallelism(), chains);
    // disconnected chains gain from threads when every thread has chunks of its own to draw,
    // or when their local sweeps cost enough against the draws (then each thread draws the
    // shared chunk and keeps its rows): otherwise the pool is faster
    const onThreads =
      kind === 'local' ||
      kind === 'wolff' ||
      (kind === 'disconnected' &&
        MPS.isMPS(run.proposal) &&
        (Math.ceil(chains / CHUNK_SIZE) >= workers ||
          sweepsOutweighDraws(run.proposal, run.localSweeps ?? 0)));
    if (!onThreads) return runChains(run);
    modelId ??= loadModel(specifier, options.exportName ?? null, fn).then((m) => m.id);
    const id = await modelId;
    if (id !== run.model.modelId) {
      invalidArgument(
        fn,
        'module',
        String(options.module),
        `the module of the chains' model ${run.model.modelId} (it holds ${id})`,
      );
    }
    const { model, pool: _pool, proposal, ...rest } = run;
    threads ??= keptThreads(url);
    return runChainsOnThreads(
      {
        ...rest,
        scheme: run.scheme as { kind: 'local' } | { kind: 'wolff' } | { kind: 'disconnected' },
        model: {
          module: specifier,
          ...(options.exportName !== undefined ? { exportName: options.exportName } : {}),
          parameters: { ...model.parameters },
        },
        ...(kind === 'disconnected' ? { proposal: proposal as MPS } : {}),
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
      },
      threads,
    );
  };
  return Object.assign(runner, {
    /** Ends the threads (they do not keep the process alive meanwhile). */
    close: async () => {
      const kept = threads;
      threads = undefined;
      await kept?.close();
    },
  });
}
