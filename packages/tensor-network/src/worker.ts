/**
 * The sampling worker (Node worker_threads or a browser module Worker). It receives MPS tensors
 * once per MPS, then chunk ranges to sample; see pool.ts for the protocol.
 */
import { logProbabilities } from './evaluate';
import { MPS, type MPSKind } from './mps';
import { createRandom } from './random';
import {
  adoptSamplingPlan,
  type SampleResult,
  type SamplingPlanData,
  sampleConditionalRows,
  sampleLogProbabilities,
  sampleRows,
  sampleSteps,
} from './sample';
import {
  applyShardMove,
  type EnvironmentShard,
  openShards,
  type ShardMove,
  shardBlockGradient,
  shardNll,
} from './sweep-shards';

/** A message to the worker. */
export type WorkerRequest =
  | {
      type: 'load';
      mpsId: number;
      kind: MPSKind;
      physicalDims: number[];
      tensors: Float64Array[];
      /** The calling thread's sampling plan of a Born MPS, when it had one. */
      plan: SamplingPlanData | null;
    }
  | { type: 'drop'; mpsId: number }
  | {
      /** Rows firstRow .. firstRow + count - 1 of a batch of `total` rows (their weights). */
      type: 'sample';
      requestId: number;
      mpsId: number;
      total: number;
      firstRow: number;
      count: number;
      rootSeed: number;
      weights: Float64Array | null;
    }
  | {
      /** The draws of `sample(mps, { count: rows, seed })` for each seed, one after another. */
      type: 'sample-steps';
      requestId: number;
      mpsId: number;
      seeds: number[];
      rows: number;
    }
  | {
      /** log q of the sampler's process (`sample`) or log P (`exact`) of `count` rows. */
      type: 'evaluate';
      requestId: number;
      mpsId: number;
      of: 'sample' | 'exact';
      count: number;
      data: Int32Array;
    }
  | {
      /** Builds shards `bounds` (row ranges of `rows`, which starts at the first one's row). */
      type: 'shards-open';
      requestId: number;
      shardsId: number;
      physicalDims: number[];
      dims: number[];
      tensors: Float64Array[];
      rows: Int32Array;
      weights: Float64Array;
      bounds: number[];
    }
  | {
      /**
       * Applies `moves`, then returns each shard's partial gradient of the block at `site`, or
       * with `nll` each shard's part of the mean NLL whose site-0 tensor is `block`.
       */
      type: 'shards-step';
      requestId: number;
      shardsId: number;
      moves: ShardMove[];
      site: number;
      block: Float64Array;
      nll?: boolean;
    }
  | { type: 'shards-close'; shardsId: number };

/** A reply from the worker. */
export type WorkerReply =
  | {
      type: 'result';
      requestId: number;
      data: Int32Array;
      logProbabilities: Float64Array;
      logWeightNormalizations: Float64Array | null;
    }
  | { type: 'values'; requestId: number; values: Float64Array }
  | { type: 'opened'; requestId: number }
  | { type: 'partials'; requestId: number; partials: Float64Array[] }
  | { type: 'error'; requestId: number; name: string; message: string };

const models = new Map<number, MPS>();
const shardSets = new Map<number, EnvironmentShard[]>();

/** The sweep-shard requests (see sweep-shards.ts). */
function handleShards(
  request: Extract<WorkerRequest, { type: 'shards-open' | 'shards-step' }>,
  reply: (message: WorkerReply, transfer: ArrayBuffer[]) => void,
): void {
  if (request.type === 'shards-open') {
    const { physicalDims, dims, tensors, rows, weights, bounds } = request;
    const shards = openShards({ physicalDims, dims, tensors }, rows, weights, bounds);
    shardSets.set(request.shardsId, shards);
    reply({ type: 'opened', requestId: request.requestId }, []);
    return;
  }
  const shards = shardSets.get(request.shardsId);
  if (shards === undefined) throw new Error(`worker has no shards ${request.shardsId}`);
  for (const move of request.moves) for (const s of shards) applyShardMove(s, move);
  const partials = shards.map((s) =>
    request.nll
      ? Float64Array.of(shardNll(s, request.block))
      : shardBlockGradient(s, request.site, request.block),
  );
  reply(
    { type: 'partials', requestId: request.requestId, partials },
    partials.map((p) => p.buffer as ArrayBuffer),
  );
}

function handle(
  request: WorkerRequest,
  reply: (message: WorkerReply, transfer: ArrayBuffer[]) => void,
): void {
  if (request.type === 'load') {
    const mps = MPS.unsafeCreate(request.kind, request.physicalDims, request.tensors);
    if (request.plan) adoptSamplingPlan(mps, request.plan);
    models.set(request.mpsId, mps);
    return;
  }
  if (request.type === 'drop') {
    models.delete(request.mpsId);
    return;
  }
  if (request.type === 'shards-close') {
    shardSets.delete(request.shardsId);
    return;
  }
  try {
    if (request.type === 'shards-open' || request.type === 'shards-step') {
      handleShards(request, reply);
      return;
    }
    const mps = models.get(request.mpsId);
    if (mps === undefined) throw new Error(`worker has no MPS ${request.mpsId}`);
    if (request.type === 'evaluate') {
      const batch = { data: request.data, count: request.count };
      const values =
        request.of === 'sample' ? sampleLogProbabilities(mps, batch) : logProbabilities(mps, batch);
      reply({ type: 'values', requestId: request.requestId, values }, [
        values.buffer as ArrayBuffer,
      ]);
      return;
    }
    /** Replies with draws, their arrays handed over. */
    const replyDraws = (r: SampleResult, logWeightNormalizations: Float64Array | null) => {
      const transfer = [r.data.buffer as ArrayBuffer, r.logProbabilities.buffer as ArrayBuffer];
      if (logWeightNormalizations) transfer.push(logWeightNormalizations.buffer as ArrayBuffer);
      reply(
        {
          type: 'result',
          requestId: request.requestId,
          data: r.data,
          logProbabilities: r.logProbabilities,
          logWeightNormalizations,
        },
        transfer,
      );
    };
    if (request.type === 'sample-steps') {
      replyDraws(sampleSteps(mps, request.seeds, request.rows), null);
      return;
    }
    const root = createRandom(request.rootSeed);
    if (request.weights === null) {
      replyDraws(sampleRows(mps, root, request.total, request.firstRow, request.count), null);
    } else {
      const r = sampleConditionalRows(
        mps,
        request.weights,
        root,
        request.total,
        request.firstRow,
        request.count,
      );
      replyDraws(r, r.logWeightNormalizations);
    }
  } catch (error) {
    const e = error as Error;
    reply({ type: 'error', requestId: request.requestId, name: e.name, message: e.message }, []);
  }
}

const inBrowserWorker =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' &&
  typeof (globalThis as { postMessage?: unknown }).postMessage === 'function';

if (inBrowserWorker) {
  const scope = globalThis as unknown as {
    onmessage: ((event: { data: WorkerRequest }) => void) | null;
    postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  };
  scope.onmessage = (event) =>
    handle(event.data, (message, transfer) => scope.postMessage(message, transfer));
} else {
  const threads = await import(/* @vite-ignore */ 'node:worker_threads');
  const port = threads.parentPort;
  if (port)
    port.on('message', (request: WorkerRequest) =>
      handle(request, (message, transfer) => port.postMessage(message, transfer)),
    );
}
