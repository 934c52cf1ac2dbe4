/**
 * Worker of {@link exactOnThread}: imports the model module, creates the instance and replies
 * with its exactObservables() (a refusal of the model, a LatticeDiffError, as `refused`).
 * Internal; built to dist/exact-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LatticeDiffError } from '@latticediff/tensor-network';
import type { ExactWorkerJob, ExactWorkerReply } from './exact-reference';
import { pickModelExport } from './registry';

const job = workerData as ExactWorkerJob;
let reply: ExactWorkerReply;
try {
  const namespace = (await import(job.module)) as Record<string, unknown>;
  const model = pickModelExport(namespace, job.module, job.exportName);
  const instance = model.create(job.parameters);
  if (typeof instance.exactObservables !== 'function') {
    throw new Error(`model ${instance.modelId} has no exact references`);
  }
  reply = { ok: true, exact: instance.exactObservables() };
} catch (error) {
  reply = {
    ok: false,
    refused: LatticeDiffError.isInstance(error),
    message: error instanceof Error ? error.message : String(error),
  };
}
parentPort!.postMessage(reply);
