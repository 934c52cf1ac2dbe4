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

/**
 * A fixed amount of floating-point work on a worker thread, as a module in a data: URL; it posts
 * the milliseconds of the work itself (not the thread's start). The work is a function called
 * 100 times: a single long loop of integer additions (the earlier spin) was entered by
 * on-stack replacement, and that code sometimes ran 9x slower for the whole loop (V8 in Node
 * 20, seen with one and with two threads), which read as a machine with a fifth of a core.
 */
const SPIN = new URL(
  `data:text/javascript,${encodeURIComponent(
    "import { parentPort } from 'node:worker_threads'; function chunk(s) { for (let i = 0; i < 1e6; i++) s = s * 0.999999 + 1; return s; } const start = performance.now(); let s = 0; for (let k = 0; k < 100; k++) s = chunk(s); parentPort.postMessage([performance.now() - start, s]);",
  )}`,
);

/**
 * Seconds that the slowest of `threads` threads took for the fixed work of the worker module at
 * `url` (which posts [milliseconds, checksum]), all started at once.
 */
async function slowestSeconds(url: URL, threads: number, workerData?: unknown): Promise<number> {
  const times = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(url, { workerData });
          worker.once('message', (message: [number, number]) => {
            void worker.terminate();
            resolve(message[0] / 1000);
          });
          worker.once('error', reject);
        }),
    ),
  );
  return Math.max(...times);
}

/**
 * How much work `threads` threads get done per second now, relative to one thread (the same
 * fixed work on each): about `threads` on idle cores, about 1 when other processes leave this
 * one no more than one core's worth of time. About 2 s on idle cores.
 */
export async function parallelCapacity(threads = 2): Promise<number> {
  // alternately, three times each, so that a change of load meanwhile hits both
  let one = 0;
  let many = 0;
  for (let k = 0; k < 3; k++) {
    one += await slowestSeconds(SPIN, 1);
    many += await slowestSeconds(SPIN, threads);
  }
  return (threads * one) / many;
}

/** The kernel work's module (a file: a data: URL cannot import the package). */
const KERNEL_WORKER = new URL('./kernel-capacity-worker.mjs', import.meta.url);

/**
 * As {@link parallelCapacity}, for the float64 kernels the pool runs instead of a dependent chain
 * of scalar operations: exact draws from a Born MPS of 64 sites at bond 16 (each thread its own
 * copy). Two vCPUs can give the spin nearly 2 while giving the kernels much less (shared caches,
 * memory bandwidth, or vCPUs that share a physical core), and a pool's ratio cannot exceed what
 * its kind of work gets. About 2-3 s on idle cores.
 */
export async function kernelCapacity(threads = 2): Promise<number> {
  let one = 0;
  let many = 0;
  for (let k = 0; k < 3; k++) {
    one += await slowestSeconds(KERNEL_WORKER, 1, { reps: 300 });
    many += await slowestSeconds(KERNEL_WORKER, threads, { reps: 300 });
  }
  return (threads * one) / many;
}
