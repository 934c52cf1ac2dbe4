/**
 * What must be equal between two learning runs that differ only in where they ran (one thread,
 * a pool, threads): the MPS, the chain states and the reports without their timings.
 */
import type { LearningResult } from './learning-loop';

export function timelessLearning(r: LearningResult) {
  return {
    tensors: r.mps.tensors.map((t) => Array.from(t)),
    chainStates: Array.from(r.chainStates),
    reports: r.reports.map((report) => ({
      ...report,
      samplingSeconds: 0,
      trainingSeconds: 0,
      essPerSecond: 0,
    })),
  };
}
