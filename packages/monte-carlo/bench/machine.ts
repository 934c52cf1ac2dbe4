/**
 * What a benchmark ran on: the machine line the benches print, the 1-minute load average, and
 * the warning for a busy machine (the wording of `latticediff bench`: a load average above the
 * number of cores means other processes compete for them, so figures come out low and spread).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os';
import { Worker } from 'node:worker_threads';
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

/** A fixed amount of integer work on a worker thread, as a module in a data: URL. */
const SPIN = new URL(
  `data:text/javascript,${encodeURIComponent(
    "import { parentPort } from 'node:worker_threads'; let s = 0; for (let i = 0; i < 6e7; i++) s = (s + i * 7) | 0; parentPort.postMessage(s);",
  )}`,
);

async function spinSeconds(threads: number): Promise<number> {
  const start = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(SPIN);
          worker.once('message', () => {
            void worker.terminate();
            resolve();
          });
          worker.once('error', reject);
        }),
    ),
  );
  return (performance.now() - start) / 1000;
}

/**
 * How much work `threads` threads get done per second now, relative to one thread (the same
 * fixed work on each): about `threads` on idle cores, about 1 when other processes leave this
 * one no more than one core's worth of time. About half a second on idle cores.
 */
export async function parallelCapacity(threads = 2): Promise<number> {
  // alternately, three times each, so that a change of load meanwhile hits both
  let one = 0;
  let many = 0;
  for (let k = 0; k < 3; k++) {
    one += await spinSeconds(1);
    many += await spinSeconds(threads);
  }
  return (threads * one) / many;
}
