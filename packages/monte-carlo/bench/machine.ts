/**
 * What a benchmark ran on: the machine line the benches print, the 1-minute load average, and
 * the warning for a busy machine (the wording of `latticediff bench`: a load average above the
 * number of cores means other processes compete for them, so figures come out low and spread).
 */
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * CPU seconds used so far by this process's main thread and by all its other threads (workers,
 * and V8's helper threads), from /proc/self/task (Linux; undefined elsewhere). Unlike wall
 * time, it does not grow when other processes take the cores.
 */
export function threadCpuSeconds(): { main: number; other: number } | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  let main = 0;
  let other = 0;
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // fields after the command name: utime and stime are the 12th and 13th, in clock ticks
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    if (Number(tid) === process.pid) main += seconds;
    else other += seconds;
  }
  return { main, other };
}

/** USER_HZ, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;
