/**
 * `train`'s learning run on a worker thread (train-worker.ts), so that the main thread stays free
 * for signals and progress while the run computes: building the first MPS (physicsBornMPS) is one
 * synchronous call of up to minutes at large bond dimensions, and Ctrl-C must stop it at once.
 * The worker runs exactly the code the main thread ran before (the same bits: the MPS comes back
 * serialized, float64 for float64).
 */
import { Worker } from 'node:worker_threads';
import type { RoundReport, TrainingRecipe } from '@latticediff/monte-carlo';
import { MPS, type MPSKind, NumericalError } from '@latticediff/tensor-network';
import { UsageError } from './errors';

/** What the main thread sends to the worker (as workerData). */
export interface TrainWorkerJob {
  /** Where the worker imports the model from (a registry entry's module and export). */
  readonly module: string;
  readonly exportName: string;
  /** The canonical recipe (checkTrainingRecipe). */
  readonly run: TrainingRecipe;
  /** The resume state file, and its name as the user wrote it (for messages). */
  readonly statePath: string;
  readonly shownState: string;
  readonly workers: number;
  /** Run the rounds' local and disconnected chains on threads too (chainsOnWorkers). */
  readonly chainsOnWorkers: boolean;
}

/** An error of the worker, as it crosses to the main thread (classes do not survive cloning). */
export type WireError =
  | {
      readonly kind: 'usage';
      readonly message: string;
      readonly hint?: string;
      readonly stack?: string;
    }
  | { readonly kind: 'numerical'; readonly message: string; readonly stack?: string }
  | {
      readonly kind: 'system';
      readonly message: string;
      readonly code: string;
      readonly syscall: string;
      readonly stack?: string;
    }
  | { readonly kind: 'internal'; readonly message: string; readonly stack?: string };

/** What the worker posts. */
export type TrainWorkerMessage =
  | { readonly type: 'pilot'; readonly done: number; readonly total: number }
  | { readonly type: 'build'; readonly done: number; readonly total: number }
  | { readonly type: 'resume'; readonly rounds: number }
  | { readonly type: 'round'; readonly report: RoundReport }
  | {
      readonly type: 'done';
      /** The result's kind, site shapes and tensors (their buffers transferred). */
      readonly mps: {
        readonly kind: MPSKind;
        readonly shapes: [number, number, number][];
        readonly tensors: Float64Array[];
      };
      readonly reports: RoundReport[];
      readonly resumedFromRound: number;
    }
  | { readonly type: 'error'; readonly error: WireError };

/** `error` with the worker's stack (where the failure happened) when there is one. */
function withStack<E extends Error>(error: E, stack: string | undefined): E {
  if (stack) error.stack = stack;
  return error;
}

/** The error the main thread throws for a worker's {@link WireError}. */
export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case 'usage':
      return withStack(new UsageError(wire.message, wire.hint), wire.stack);
    case 'numerical':
      return withStack(new NumericalError(wire.message), wire.stack);
    case 'system': {
      const error = Object.assign(new Error(wire.message), {
        code: wire.code,
        syscall: wire.syscall,
      });
      if (wire.stack) error.stack = wire.stack;
      return error;
    }
    case 'internal': {
      const error = new Error(wire.message);
      if (wire.stack) error.stack = wire.stack;
      return error;
    }
  }
}

/** Progress callbacks of a run on the worker thread. */
export interface TrainThreadCallbacks {
  onPilot(done: number, total: number): void;
  onBuild(done: number, total: number): void;
  onResume(rounds: number): void;
  onRound(report: RoundReport): void;
}

const WORKER_URL = new URL('./train-worker.js', import.meta.url);

/** Runs `job` on a worker thread; resolves with the trained MPS and the round reports. */
export function trainOnThread(
  job: TrainWorkerJob,
  callbacks: TrainThreadCallbacks,
  workerUrl: URL = WORKER_URL,
): Promise<{ mps: MPS; reports: RoundReport[]; resumedFromRound: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: job });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (message: TrainWorkerMessage) => {
      if (settled) return;
      try {
        switch (message.type) {
          case 'pilot':
            callbacks.onPilot(message.done, message.total);
            break;
          case 'build':
            callbacks.onBuild(message.done, message.total);
            break;
          case 'resume':
            callbacks.onResume(message.rounds);
            break;
          case 'round':
            callbacks.onRound(message.report);
            break;
          case 'done': {
            const { kind, shapes, tensors } = message.mps;
            // (validated again: the same checks a checkpoint read gets)
            const mps = MPS.fromTensors(
              tensors.map((data, i) => ({ shape: shapes[i]!, data })),
              { kind },
            );
            settle(() =>
              resolve({
                mps,
                reports: message.reports,
                resumedFromRound: message.resumedFromRound,
              }),
            );
            break;
          }
          case 'error':
            settle(() => reject(fromWire(message.error)));
            break;
        }
      } catch (error) {
        settle(() => reject(error));
      }
    });
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`the training thread exited with code ${code}`))),
    );
  });
}
