/**
 * Worker of {@link runChainsOnWorkers}: imports the model module, creates the instance and runs
 * its contiguous range of chains with the chains' global random streams. Internal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParameterValues } from '@latticediff/lattice';
import { runChainsFrom } from '../chains';
import { loadModel } from './load-model';

/** What the main thread sends (as workerData). */
export interface ChainsWorkerJob {
  module: string;
  exportName: string | null;
  parameters: ParameterValues;
  scheme: { kind: 'local' } | { kind: 'wolff' };
  firstChain: number;
  chains: number;
  steps: number;
  burnIn: number;
  seed: number;
  initial: Int32Array | null;
  observables: string[];
  keepConfigurations: boolean;
}

const job = workerData as ChainsWorkerJob;
try {
  const model = (await loadModel(job.module, job.exportName)).create(job.parameters);
  const run = await runChainsFrom(
    {
      model,
      scheme: job.scheme,
      chains: job.chains,
      steps: job.steps,
      burnIn: job.burnIn,
      seed: job.seed,
      observables: job.observables,
      keepConfigurations: job.keepConfigurations,
      ...(job.initial ? { initial: { data: job.initial, count: job.chains } } : {}),
    },
    job.firstChain,
    false,
  );
  const transfer: ArrayBuffer[] = [
    ...Object.values(run.series).map((s) => s.buffer as ArrayBuffer),
    run.final.data.buffer as ArrayBuffer,
    ...(run.configurations ? [run.configurations.buffer as ArrayBuffer] : []),
  ];
  parentPort!.postMessage(
    {
      ok: true,
      series: run.series,
      accepted: run.accepted,
      proposed: run.proposed,
      final: run.final.data,
      configurations: run.configurations ?? null,
      seconds: run.seconds,
    },
    transfer,
  );
} catch (error) {
  const e = error as Error;
  parentPort!.postMessage({
    ok: false,
    name: e?.name ?? 'Error',
    message: String(e?.message ?? e),
  });
}
