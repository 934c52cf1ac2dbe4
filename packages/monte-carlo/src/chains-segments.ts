/**
 * `runChains` in segments of steps, for a caller that reports progress or may stop between
 * segments (the CLI's `mc`): segment k runs with stream k of the seed and continues from the
 * states where segment k - 1 ended; the burn-in is part of the first segment. The result has the
 * shape of one `runChains` call: series, counts, final states and seconds of all segments.
 */
import { toRandom } from '@latticediff/tensor-network';
import { assertInteger, invalidArgument } from '@latticediff/tensor-network/internal';
import { type RunChainsOptions, type RunChainsResult, runChains } from './chains';

/** Progress of {@link runChainsInSegments} after a segment. */
export interface SegmentProgress {
  stepsDone: number;
  steps: number;
  acceptanceRate: number;
  accepted: number;
  proposed: number;
}

/** Options of {@link runChainsInSegments}: those of runChains, and the length of a segment. */
export interface RunChainsInSegmentsOptions extends RunChainsOptions {
  /** Recorded steps per segment (the last may be shorter). */
  segmentSteps: number;
  /**
   * Called after every segment with the recorded steps done, the acceptance so far, and the
   * accepted and proposed moves it counts.
   */
  onSegment?: (progress: SegmentProgress) => void;
}

/**
 * Runs the chains segment by segment (see the module comment). The result depends on
 * `segmentSteps` (each segment draws from its own stream), not on the pool or its size.
 */
export function runChainsInSegments(options: RunChainsInSegmentsOptions): Promise<RunChainsResult> {
  return runInSegments('runChainsInSegments', options, runChains);
}

/**
 * {@link runChainsInSegments} with another runner of one segment (internal: a worker of
 * `runChainsOnWorkers` runs its group of chains segment by segment with the group's runner).
 */
export async function runInSegments(
  fn: string,
  options: RunChainsInSegmentsOptions,
  runSegment: (options: RunChainsOptions) => Promise<RunChainsResult>,
): Promise<RunChainsResult> {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  const { segmentSteps, onSegment, ...common } = options;
  assertInteger(fn, 'segmentSteps', segmentSteps, 1);
  if (onSegment !== undefined && typeof onSegment !== 'function') {
    invalidArgument(fn, 'onSegment', onSegment, 'a function or absent');
  }
  const steps = common.steps;
  assertInteger(fn, 'steps', steps, 1);
  const root = toRandom(fn, common.seed);
  let merged: RunChainsResult | undefined;
  let accepted = 0;
  let proposed = 0;
  for (let offset = 0, segment = 0; offset < steps; offset += segmentSteps, segment++) {
    const length = Math.min(segmentSteps, steps - offset);
    const run = await runSegment({
      ...common,
      steps: length,
      burnIn: segment === 0 ? (common.burnIn ?? 0) : 0,
      seed: root.split(segment),
      ...(merged ? { initial: merged.final } : {}),
    });
    if (!merged) {
      merged = {
        ...run,
        steps,
        series: Object.fromEntries(
          Object.keys(run.series).map((name) => [name, new Float64Array(run.chains * steps)]),
        ),
        accepted: new Float64Array(run.chains),
        proposed: new Float64Array(run.chains),
        seconds: 0,
        ...(run.configurations
          ? { configurations: new Int32Array(steps * run.final.data.length) }
          : {}),
      };
    }
    const chains = run.chains;
    const n = run.final.data.length / chains;
    for (const [name, values] of Object.entries(run.series)) {
      const to = merged.series[name]!;
      for (let c = 0; c < chains; c++) {
        to.set(values.subarray(c * length, (c + 1) * length), c * steps + offset);
      }
    }
    if (run.configurations && merged.configurations) {
      for (let c = 0; c < chains; c++) {
        merged.configurations.set(
          run.configurations.subarray(c * length * n, (c + 1) * length * n),
          (c * steps + offset) * n,
        );
      }
    }
    for (let c = 0; c < chains; c++) {
      merged.accepted[c]! += run.accepted[c]!;
      merged.proposed[c]! += run.proposed[c]!;
      accepted += run.accepted[c]!;
      proposed += run.proposed[c]!;
    }
    merged.seconds += run.seconds;
    merged.final = run.final;
    merged.acceptanceRate = proposed > 0 ? accepted / proposed : 0;
    onSegment?.({
      stepsDone: offset + length,
      steps,
      acceptanceRate: merged.acceptanceRate,
      accepted,
      proposed,
    });
  }
  return merged!;
}
