/**
 * A pool of sampling workers (Node worker_threads or browser module Workers) that spreads a
 * batch over cores. Chunk c of a batch ({@link CHUNK_SIZE} rows) always draws from stream c of
 * the call's seed, so the result is identical to the single-threaded {@link sample} /
 * {@link sampleConditional} with the same seed, whatever the number of workers. Workers get
 * whole chunks; a batch of fewer chunks than workers (and enough work) is split by rows, each
 * worker taking its rows' uniforms out of the chunk's stream.
 */
import { type ConfigurationsInput, readConfigurations } from './configurations';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
  LatticeDiffError,
  NumericalError,
  optionKeys,
} from './errors';
import { assertBatchSize, assertMPS, type MPS } from './mps';
import type { SeedOrGenerator } from './random';
import {
  CHUNK_SIZE,
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  planArrays,
  rootSeed,
  type SampleOptions,
  type SampleResult,
  samplingPlanData,
} from './sample';
import {
  type EnvironmentShards,
  OPEN_SHARDS,
  type ShardMove,
  type ShardPool,
  type ShardSpec,
  shardBounds,
  sumPartials,
} from './sweep-shards';
import type { WorkerReply, WorkerRequest } from './worker';

/**
 * The key of a SamplerPool's method that draws several one-chunk batches in one request
 * (internal: call it through {@link poolSampleSteps}).
 */
export const SAMPLE_STEPS: unique symbol = Symbol.for('@latticediff/tensor-network.sampleSteps');

/** A pool that draws several one-chunk batches per request (every SamplerPool of this release). */
interface StepsPool {
  [SAMPLE_STEPS](mps: MPS, seeds: readonly SeedOrGenerator[], rows: number): Promise<SampleResult>;
}

/** Whether `pool` can draw several one-chunk batches per request ({@link poolSampleSteps}). */
export function canSampleSteps(pool: object): boolean {
  return typeof (pool as Partial<StepsPool>)[SAMPLE_STEPS] === 'function';
}

/**
 * On the workers of `pool`, what `sampleSteps` (sample.ts) returns: for each seed the draws of
 * `sample(mps, { count: rows, seed })`, one after another, in one request per worker. Undefined
 * when the pool has no such method (of an earlier release, or another implementation of the
 * interface): draw batch by batch then.
 */
export function poolSampleSteps(
  pool: object,
  mps: MPS,
  seeds: readonly SeedOrGenerator[],
  rows: number,
): Promise<SampleResult> | undefined {
  const method = (pool as Partial<StepsPool>)[SAMPLE_STEPS];
  return typeof method === 'function' ? method.call(pool, mps, seeds, rows) : undefined;
}

interface Channel {
  post(message: WorkerRequest, transfer: ArrayBuffer[]): void;
  /** Keeps the process alive while work is pending (Node), lets it exit when idle. */
  hold(busy: boolean): void;
  terminate(): Promise<void>;
}

/** Options of {@link createSamplerPool}. */
export interface SamplerPoolOptions {
  /**
   * Number of workers (default: `navigator.hardwareConcurrency`, at most 8, or 2 where it is
   * missing, as in Node 20).
   */
  workers?: number;
  /** Location of the worker module (default: worker.js beside this module in the package's dist). */
  workerUrl?: URL | string;
}

/** Batched exact sampling spread over worker threads. Close it when done. */
export interface SamplerPool {
  /** Number of workers. */
  readonly size: number;
  /** As {@link sample}, with the same result for the same seed. */
  sample(mps: MPS, options: { count: number; seed: SeedOrGenerator }): Promise<SampleResult>;
  /** As {@link sampleConditional}, with the same result for the same seed. */
  sampleConditional(
    mps: MPS,
    options: { weights: ArrayLike<number>; count: number; seed: SeedOrGenerator },
  ): Promise<ConditionalSampleResult>;
  /**
   * As {@link sampleLogProbabilities} (log q of the sampler's own process), the same values bit
   * for bit: the configurations are split into contiguous row ranges, one per worker, and every
   * row's value depends on that row alone.
   */
  sampleLogProbabilities(mps: MPS, configurations: ConfigurationsInput): Promise<Float64Array>;
  /** As {@link logProbabilities} (log P of the MPS), the same values bit for bit. */
  logProbabilities(mps: MPS, configurations: ConfigurationsInput): Promise<Float64Array>;
  /**
   * Terminates the workers. Requests still running reject with a `LatticeDiffPoolClosedError`,
   * and so do later calls. Closing again returns the same promise.
   */
  close(): Promise<void>;
}

function defaultWorkerCount(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const cores = nav?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(8, cores));
}

/**
 * Starts one worker. `onError` is called when it fails (an uncaught error, a module that cannot
 * load) and `onExit` when its thread ends, whether after an error, by itself (`process.exit` in
 * the worker) or by `terminate` (Node only: a browser Worker has no exit event).
 */
async function openChannel(
  url: URL,
  onMessage: (reply: WorkerReply) => void,
  onError: (error: Error) => void,
  onExit: (exitCode: number) => void,
): Promise<Channel> {
  const BrowserWorker = (
    globalThis as { Worker?: new (url: URL, options: { type: 'module' }) => BrowserWorkerLike }
  ).Worker;
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode && BrowserWorker) {
    const worker = new BrowserWorker(url, { type: 'module' });
    worker.onmessage = (event) => onMessage(event.data);
    worker.onerror = (event) => onError(new Error(event.message ?? 'worker error'));
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      hold: () => {},
      terminate: async () => worker.terminate(),
    };
  }
  const threads = await import(/* @vite-ignore */ 'node:worker_threads');
  const worker = new threads.Worker(url);
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  worker.unref();
  let busy = 0;
  let terminating = false;
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    hold: (start) => {
      busy += start ? 1 : -1;
      // once terminating, the worker stays referenced until its thread has ended
      if (terminating) return;
      if (busy > 0) worker.ref();
      else worker.unref();
    },
    terminate: async () => {
      // an unreferenced worker does not keep the event loop alive until it has stopped, so a
      // top-level `await pool.close()` could end the process with the promise unsettled
      terminating = true;
      worker.ref();
      await worker.terminate();
    },
  };
}

interface BrowserWorkerLike {
  onmessage: ((event: { data: WorkerReply }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
}

/** Fewest rows that an evaluation request sends to one worker (a smaller batch uses fewer). */
const MIN_EVALUATION_ROWS = 16;

/**
 * Least work (float64 operations, as {@link drawFlops} counts them) for which an idle pool splits
 * a batch of fewer chunks than workers, per worker used: waking a second worker costs 0.1-3 ms
 * on the 2-core VMs measured (issue 18), so only batches of several milliseconds are split. The
 * connected chains of `latticediff demo` (32 rows, Born, bond 32: about 460 M) are; a draw of
 * 128 rows from a bond-16 proposal (about 7.5 M) is not.
 */
const MIN_SPLIT_FLOPS = 16e6;

/**
 * The multiply-adds of the products of one row's draw, twice (a Born MPS drawn with per-sample
 * weights also forms its double-layer environments, l + r times more). A rough measure of cost,
 * used only to decide whether a batch is worth splitting.
 */
function drawFlops(mps: MPS, conditional: boolean): number {
  let total = 0;
  for (let i = 0; i < mps.length; i++) {
    const [l, d, r] = mps.siteShape(i);
    total += 2 * l * d * r * (conditional && mps.kind === 'born' ? l + r : 1);
  }
  return total;
}

let nextMpsId = 1;
let nextShardsId = 1;
const mpsIds = new WeakMap<MPS, number>();

/** Starts a pool of sampling workers. */
export async function createSamplerPool(options: SamplerPoolOptions = {}): Promise<SamplerPool> {
  const fn = 'createSamplerPool';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { workers?, workerUrl? }');
  }
  // (a misspelt `worker: 4` started the default pool)
  assertKnownOptions(fn, options, optionKeys<SamplerPoolOptions>()(['workers', 'workerUrl']));
  const size = options.workers ?? defaultWorkerCount();
  assertInteger(fn, 'workers', size, 1, 64);
  let url: URL;
  try {
    url =
      options.workerUrl === undefined
        ? new URL('./worker.js', import.meta.url)
        : new URL(options.workerUrl);
  } catch {
    return invalidArgument(fn, 'workerUrl', options.workerUrl, 'a valid URL of the worker module');
  }
  /** Requests sent to a worker and not yet answered, by request id. */
  const pending = new Map<
    number,
    { fnName: string; resolve: (r: WorkerReply) => void; reject: (e: Error) => void }
  >();
  /** Rejects every pending request with the error `errorFor(fnName)` of the call that made it. */
  const rejectPending = (errorFor: (fnName: string) => Error) => {
    const entries = [...pending.values()];
    pending.clear();
    for (const entry of entries) entry.reject(errorFor(entry.fnName));
  };
  const closedError = (fnName: string, running: boolean) =>
    new LatticeDiffError(
      'LatticeDiffPoolClosedError',
      running
        ? `\`${fnName}\`: the sampler pool was closed while the request was running`
        : `\`${fnName}\`: the sampler pool is closed`,
    );
  /** Why the pool stopped working (a worker failed or exited on its own), or null. */
  let failure: { reason: string; cause: unknown } | null = null;
  const failedError = (fnName: string) =>
    new LatticeDiffError(
      'LatticeDiffPoolWorkerError',
      `\`${fnName}\`: ${failure!.reason}; the pool cannot sample any more (close it and create a new one)`,
      failure!.cause === undefined ? undefined : { cause: failure!.cause },
    );
  let closed = false;
  /** A worker failed or ended without being asked to: every pending request rejects. */
  const fail = (reason: string, cause: unknown) => {
    if (closed) return;
    failure ??= { reason, cause };
    rejectPending(failedError);
  };
  const onMessage = (reply: WorkerReply) => {
    const entry = pending.get(reply.requestId);
    if (!entry) return;
    pending.delete(reply.requestId);
    entry.resolve(reply);
  };
  const channels = await Promise.all(
    Array.from({ length: size }, (_, w) =>
      openChannel(
        url,
        onMessage,
        (error) => fail(`sampling worker ${w} failed: ${error?.message ?? String(error)}`, error),
        (exitCode) =>
          fail(
            `sampling worker ${w} exited (exit code ${exitCode}) without being closed`,
            undefined,
          ),
      ),
    ),
  );
  const loaded = channels.map(() => new Set<number>());
  /** Sample rows sent to each worker and not yet answered. */
  const queuedRows = channels.map(() => 0);
  let nextRequest = 1;
  let closing: Promise<void> | null = null;

  const ensureLoaded = (worker: number, mps: MPS): number => {
    let id = mpsIds.get(mps);
    if (id === undefined) {
      id = nextMpsId++;
      mpsIds.set(mps, id);
    }
    const set = loaded[worker]!;
    if (!set.has(id)) {
      if (set.size >= 4) {
        for (const old of set) channels[worker]!.post({ type: 'drop', mpsId: old }, []);
        set.clear();
      }
      const tensors = mps.tensors.map((t) => t.slice());
      // a Born MPS's sampling plan, when this thread has it: the worker need not compute the
      // canonical form and the gauge again (the same bits)
      const plan = samplingPlanData(mps, true);
      channels[worker]!.post(
        {
          type: 'load',
          mpsId: id,
          kind: mps.kind,
          physicalDims: [...mps.physicalDims],
          tensors,
          plan,
        },
        // copies, handed over without a second copy
        [...tensors, ...planArrays(plan)].map((t) => t.buffer as ArrayBuffer),
      );
      set.add(id);
    }
    return id;
  };

  /** Sends one request to worker `w`; its reply settles the promise. */
  const request = (
    w: number,
    fnName: string,
    message: (requestId: number) => WorkerRequest,
    transfer: ArrayBuffer[],
  ): Promise<WorkerReply> => {
    const requestId = nextRequest++;
    return new Promise<WorkerReply>((resolve, reject) => {
      pending.set(requestId, { fnName, resolve, reject });
      // a post that throws rejects this promise; the entry must not stay behind
      try {
        channels[w]!.post(message(requestId), transfer);
      } catch (error) {
        pending.delete(requestId);
        throw error;
      }
    });
  };

  /** Awaits the replies of the given workers' jobs, keeping those workers referenced meanwhile. */
  const gather = async (
    jobs: Promise<WorkerReply>[],
    workers: readonly number[] = jobs.map((_, w) => w),
  ): Promise<WorkerReply[]> => {
    for (const w of workers) channels[w]!.hold(true);
    let replies: WorkerReply[];
    try {
      replies = await Promise.all(jobs);
    } finally {
      for (const w of workers) channels[w]!.hold(false);
    }
    for (const reply of replies) {
      if (reply.type === 'error') {
        throw reply.name === NumericalError.errorName
          ? new NumericalError(reply.message)
          : new LatticeDiffError(reply.name, reply.message);
      }
    }
    return replies;
  };

  const assertOpen = (fnName: string) => {
    if (closed) throw closedError(fnName, false);
    if (failure) throw failedError(fnName);
  };

  /** The worker with the fewest queued rows. */
  const leastQueued = (): number => {
    let least = 0;
    for (let w = 1; w < size; w++) if (queuedRows[w]! < queuedRows[least]!) least = w;
    return least;
  };

  /**
   * `units` (rows, or batches of rows) in contiguous ranges as even as possible over the first
   * workers, as many as leave each at least MIN_SPLIT_FLOPS of the `work`.
   */
  const splitRows = (units: number, work: number) => {
    const used = Math.max(1, Math.min(size, units, Math.floor(work / MIN_SPLIT_FLOPS)));
    return Array.from({ length: used }, (_, w) => ({
      worker: w,
      start: Math.floor((w * units) / used),
      end: Math.floor(((w + 1) * units) / used),
    }));
  };

  const run = async (
    fnName: string,
    mps: MPS,
    count: number,
    seed: SeedOrGenerator,
    weights: Float64Array | null,
  ): Promise<ConditionalSampleResult> => {
    assertOpen(fnName);
    const root = rootSeed(fnName, seed);
    const n = mps.length;
    const d = mps.physicalDims[0]!;
    const chunks = Math.ceil(count / CHUNK_SIZE);
    // An idle pool splits the batch over its workers (the shortest wait for this batch). A busy
    // one, which already has batches queued (e.g. the next steps' proposals that runChains
    // requests ahead), gives the whole batch to the worker with the least queued work: every
    // worker stays busy, and each draws larger batches, whose cost per sample is lower (the
    // per-site kernel calls are shared by more rows: at N = 128 and bond dimension 16, 128 rows
    // cost 7.7 us each, 256 rows 5.3 us). Either way chunk c draws from stream c of the seed, so
    // the draws do not depend on the assignment.
    //
    // An idle pool with fewer chunks than workers (a small batch, such as the 32 rows that the
    // connected chains of `latticediff demo` denoise per step) splits the rows themselves, at
    // least MIN_SPLIT_FLOPS of work per worker: a worker drawing part of a chunk takes the
    // chunk's uniforms site by site and keeps those of its rows, so the draws are the same.
    const idle = queuedRows.every((rows) => rows === 0);
    const parts: { worker: number; start: number; end: number }[] = [];
    if (idle && chunks >= size) {
      const perWorker = Math.ceil(chunks / size);
      for (let w = 0; w < size && w * perWorker < chunks; w++) {
        parts.push({
          worker: w,
          start: w * perWorker * CHUNK_SIZE,
          end: Math.min(count, (w + 1) * perWorker * CHUNK_SIZE),
        });
      }
    } else if (idle) {
      parts.push(...splitRows(count, count * drawFlops(mps, weights !== null)));
    } else {
      parts.push({ worker: leastQueued(), start: 0, end: count });
    }
    const jobs: Promise<WorkerReply>[] = [];
    const starts: number[] = [];
    const workers: number[] = [];
    for (const { worker: w, start, end } of parts) {
      if (start >= end) continue;
      const mpsId = ensureLoaded(w, mps);
      const part = weights === null ? null : weights.slice(start * n * d, end * n * d);
      const job = request(
        w,
        fnName,
        (requestId) => ({
          type: 'sample',
          requestId,
          mpsId,
          total: count,
          firstRow: start,
          count: end - start,
          rootSeed: root,
          weights: part,
        }),
        part === null ? [] : [part.buffer as ArrayBuffer],
      );
      queuedRows[w]! += end - start;
      const release = () => {
        queuedRows[w]! -= end - start;
      };
      job.then(release, release);
      starts.push(start);
      jobs.push(job);
      workers.push(w);
    }
    const replies = await gather(jobs, workers);
    const only = replies.length === 1 ? replies[0] : undefined;
    if (only?.type === 'result' && only.data.length === count * n) {
      // one worker drew the whole batch (a busy pool's rule): its arrays, handed over to this
      // thread, are the result (no copy of the draws on the calling thread)
      return {
        data: only.data,
        count,
        length: n,
        logProbabilities: only.logProbabilities,
        logWeightNormalizations: only.logWeightNormalizations ?? new Float64Array(count),
      };
    }
    const data = new Int32Array(count * n);
    const logProbabilities = new Float64Array(count);
    const logWeightNormalizations = new Float64Array(count);
    replies.forEach((reply, k) => {
      if (reply.type !== 'result') return;
      const start = starts[k]!;
      data.set(reply.data, start * n);
      logProbabilities.set(reply.logProbabilities, start);
      if (reply.logWeightNormalizations)
        logWeightNormalizations.set(reply.logWeightNormalizations, start);
    });
    return { data, count, length: n, logProbabilities, logWeightNormalizations };
  };

  /**
   * log q (`sample`) or log P (`exact`) of every configuration: contiguous row ranges, as even
   * as possible, one per worker (no randomness, so any split gives the same values).
   */
  const evaluate = async (
    fnName: string,
    of: 'sample' | 'exact',
    mps: MPS,
    configurations: ConfigurationsInput,
  ): Promise<Float64Array> => {
    assertMPS(fnName, mps);
    const { data, count } = readConfigurations(fnName, 'configurations', mps, configurations);
    assertOpen(fnName);
    const n = mps.length;
    // rows per worker: at least MIN_EVALUATION_ROWS, so that a small batch is not split into
    // parts that cost more to send than to evaluate
    const parts = Math.max(1, Math.min(size, Math.floor(count / MIN_EVALUATION_ROWS)));
    const jobs: Promise<WorkerReply>[] = [];
    const starts: number[] = [];
    for (let w = 0, start = 0; w < parts; w++) {
      const rows = Math.floor(count / parts) + (w < count % parts ? 1 : 0);
      const part = data.slice(start * n, (start + rows) * n);
      const mpsId = ensureLoaded(w, mps);
      starts.push(start);
      jobs.push(
        request(
          w,
          fnName,
          (requestId) => ({ type: 'evaluate', requestId, mpsId, of, count: rows, data: part }),
          [part.buffer as ArrayBuffer],
        ),
      );
      start += rows;
    }
    const replies = await gather(jobs);
    const out = new Float64Array(count);
    replies.forEach((reply, k) => {
      if (reply.type === 'values') out.set(reply.values, starts[k]!);
    });
    return out;
  };

  /**
   * Sweep shards (sweep-shards.ts) on the workers: contiguous runs of shards, as even as
   * possible, one run per worker; a gradient is one request per worker carrying the moves
   * since the last one, and the partial sums come back in shard order.
   */
  const openShards = async (
    fnName: string,
    spec: ShardSpec,
    rows: Int32Array,
    weights: Float64Array,
  ): Promise<EnvironmentShards<Promise<Float64Array>>> => {
    assertOpen(fnName);
    const n = spec.physicalDims.length;
    const bounds = shardBounds(weights.length);
    const shardCount = bounds.length - 1;
    const used = Math.min(size, shardCount);
    const runs: { worker: number; first: number; end: number }[] = [];
    for (let w = 0; w < used; w++) {
      runs.push({
        worker: w,
        first: Math.floor((w * shardCount) / used),
        end: Math.floor(((w + 1) * shardCount) / used),
      });
    }
    const workers = runs.map((run) => run.worker);
    const shardsId = nextShardsId++;
    await gather(
      runs.map(({ worker, first, end }) => {
        const part = rows.slice(bounds[first]! * n, bounds[end]! * n);
        const partWeights = weights.slice(bounds[first]!, bounds[end]!);
        const tensors = spec.tensors.map((t) => t.slice());
        return request(
          worker,
          fnName,
          (requestId) => ({
            type: 'shards-open',
            requestId,
            shardsId,
            physicalDims: [...spec.physicalDims],
            dims: [...spec.dims],
            tensors,
            rows: part,
            weights: partWeights,
            bounds: bounds.slice(first, end + 1),
          }),
          [
            part.buffer as ArrayBuffer,
            partWeights.buffer as ArrayBuffer,
            ...tensors.map((t) => t.buffer as ArrayBuffer),
          ],
        );
      }),
      workers,
    );
    let moves: ShardMove[] = [];
    let open = true;
    /** A gradient request (or with `nll`, the mean NLL's) to every worker, the moves first. */
    const step = async (site: number, block: Float64Array, nll: boolean) => {
      assertOpen(fnName);
      const sent = moves;
      moves = [];
      // each worker gets its own copies of the block and the moves' tensors, handed over
      // (transferred) rather than cloned: cloning a 32 KB block and a 16 KB tensor took
      // 0.2-0.3 ms per message here, a copy and a transfer 0.03-0.04 ms
      const replies = await gather(
        runs.map(({ worker }) => {
          const ownBlock = block.slice();
          const ownMoves = sent.map((m) => ({ ...m, tensor: m.tensor.slice() }));
          return request(
            worker,
            fnName,
            (requestId) => ({
              type: 'shards-step',
              requestId,
              shardsId,
              moves: ownMoves,
              site,
              block: ownBlock,
              ...(nll ? { nll } : {}),
            }),
            [
              ownBlock.buffer as ArrayBuffer,
              ...ownMoves.map((m) => m.tensor.buffer as ArrayBuffer),
            ],
          );
        }),
        workers,
      );
      const partials: Float64Array[] = [];
      for (const reply of replies) if (reply.type === 'partials') partials.push(...reply.partials);
      return sumPartials(partials, nll ? 1 : block.length);
    };
    return {
      count: shardCount,
      gradient: (site, block) => step(site, block, false),
      nll: (first) => step(0, first, true),
      move(move) {
        moves.push(move);
      },
      close() {
        if (!open) return;
        open = false;
        if (closed || failure) return;
        for (const worker of workers)
          channels[worker]!.post({ type: 'shards-close', shardsId }, []);
      },
    };
  };

  /**
   * Batches of `rows` rows (one chunk each) from the given seeds: an idle pool splits the
   * batches over its workers (at least MIN_SPLIT_FLOPS of work each), a busy one gives them all to
   * the worker with the least queued work. Every batch draws from its own seed, so the draws do
   * not depend on the assignment.
   */
  const sampleStepsOnWorkers = async (
    mps: MPS,
    seeds: readonly SeedOrGenerator[],
    rows: number,
  ): Promise<SampleResult> => {
    const fnName = 'SamplerPool.sample';
    assertOpen(fnName);
    assertMPS(fnName, mps);
    assertInteger(fnName, 'rows', rows, 1, CHUNK_SIZE);
    assertBatchSize(fnName, seeds.length * rows, mps.length);
    const roots = seeds.map((seed) => rootSeed(fnName, seed));
    const n = mps.length;
    const batches = roots.length;
    const count = batches * rows;
    const parts = queuedRows.every((q) => q === 0)
      ? splitRows(batches, count * drawFlops(mps, false))
      : [{ worker: leastQueued(), start: 0, end: batches }];
    const jobs: Promise<WorkerReply>[] = [];
    const workers: number[] = [];
    for (const { worker: w, start: first, end } of parts) {
      const mpsId = ensureLoaded(w, mps);
      const job = request(
        w,
        fnName,
        (requestId) => ({
          type: 'sample-steps',
          requestId,
          mpsId,
          seeds: roots.slice(first, end),
          rows,
        }),
        [],
      );
      const queued = (end - first) * rows;
      queuedRows[w]! += queued;
      const release = () => {
        queuedRows[w]! -= queued;
      };
      job.then(release, release);
      jobs.push(job);
      workers.push(w);
    }
    const replies = await gather(jobs, workers);
    const only = replies.length === 1 ? replies[0] : undefined;
    if (only?.type === 'result' && only.data.length === count * n) {
      return { data: only.data, count, length: n, logProbabilities: only.logProbabilities };
    }
    const data = new Int32Array(count * n);
    const logProbabilities = new Float64Array(count);
    replies.forEach((reply, k) => {
      if (reply.type !== 'result') return;
      const start = parts[k]!.start * rows;
      data.set(reply.data, start * n);
      logProbabilities.set(reply.logProbabilities, start);
    });
    return { data, count, length: n, logProbabilities };
  };

  const pool: SamplerPool & ShardPool & StepsPool = {
    size,
    [OPEN_SHARDS]: openShards,
    [SAMPLE_STEPS]: sampleStepsOnWorkers,
    async sample(mps, opts) {
      const f = 'SamplerPool.sample';
      assertMPS(f, mps);
      if (typeof opts !== 'object' || opts === null)
        invalidArgument(f, 'options', opts, 'an options object { count, seed }');
      assertKnownOptions(f, opts, optionKeys<SampleOptions>()(['count', 'seed']));
      assertInteger(f, 'count', opts.count, 0);
      assertBatchSize(f, opts.count, mps.length);
      const { logWeightNormalizations: _, ...result } = await run(
        f,
        mps,
        opts.count,
        opts.seed,
        null,
      );
      return result;
    },
    async sampleConditional(mps, opts) {
      const f = 'SamplerPool.sampleConditional';
      assertMPS(f, mps);
      if (typeof opts !== 'object' || opts === null)
        invalidArgument(f, 'options', opts, 'an options object { weights, count, seed }');
      // (as the one-thread sampleConditional: an extra `weigths` key was ignored here)
      assertKnownOptions(
        f,
        opts,
        optionKeys<ConditionalSampleOptions>()(['weights', 'count', 'seed']),
      );
      const { weights, count } = opts;
      assertInteger(f, 'count', count, 0);
      assertBatchSize(f, count, mps.length);
      const n = mps.length;
      const d = mps.physicalDims[0]!;
      if (!mps.physicalDims.every((x) => x === d)) {
        invalidArgument(
          f,
          'mps',
          `physicalDims [${mps.physicalDims.join(', ')}]`,
          'an MPS whose sites share one local dimension',
        );
      }
      if (weights == null || weights.length !== count * n * d) {
        invalidArgument(
          f,
          'weights',
          weights?.length,
          `an array of count * N * d = ${count * n * d} weights`,
        );
      }
      const w = Float64Array.from(weights);
      for (let k = 0; k < w.length; k++) {
        const v = w[k]!;
        if (!(v >= 0) || !Number.isFinite(v))
          invalidArgument(f, `weights[${k}]`, v, 'a finite non-negative weight');
      }
      return run(f, mps, count, opts.seed, w);
    },
    sampleLogProbabilities(mps, configurations) {
      return evaluate('SamplerPool.sampleLogProbabilities', 'sample', mps, configurations);
    },
    logProbabilities(mps, configurations) {
      return evaluate('SamplerPool.logProbabilities', 'exact', mps, configurations);
    },
    close() {
      if (closing) return closing;
      closed = true;
      // settle what is in flight first: terminated workers never reply
      rejectPending((fnName) => closedError(fnName, true));
      closing = Promise.all(channels.map((c) => c.terminate())).then(() => {});
      return closing;
    },
  };
  return pool;
}
