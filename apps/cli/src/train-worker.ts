/**
 * Worker of {@link trainOnThread}: imports the model module and runs (or resumes) the recipe with
 * `runOrResume`, exactly as the main thread did, posting progress, the result or the error.
 * Internal; built to dist/train-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CheckpointMismatchError, type RoundReport, runOrResume } from '@latticediff/monte-carlo';
import { chainsOnWorkers, fileCheckpoint } from '@latticediff/monte-carlo/node';
import {
  InvalidArgumentError,
  LatticeDiffError,
  NumericalError,
} from '@latticediff/tensor-network';
import { probedFactors } from './commands/train-flags';
import { withPool } from './common';
import { oneLine, quote, UsageError } from './errors';
import { pickModelExport } from './registry';
import type { TrainWorkerJob, TrainWorkerMessage, WireError } from './train-thread';

const job = workerData as TrainWorkerJob;
const post = (message: TrainWorkerMessage) => parentPort!.postMessage(message);

/** The library's refusals as the command reports them (one line naming what to do). */
function commandError(error: unknown): unknown {
  if (CheckpointMismatchError.isInstance(error)) {
    return new UsageError(
      `cannot resume from ${quote(job.shownState)}: it holds the training state of a different run (model, parameters or options differ)`,
      'rerun the command that created it, or delete the file to start afresh',
    );
  }
  if (
    InvalidArgumentError.isInstance(error) &&
    error.functionName === 'runOrResume' &&
    error.argument === 'checkpoint'
  ) {
    const why = `it is not a usable training state (${oneLine(error.message)})`;
    return new UsageError(
      `cannot resume from ${quote(job.shownState)}: ${why}`,
      'rerun the command that created it, or delete the file to start afresh',
    );
  }
  if (NumericalError.isInstance(error)) {
    return new NumericalError(
      `training failed: ${oneLine(error.message)}; a smaller --learning-rate usually helps`,
      { cause: error },
    );
  }
  return error;
}

function toWire(error: unknown): WireError {
  // (the stack travels along for LATTICEDIFF_DEBUG=1, which prints it)
  const stack = error instanceof Error && error.stack ? { stack: error.stack } : {};
  if (error instanceof UsageError) {
    return {
      kind: 'usage',
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...stack,
    };
  }
  if (NumericalError.isInstance(error)) {
    return { kind: 'numerical', message: error.message, ...stack };
  }
  // other library errors are input errors (exit 2), as the command reports them
  if (LatticeDiffError.isInstance(error))
    return { kind: 'usage', message: error.message, ...stack };
  const system = error as NodeJS.ErrnoException;
  if (
    error instanceof Error &&
    typeof system.code === 'string' &&
    typeof system.syscall === 'string'
  ) {
    return {
      kind: 'system',
      message: error.message,
      code: system.code,
      syscall: system.syscall,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return {
    kind: 'internal',
    message: error instanceof Error ? error.message : String(error),
    ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
  };
}

try {
  const namespace = (await import(job.module)) as Record<string, unknown>;
  const model = pickModelExport(namespace, job.module, job.exportName);
  const { run } = job;
  // a model without local factors gets them by probing its energy (deterministic, so a resumed
  // run probes the same factors)
  const factors =
    run.initial === 'physics' && typeof model.create(run.parameters).localFactors !== 'function'
      ? probedFactors(model.create(run.parameters))
      : undefined;
  if (typeof factors === 'string') throw new UsageError(`--recipe physics: ${factors}`);
  // the rounds' local and disconnected chains, and the thermodynamic path's pilot, on threads
  // kept from round to round
  const chainRunner =
    job.chainsOnWorkers && job.workers > 1
      ? chainsOnWorkers({ module: job.module, exportName: job.exportName, workers: job.workers })
      : undefined;
  const result = await withPool(job.workers, async (pool) => {
    try {
      return await runOrResume({
        model,
        recipe: run,
        checkpoint: fileCheckpoint(job.statePath),
        ...(factors === undefined ? {} : { factors }),
        ...(pool ? { pool } : {}),
        ...(chainRunner ? { chainRunner } : {}),
        onPilot: (done, total) => post({ type: 'pilot', done, total }),
        onBuild: (done, total) => post({ type: 'build', done, total }),
        onResume: (rounds) => post({ type: 'resume', rounds }),
        onRound: (report: RoundReport) => post({ type: 'round', report }),
      });
    } catch (error) {
      throw commandError(error);
    } finally {
      await chainRunner?.close();
    }
  });
  // the tensors themselves, moved to the main thread without a copy (a serialized text and its
  // parse took about 1.5 times the MPS's memory at the end of a large run)
  const tensors = result.mps.tensors.map((t) => t.slice());
  parentPort!.postMessage(
    {
      type: 'done',
      mps: {
        kind: result.mps.kind,
        shapes: result.mps.tensors.map((_, i) => result.mps.siteShape(i)),
        tensors,
      },
      reports: result.reports,
      resumedFromRound: result.resumedFromRound,
    } satisfies TrainWorkerMessage,
    tensors.map((t) => t.buffer),
  );
} catch (error) {
  post({ type: 'error', error: toWire(error) });
}
