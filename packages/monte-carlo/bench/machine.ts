/**
 * What a benchmark ran on: the machine line the benches print, the 1-minute load average, and
 * the warning for a busy machine (the wording of `latticediff bench`: a load average above the
 * number of cores means other processes compete for them, so figures come out low and spread).
 */
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import { kernelEngine } from '@latticediff/tensor-network';

/** CPU, cores, OS, Node and kernel engine. */
export function machineLine(): string {
  return `machine: ${cpus()[0]?.model}, ${availableParallelism()} cores, ${platform()} ${release()}, node ${process.version}, kernels ${kernelEngine()}`;
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

/** The warning for a machine whose load average is above its number of cores, or undefined. */
export function busyMachineWarning(
  load1 = loadAverage(),
  cores = availableParallelism(),
): string | undefined {
  if (!(load1 > cores)) return undefined;
  return `the machine is busy (load average ${load1.toFixed(2)} over the last minute on ${cores} core${cores === 1 ? '' : 's'}): other processes compete for the cores, so the figures below come out low and spread; rerun when the load average is below ${cores}`;
}
