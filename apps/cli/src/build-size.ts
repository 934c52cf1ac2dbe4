/**
 * The size limit of `train`'s first MPS, checked before any work: an estimate of the memory the
 * build holds, against the memory this process may use: os.totalmem(), or the container's (cgroup)
 * limit where Node reports a smaller one (process.constrainedMemory()).
 *
 * What is built (physicsBornMPS of @latticediff/lattice, bornMPSFromFactors of
 * @latticediff/tensor-network; a random Born MPS for the learning recipes):
 * - the constraint MPS, exact and uncompressed: bond k carries one index per automaton state live
 *   there (reachable from the start, able to reach acceptance), so site k holds C_k d C_{k+1}
 *   float64 entries (Fredkin's height automaton: C_k about min(k, N - k) / 2, N^3 / 24 entries in
 *   all); without constraints it is a product state;
 * - the compressed MPS, which replaces it site by site: bond k at most
 *   D_k = min(maxBondDim, d^k, d^(N - k)), D_k d D_{k+1} entries at site k;
 * - while a group of pair factors is applied, a window of w sites (the longest pair range + 1:
 *   L_y + 1 for a square lattice in column order) with d-fold bonds, in two copies.
 * Estimate: 8 bytes x max(constraint MPS, compressed MPS) + the window. C_k is bounded from above
 * by the states reachable from the start (k <= N / 2) or from acceptance (k > N / 2), counted with
 * an early stop once the estimate passes the limit. A model whose factors are found by probing
 * has no constraints; its window is not counted (its pairs are known only after probing).
 */
import { totalmem } from 'node:os';
import type { LatticeModelInstance, LocalFactors } from '@latticediff/lattice';

type Automaton = NonNullable<LocalFactors['constraints']>[number];

/** What the estimate found to be the largest part. */
export interface BuildEstimate {
  readonly bytes: number;
  /** Which part of the build dominates. */
  readonly part: 'constraints' | 'mps';
}

/** Entries of the compressed MPS: sum over sites of D_k d D_{k+1}. */
function mpsEntries(n: number, d: number, maxBondDim: number): number {
  const bond = (k: number) => {
    let dim = 1;
    for (let e = 0; e < Math.min(k, n - k) && dim < maxBondDim; e++) dim *= d;
    return Math.min(dim, maxBondDim);
  };
  let total = 0;
  let left = 1;
  for (let k = 0; k < n; k++) {
    const right = bond(k + 1);
    total += left * d * right;
    left = right;
  }
  return total;
}

function table(a: Automaton, site: number): Int32Array {
  const t = a.transitions;
  return (Array.isArray(t) ? t[site] : t) as Int32Array;
}

/**
 * Upper bounds of the live states at positions 0..n of one automaton (forward counts up to
 * n / 2, backward counts beyond), or undefined once sum C_k d C_{k+1} passes `limit` entries.
 */
function liveBounds(a: Automaton, n: number, d: number, limit: number): Float64Array | undefined {
  const counts = new Float64Array(n + 1);
  const half = Math.floor(n / 2);
  let entries = 0;
  // forward: states reachable from the start after k sites
  let live = new Uint8Array(a.states);
  live[a.initial] = 1;
  counts[0] = 1;
  for (let k = 0; k < half; k++) {
    const next = new Uint8Array(a.states);
    const t = table(a, k);
    let count = 0;
    for (let s = 0; s < a.states; s++) {
      if (live[s] !== 1) continue;
      for (let x = 0; x < d; x++) {
        const to = t[s * d + x]!;
        if (to >= 0 && next[to] === 0) {
          next[to] = 1;
          count++;
        }
      }
    }
    live = next;
    counts[k + 1] = count;
    entries += counts[k]! * d * count;
    if (entries > limit) return undefined;
  }
  // backward: states from which acceptance can be reached with n - k sites left
  live = Uint8Array.from(a.accepting, (v) => (v === 1 ? 1 : 0));
  counts[n] = 1; // the last bond collapses to one index
  for (let k = n - 1; k > half; k--) {
    const before = new Uint8Array(a.states);
    const t = table(a, k);
    let count = 0;
    for (let s = 0; s < a.states; s++) {
      for (let x = 0; x < d; x++) {
        const to = t[s * d + x]!;
        if (to >= 0 && live[to] === 1) {
          before[s] = 1;
          count++;
          break;
        }
      }
    }
    live = before;
    counts[k] = count;
    entries += count * d * counts[k + 1]!;
    if (entries > limit) return undefined;
  }
  return counts;
}

/**
 * Estimated bytes the build of the first MPS holds, or (with `limit`) any estimate above `limit`
 * as soon as it is known to be.
 */
export function estimateBuildBytes(
  instance: LatticeModelInstance,
  options: { maxBondDim: number; physics: boolean; limit?: number },
): BuildEstimate {
  const { sites: n, localDimension: d } = instance;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const mps = 8 * mpsEntries(n, d, options.maxBondDim);
  if (!options.physics || mps > limit || typeof instance.localFactors !== 'function') {
    return { bytes: mps, part: 'mps' };
  }
  const factors = instance.localFactors();
  let chain = 8 * n * d; // a product state
  const automata = factors.constraints ?? [];
  if (automata.length > 0) {
    // the product automaton has at most the product of the automata's live states
    const bound = new Float64Array(n + 1).fill(1);
    for (const a of automata) {
      const counts = liveBounds(a, n, d, limit / 8);
      if (counts === undefined) return { bytes: Number.POSITIVE_INFINITY, part: 'constraints' };
      for (let k = 0; k <= n; k++) bound[k]! *= counts[k]!;
    }
    chain = 0;
    for (let k = 0; k < n; k++) chain += 8 * bound[k]! * d * bound[k + 1]!;
  }
  let window = 0;
  const pairs = factors.pairs?.sites;
  if (pairs !== undefined && pairs.length > 0) {
    let range = 0;
    for (let p = 0; p < pairs.length; p += 2) {
      range = Math.max(range, Math.abs(pairs[p]! - pairs[p + 1]!));
    }
    let dmax = 1;
    for (let k = 0; k < Math.min(n / 2, 64) && dmax < options.maxBondDim; k++) dmax *= d;
    dmax = Math.min(dmax, options.maxBondDim);
    window = 2 * 8 * (range + 1) * (dmax * d) ** 2 * d;
  }
  return chain > mps
    ? { bytes: chain + window, part: 'constraints' }
    : { bytes: mps + window, part: 'mps' };
}

/**
 * Float64 entries a checkpoint can hold: base64 takes 32 / 3 characters per entry, a string at
 * most 2^29 - 24; 2^24 characters are left for the metadata and the rest of the file.
 */
const MAX_SAVED_ENTRIES = Math.floor(((2 ** 29 - 2 ** 24) * 3) / 32);

/**
 * The memory this process may use: the machine's, or a smaller container (cgroup) limit that
 * Node reports (process.constrainedMemory(): undefined, 0 or 2^64 when there is none).
 */
export function availableMemory(
  machine: number = totalmem(),
  constrained: number | undefined = process.constrainedMemory?.(),
): { bytes: number; container: boolean } {
  return constrained !== undefined && constrained > 0 && constrained < machine
    ? { bytes: constrained, container: true }
    : { bytes: machine, container: false };
}

function gigabytes(bytes: number): string {
  const g = bytes / 2 ** 30;
  return `${g < 10 ? g.toFixed(2) : g < 1e6 ? Math.round(g) : g.toExponential(1)} GiB`;
}

/**
 * Why the first MPS cannot be built here (its estimated memory is above the machine's), or
 * undefined: `sizeFlags` are the size flags with their values ([['--lx', 316], ['--ly', 316]]).
 */
export function buildSizeRefusal(
  instance: LatticeModelInstance,
  options: {
    maxBondDim: number;
    physics: boolean;
    sizeFlags: readonly (readonly [string, unknown])[];
    memory?: number;
  },
): string | undefined {
  const given = options.sizeFlags.map(([flag, value]) => `${flag} ${value}`).join(' ');
  const names = options.sizeFlags.map(([flag]) => flag).join('/');
  const available = options.memory === undefined ? availableMemory() : undefined;
  const memory = options.memory ?? available!.bytes;
  const here = available?.container ? "this process's container allows" : 'this machine has';
  const estimate = estimateBuildBytes(instance, { ...options, limit: memory });
  if (estimate.bytes <= memory) {
    // the checkpoint is one text (base64, 4 characters per 3 bytes) and JavaScript strings hold at
    // most 2^29 - 24 characters: a larger MPS trained for minutes could not be saved
    const entries = mpsEntries(instance.sites, instance.localDimension, options.maxBondDim);
    if (entries > MAX_SAVED_ENTRIES) {
      return `${instance.modelId} with ${given} at --max-bond-dim ${options.maxBondDim} is too large for train: its MPS (about ${Math.round(entries / 1e6)} million float64 entries) could not be saved (a checkpoint is one text of at most 2^29 characters, about ${Math.round(MAX_SAVED_ENTRIES / 1e6)} million entries); choose a smaller ${names} or --max-bond-dim`;
    }
    return undefined;
  }
  const what =
    estimate.part === 'constraints'
      ? `the exact constraint MPS of its ${instance.sites} sites, before compression`
      : `${instance.sites} sites at --max-bond-dim ${options.maxBondDim}`;
  const smaller = estimate.part === 'constraints' ? names : `${names} or --max-bond-dim`;
  const needs = Number.isFinite(estimate.bytes)
    ? `needs about ${gigabytes(estimate.bytes)} of memory, more than ${here} (${gigabytes(memory)})`
    : `needs more memory than ${here} (${gigabytes(memory)})`;
  return `${instance.modelId} with ${given} is too large for train: its first MPS (${what}) ${needs}; choose a smaller ${smaller}`;
}
