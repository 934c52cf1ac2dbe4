/**
 * Time schedules: a reparametrisation t(s) of the noise time by s in [0, 1], increasing, with
 * t(0) = 0 (clean data) and t(1) = the final time T. A schedule gives the grid of a multi-step
 * reverse process, t_K = t(1) > t((K-1)/K) > ... > t(0) = 0. (A time-dependent rate beta(s) is
 * the same thing: t(s) = integral of beta.)
 */
import { assertInteger, assertOptions, invalidArgument } from './validate';

/** A noise-time schedule t(s), s in [0, 1]. */
export interface TimeSchedule {
  readonly kind: 'linear' | 'geometric' | 'custom';
  /** t(1), the final noise time T. */
  readonly endTime: number;
  /** The noise time at schedule position s in [0, 1] (increasing, t(0) = 0). */
  time(s: number): number;
}

function assertPositiveTime(fn: string, argument: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    invalidArgument(fn, argument, value, 'a finite number > 0');
  }
}

function checkPosition(fn: string, s: unknown): asserts s is number {
  if (typeof s !== 'number' || !(s >= 0 && s <= 1))
    invalidArgument(fn, 's', s, 'a number in [0, 1]');
}

/** Linear schedule t(s) = s T. */
export function linearSchedule(options: { endTime: number }): TimeSchedule {
  const fn = 'linearSchedule';
  assertOptions(fn, options, '{ endTime }', ['endTime']);
  const { endTime } = options;
  assertPositiveTime(fn, 'endTime', endTime);
  return Object.freeze({
    kind: 'linear' as const,
    endTime,
    time(s: number): number {
      checkPosition('linearSchedule.time', s);
      return s * endTime;
    },
  });
}

/**
 * Geometric schedule t(s) = startTime^(1-s) endTime^s for s > 0, and t(0) = 0: the positive
 * grid points are geometrically spaced between startTime and endTime (as the geometric noise
 * level sigma_min^(1-s) sigma_max^s of score-entropy models), and the last reverse step goes
 * from t(1/K) to exactly 0 (exact denoising makes that step no less accurate than the others).
 * Requires 0 < startTime < endTime.
 */
export function geometricSchedule(options: { startTime: number; endTime: number }): TimeSchedule {
  const fn = 'geometricSchedule';
  assertOptions(fn, options, '{ startTime, endTime }', ['startTime', 'endTime']);
  const { startTime, endTime } = options;
  assertPositiveTime(fn, 'startTime', startTime);
  assertPositiveTime(fn, 'endTime', endTime);
  if (!(startTime < endTime))
    invalidArgument(fn, 'startTime', startTime, `a time below endTime (${endTime})`);
  const logStart = Math.log(startTime);
  const logEnd = Math.log(endTime);
  return Object.freeze({
    kind: 'geometric' as const,
    endTime,
    time(s: number): number {
      checkPosition('geometricSchedule.time', s);
      if (s === 0) return 0;
      if (s === 1) return endTime;
      return Math.exp((1 - s) * logStart + s * logEnd);
    },
  });
}

/**
 * The descending grid t(1) > t((K-1)/K) > ... > t(1/K) > t(0) = 0 of a schedule with K steps
 * (K + 1 times), checked to be strictly decreasing.
 */
export function scheduleTimes(schedule: TimeSchedule, steps: number): Float64Array {
  const fn = 'scheduleTimes';
  if (typeof schedule !== 'object' || schedule === null || typeof schedule.time !== 'function') {
    invalidArgument(
      fn,
      'schedule',
      schedule,
      'a TimeSchedule (from linearSchedule or geometricSchedule)',
    );
  }
  assertInteger(fn, 'steps', steps, 1);
  const out = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) out[k] = k === steps ? 0 : schedule.time((steps - k) / steps);
  for (let k = 0; k < steps; k++) {
    const t = out[k]!;
    if (!Number.isFinite(t) || !(t > out[k + 1]!)) {
      invalidArgument(
        fn,
        'schedule',
        `t = ${t} at step ${k}`,
        'a schedule with finite, strictly increasing times and t(0) = 0',
      );
    }
  }
  return out;
}
