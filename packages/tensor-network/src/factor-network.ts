/**
 * Born MPS built directly from local factors, with compression as the factors are applied.
 *
 * The amplitude is a product of local factors over N sites with one local dimension d:
 *
 *   psi(x) = prod_i exp(s_i(x_i)) * prod_p exp(w_p(x_{i_p}, x_{j_p})) * prod_c [x accepted by c]
 *
 * with site log-weights s_i, pair log-weights w_p (any range |j_p - i_p| >= 1, -Infinity for a
 * forbidden pair) and 0/1 constraints given as finite automata read along the site order. For a
 * Boltzmann target pi ∝ exp(-beta E) with E = sum of site and pair energies on the allowed set,
 * log-weights -beta E / 2 give psi = sqrt(pi) up to normalisation: the exact Born MPS of pi.
 *
 * Construction (zip-up in site order):
 * 1. The constraints are an exact 0/1 MPS whose bond index is the automaton state, keeping only
 *    states reachable from the start and from which an accepting state can still be reached
 *    (the product automaton when there are several). The site log-weights multiply its tensors.
 * 2. The pair factors are grouped by their later site j and applied group by group, j ascending:
 *    the group is a diagonal MPO on the window [a, j] (a = its earliest partner) of bond
 *    dimension d that carries x_j to the left, so the window's bonds grow d-fold. The window is
 *    then orthonormalised from one end without truncation and swept back with an SVD at every
 *    bond, keeping at most `maxBondDim` values and dropping the smallest while their relative
 *    squared weight stays <= `cutoff` (ITensor's cutoff, as in `compress`). Everything outside
 *    the window is orthonormal (left of it left-, right of it right-orthonormal), so each SVD is
 *    the Schmidt decomposition of the current state at that bond: the optimal truncation there.
 *    The sweep direction alternates, so each group costs one orthonormalising and one truncating
 *    pass over its window.
 * Cost per group: O(window * (d chi)^3 d); for a 2D model in column order the window is L_y + 1.
 * Without truncation (`maxBondDim` Infinity, `cutoff` 0) the result equals the product of the
 * factors to rounding.
 */
import { canonicalize, checkCompressOptions, frobenius, rankToKeep } from './canonical';
import { assertInteger, assertKnownOptions, invalidArgument, optionKeys } from './errors';
import { lq, matmul, product, qr, svd, symmetricEigen, transpose } from './linalg';
import { MAX_MPS_SITES, MPS } from './mps';

/** A 0/1 constraint: a deterministic finite automaton read along the site order. */
export interface ConstraintAutomaton {
  /** Number of states S (states are 0..S-1). */
  readonly states: number;
  /** The state before site 0. */
  readonly initial: number;
  /**
   * Transitions: entry `s * d + x` is the state after reading digit x in state s, or -1 when
   * digit x is forbidden in state s. One table for every site, or one table per site (N tables).
   */
  readonly transitions: Int32Array | readonly Int32Array[];
  /** The states in which a complete configuration is accepted (S entries, 1 = accepting). */
  readonly accepting: Uint8Array;
}

/** Pair factors: P pairs of distinct sites and their d x d log-weights. */
export interface PairLogWeights {
  /** 2 P site indices: pair p joins `sites[2p]` and `sites[2p + 1]` (distinct). */
  readonly sites: Int32Array;
  /** P d^2 entries: pair p, digits (a, b) of (`sites[2p]`, `sites[2p + 1]`) at `p d^2 + a d + b`. */
  readonly logWeights: Float64Array;
}

/** The local factors of an amplitude psi(x) (see the module comment). */
export interface FactorNetwork {
  /** Number of sites N >= 1. */
  readonly length: number;
  /** Local dimension d >= 2 of every site. */
  readonly physicalDim: number;
  /** N d site log-weights: site i, digit x at `i d + x` (-Infinity forbids the digit). */
  readonly siteLogWeights?: Float64Array;
  /** Pair log-weights (-Infinity forbids the pair of digits). */
  readonly pairs?: PairLogWeights;
  /** 0/1 constraints; psi is 0 where any automaton rejects x. */
  readonly constraints?: readonly ConstraintAutomaton[];
}

/** Options of {@link bornMPSFromFactors}. */
export interface BornMPSFromFactorsOptions {
  /** Largest bond dimension kept at every bond: a positive integer or Infinity (default). */
  maxBondDim?: number;
  /**
   * Called after each group of pair factors (all pairs sharing their later site) with the number
   * of groups applied and their total: builds of large lattices take minutes.
   */
  onProgress?: (done: number, total: number) => void;
  /**
   * Relative discarded weight per truncation, as in `compress` (default 0: only directions that
   * are zero to rounding are dropped, i.e. relative Schmidt weight below about 4 chi d eps, since
   * the truncations diagonalise Gram matrices).
   */
  cutoff?: number;
}

/** Result of {@link bornMPSFromFactors}. */
export interface BornMPSFromFactorsResult {
  /** The Born MPS, right-canonical (orthogonality center at site 0) with unit 2-norm. */
  mps: MPS;
  /**
   * Natural log of the 2-norm of the built amplitudes: ln ||psi|| before normalisation. Without
   * truncation 2 logNorm = ln sum_x psi(x)^2 (for psi = exp(-beta E / 2): ln Z).
   */
  logNorm: number;
  /**
   * Per bond (N - 1 entries): 1 - prod (1 - e) over the truncations made at that bond, each e
   * being the relative squared weight discarded from the state at that moment.
   */
  truncationError: Float64Array;
  /** 1 - prod (1 - e) over all truncations (0 when none discarded anything). */
  totalTruncationError: number;
  /** Bond dimensions of the result (N - 1 entries). */
  bondDims: number[];
}

/** Bond dimensions above this are refused instead of exhausting memory. */
const MAX_CONSTRAINT_BOND = 1 << 16;

/** Working chain: tensors [left, d, right] and bond dims (dims[i] = left dim of site i). */
interface Chain {
  tensors: Float64Array[];
  dims: number[];
  d: number;
}

/**
 * Builds the Born MPS of psi(x) = exp(sum of site and pair log-weights) * constraints, applying
 * the pair factors in site order with SVD truncation to `{ maxBondDim, cutoff }` (see the module
 * comment). Refuses factors whose product is zero for every configuration.
 */
export function bornMPSFromFactors(
  network: FactorNetwork,
  options: BornMPSFromFactorsOptions = {},
): BornMPSFromFactorsResult {
  const fn = 'bornMPSFromFactors';
  const { n, d, pairs } = checkNetwork(fn, network);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(
    fn,
    options,
    optionKeys<BornMPSFromFactorsOptions>()(['maxBondDim', 'cutoff', 'onProgress']),
  );
  const { maxBondDim, cutoff } = checkCompressOptions(fn, {
    maxBondDim: options.maxBondDim,
    cutoff: options.cutoff,
  });
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    invalidArgument(fn, 'onProgress', onProgress, 'a function (done, total)');
  }

  const chain = constraintChain(fn, n, d, network.constraints ?? []);
  let logNorm = applySiteWeights(fn, chain, network.siteLogWeights);
  const errors = new Float64Array(Math.max(0, n - 1));
  const keepLog = new Float64Array(Math.max(0, n - 1)); // sum of log(1 - e) per bond
  const rankBound = new Float64Array(Math.max(0, n - 1));
  for (let b = 0; b < n - 1; b++) rankBound[b] = Math.min(d ** (b + 1), d ** (n - b - 1));
  const truncation = { maxBondDim, cutoff, keepLog, rankBound };

  const groups = [...groupPairs(pairs, n, d)];
  if (maxBondDim === Number.POSITIVE_INFINITY && cutoff === 0) {
    const exact = exactProduct(fn, chain, groups, onProgress);
    if (exact !== null) {
      // the final state's redundant directions (zero to rounding) dropped by one sweep
      logNorm += exact.logNorm + finalSweep(fn, exact.chain, truncation);
      const mps = MPS.unsafeCreate('born', new Array<number>(n).fill(d), exact.chain.tensors);
      return {
        mps,
        logNorm,
        truncationError: errors,
        totalTruncationError: 0,
        bondDims: [...mps.bondDims],
      };
    }
  }
  // right-canonical start: center 0
  logNorm += gaugeToCenter(fn, chain, n - 1, 0);
  let center = 0;
  let done = 0;
  for (const group of groups) {
    const { a, j } = group;
    logNorm += group.logScale;
    if (center - a <= j - center) {
      logNorm += moveCenter(fn, chain, center, a);
      applyFanIn(chain, group);
      logNorm += truncateLeftToRight(fn, chain, a, j, truncation);
      center = j;
    } else {
      logNorm += moveCenter(fn, chain, center, j);
      applyFanIn(chain, group);
      logNorm += truncateRightToLeft(fn, chain, j, a, truncation);
      center = a;
    }
    onProgress?.(++done, groups.length);
  }
  logNorm += moveCenter(fn, chain, center, 0);
  // one last truncating sweep: for bonds that no pair window truncated (the constraint MPS)
  if (chain.dims.some((dim) => dim > maxBondDim) || cutoff > 0) {
    logNorm += finalSweep(fn, chain, truncation);
  }
  let logKept = 0;
  for (let b = 0; b < keepLog.length; b++) {
    errors[b] = -Math.expm1(keepLog[b]!);
    logKept += keepLog[b]!;
  }
  const mps = MPS.unsafeCreate('born', new Array<number>(n).fill(d), chain.tensors);
  return {
    mps,
    logNorm,
    truncationError: errors,
    totalTruncationError: Math.max(0, -Math.expm1(logKept)),
    bondDims: [...mps.bondDims],
  };
}

/**
 * Without truncation, the bonds of the plain product of the factors (no gauge, no SVD during the
 * build) may grow to this before the build falls back to the sweeps with SVDs.
 */
const EXACT_PRODUCT_BOND = 1024;

/**
 * The product of all factors built without any gauge step, then brought to right-canonical form
 * once: exact to rounding also where the sweeps are not. A sweep orthonormalises each partial
 * product, and a frustrated factor network can suppress a configuration's partial amplitude
 * below float64's resolution against the largest (by e^-36 and more) before later factors make
 * it a ground state: the sweeps then lost it (a triangle of antiferromagnetic pairs of log-weight
 * 20 lost two of its six ground states, with no truncation reported). Null when a bond would
 * exceed {@link EXACT_PRODUCT_BOND} (the caller then sweeps).
 */
function exactProduct(
  fn: string,
  chain: Chain,
  groups: readonly PairGroup[],
  onProgress: ((done: number, total: number) => void) | undefined,
): { chain: Chain; logNorm: number } | null {
  const grown = [...chain.dims];
  for (const { a, j } of groups) {
    for (let s = a + 1; s <= j; s++) {
      grown[s]! *= chain.d;
      if (grown[s]! > EXACT_PRODUCT_BOND) return null;
    }
  }
  let logNorm = 0;
  let done = 0;
  for (const group of groups) {
    logNorm += group.logScale;
    applyFanIn(chain, group);
    // (a scalar per site keeps the entries in range and every amplitude to relative rounding)
    for (let s = group.a; s <= group.j; s++) logNorm += normalizeInPlace(fn, chain.tensors[s]!);
    onProgress?.(++done, groups.length);
  }
  const product = MPS.unsafeCreate(
    'born',
    new Array<number>(chain.tensors.length).fill(chain.d),
    chain.tensors,
  );
  const canonical = canonicalize(product, { center: 0 });
  const tensors = canonical.mps.tensors.map((t) => t.slice());
  const dims = [1, ...canonical.mps.bondDims, 1];
  return { chain: { tensors, dims, d: chain.d }, logNorm: logNorm + canonical.logNorm };
}

interface PairGroup {
  /** Earliest partner site. */
  a: number;
  /** The later site of every pair in the group. */
  j: number;
  /** Per window site s in [a, j): d x d weights w(x_s, x_j) (null when s has no pair with j). */
  weights: (Float64Array | null)[];
  /** Log of the factor taken out of the weights (each pair's largest weight is 1). */
  logScale: number;
}

function checkNetwork(
  fn: string,
  network: FactorNetwork,
): { n: number; d: number; pairs: PairLogWeights | undefined } {
  if (typeof network !== 'object' || network === null) {
    invalidArgument(fn, 'network', network, 'a factor network object');
  }
  assertKnownOptions(
    fn,
    network,
    ['length', 'physicalDim', 'siteLogWeights', 'pairs', 'constraints'],
    'network',
  );
  const n = network.length;
  assertInteger(fn, 'network.length', n, 1, MAX_MPS_SITES);
  const d = network.physicalDim;
  assertInteger(fn, 'network.physicalDim', d, 2);
  const site = network.siteLogWeights;
  if (site !== undefined) {
    if (!(site instanceof Float64Array) || site.length !== n * d) {
      invalidArgument(
        fn,
        'network.siteLogWeights',
        site,
        `a Float64Array of N d = ${n * d} entries`,
      );
    }
    for (let k = 0; k < site.length; k++) {
      const v = site[k]!;
      if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
        invalidArgument(
          fn,
          'network.siteLogWeights',
          v,
          `finite or -Infinity entries (entry ${k})`,
        );
      }
    }
  }
  const pairs = network.pairs;
  if (pairs !== undefined) {
    if (typeof pairs !== 'object' || pairs === null || !(pairs.sites instanceof Int32Array)) {
      invalidArgument(
        fn,
        'network.pairs',
        pairs,
        '{ sites: Int32Array, logWeights: Float64Array }',
      );
    }
    const count = pairs.sites.length / 2;
    if (!Number.isInteger(count)) {
      invalidArgument(fn, 'network.pairs.sites', pairs.sites.length, 'an even number of entries');
    }
    if (!(pairs.logWeights instanceof Float64Array) || pairs.logWeights.length !== count * d * d) {
      invalidArgument(
        fn,
        'network.pairs.logWeights',
        pairs.logWeights,
        `a Float64Array of P d^2 = ${count * d * d} entries`,
      );
    }
    for (let p = 0; p < count; p++) {
      const i = pairs.sites[2 * p]!;
      const j = pairs.sites[2 * p + 1]!;
      if (!(i >= 0 && i < n && j >= 0 && j < n && i !== j)) {
        invalidArgument(
          fn,
          `network.pairs.sites[${2 * p}..${2 * p + 1}]`,
          `[${i}, ${j}]`,
          `two distinct sites in 0..${n - 1}`,
        );
      }
    }
    for (let k = 0; k < pairs.logWeights.length; k++) {
      const v = pairs.logWeights[k]!;
      if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
        invalidArgument(
          fn,
          'network.pairs.logWeights',
          v,
          `finite or -Infinity entries (entry ${k})`,
        );
      }
    }
  }
  const constraints = network.constraints;
  if (constraints !== undefined && !Array.isArray(constraints)) {
    invalidArgument(fn, 'network.constraints', constraints, 'an array of automata');
  }
  for (const [index, c] of (constraints ?? []).entries()) {
    checkAutomaton(fn, `network.constraints[${index}]`, c, n, d);
  }
  return { n, d, pairs };
}

function checkAutomaton(
  fn: string,
  name: string,
  c: ConstraintAutomaton,
  n: number,
  d: number,
): void {
  if (typeof c !== 'object' || c === null) invalidArgument(fn, name, c, 'an automaton object');
  assertKnownOptions(
    fn,
    c,
    optionKeys<ConstraintAutomaton>()(['states', 'initial', 'transitions', 'accepting']),
    name,
  );
  assertInteger(fn, `${name}.states`, c.states, 1, MAX_CONSTRAINT_BOND);
  assertInteger(fn, `${name}.initial`, c.initial, 0, c.states - 1);
  if (!(c.accepting instanceof Uint8Array) || c.accepting.length !== c.states) {
    invalidArgument(fn, `${name}.accepting`, c.accepting, `a Uint8Array of ${c.states} entries`);
  }
  const tables = c.transitions instanceof Int32Array ? [c.transitions] : c.transitions;
  if (!Array.isArray(tables) || (tables.length !== 1 && tables.length !== n)) {
    invalidArgument(fn, `${name}.transitions`, c.transitions, `one Int32Array or ${n} of them`);
  }
  tables.forEach((t, k) => {
    if (!(t instanceof Int32Array) || t.length !== c.states * d) {
      invalidArgument(
        fn,
        `${name}.transitions[${k}]`,
        t,
        `an Int32Array of S d = ${c.states * d} entries`,
      );
    }
    for (let e = 0; e < t.length; e++) {
      const v = t[e]!;
      if (!(Number.isInteger(v) && v >= -1 && v < c.states)) {
        invalidArgument(
          fn,
          `${name}.transitions[${k}]`,
          v,
          `states in 0..${c.states - 1} or -1 (entry ${e})`,
        );
      }
    }
  });
}

/**
 * The exact 0/1 MPS of the constraints (a product state of ones without constraints): bond i
 * holds the product-automaton states reachable after sites 0..i from which acceptance is still
 * possible.
 */
function constraintChain(
  fn: string,
  n: number,
  d: number,
  constraints: readonly ConstraintAutomaton[],
): Chain {
  if (constraints.length === 0) {
    const tensors: Float64Array[] = [];
    for (let i = 0; i < n; i++) tensors.push(new Float64Array(d).fill(1));
    return { tensors, dims: new Array<number>(n + 1).fill(1), d };
  }
  const tables = constraints.map((c) =>
    c.transitions instanceof Int32Array ? [c.transitions] : [...c.transitions],
  );
  // product states as arrays of component states, keyed by string
  const step = (i: number, state: readonly number[], x: number): number[] | null => {
    const next: number[] = [];
    for (let c = 0; c < constraints.length; c++) {
      const t = tables[c]!;
      const table = t.length === 1 ? t[0]! : t[i]!;
      const s = table[state[c]! * d + x]!;
      if (s < 0) return null;
      next.push(s);
    }
    return next;
  };
  const key = (state: readonly number[]) => state.join(',');
  // forward reachability: layers[i] = states before site i
  const layers: Map<string, number[]>[] = [
    new Map([[key(constraints.map((c) => c.initial)), constraints.map((c) => c.initial)]]),
  ];
  for (let i = 0; i < n; i++) {
    const next = new Map<string, number[]>();
    for (const state of layers[i]!.values()) {
      for (let x = 0; x < d; x++) {
        const s = step(i, state, x);
        if (s !== null) next.set(key(s), s);
      }
    }
    if (next.size > MAX_CONSTRAINT_BOND) {
      invalidArgument(
        fn,
        'network.constraints',
        `${next.size} reachable states after site ${i}`,
        `at most ${MAX_CONSTRAINT_BOND}`,
      );
    }
    layers.push(next);
  }
  // backward: keep states from which acceptance is possible
  const alive: Set<string>[] = new Array(n + 1);
  alive[n] = new Set(
    [...layers[n]!.entries()]
      .filter(([, s]) => s.every((v, c) => constraints[c]!.accepting[v] === 1))
      .map(([k]) => k),
  );
  for (let i = n - 1; i >= 0; i--) {
    const set = new Set<string>();
    for (const [k, state] of layers[i]!) {
      for (let x = 0; x < d; x++) {
        const s = step(i, state, x);
        if (s !== null && alive[i + 1]!.has(key(s))) {
          set.add(k);
          break;
        }
      }
    }
    alive[i] = set;
  }
  if (alive[0]!.size === 0) {
    invalidArgument(
      fn,
      'network.constraints',
      'no accepted configuration',
      'constraints that accept at least one configuration',
    );
  }
  // index the live states of each bond; bond n collapses to one (acceptance)
  const index: Map<string, number>[] = [];
  for (let i = 0; i <= n; i++) {
    const m = new Map<string, number>();
    if (i === n) {
      for (const k of alive[n]!) m.set(k, 0);
    } else {
      for (const k of alive[i]!) m.set(k, m.size);
    }
    index.push(m);
  }
  const dims = index.map((m, i) => (i === n ? 1 : m.size));
  const tensors: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const l = dims[i]!;
    const r = dims[i + 1]!;
    const t = new Float64Array(l * d * r);
    for (const [k, li] of index[i]!) {
      const state = layers[i]!.get(k)!;
      for (let x = 0; x < d; x++) {
        const s = step(i, state, x);
        if (s === null) continue;
        const ri = index[i + 1]!.get(key(s));
        if (ri !== undefined) t[(li * d + x) * r + ri] = 1;
      }
    }
    tensors.push(t);
  }
  return { tensors, dims, d };
}

/** Multiplies the site weights into the chain, each site scaled to max 1; returns the log scale. */
function applySiteWeights(fn: string, chain: Chain, site: Float64Array | undefined): number {
  if (site === undefined) return 0;
  const { tensors, dims, d } = chain;
  let logScale = 0;
  const w = new Float64Array(d);
  for (let i = 0; i < tensors.length; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let x = 0; x < d; x++) max = Math.max(max, site[i * d + x]!);
    if (max === Number.NEGATIVE_INFINITY) {
      invalidArgument(
        fn,
        'network.siteLogWeights',
        `-Infinity for every digit of site ${i}`,
        'at least one allowed digit per site',
      );
    }
    for (let x = 0; x < d; x++) w[x] = Math.exp(site[i * d + x]! - max);
    logScale += max;
    const t = tensors[i]!;
    const l = dims[i]!;
    const r = dims[i + 1]!;
    for (let a = 0; a < l; a++)
      for (let x = 0; x < d; x++) {
        const o = (a * d + x) * r;
        for (let b = 0; b < r; b++) t[o + b]! *= w[x]!;
      }
  }
  return logScale;
}

/** Pairs grouped by their later site, in ascending order; weights exponentiated (max 1). */
function* groupPairs(
  pairs: PairLogWeights | undefined,
  n: number,
  d: number,
): Generator<PairGroup> {
  if (pairs === undefined) return;
  const count = pairs.sites.length / 2;
  const byLater: number[][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < count; p++) {
    byLater[Math.max(pairs.sites[2 * p]!, pairs.sites[2 * p + 1]!)]!.push(p);
  }
  const dd = d * d;
  for (let j = 0; j < n; j++) {
    const list = byLater[j]!;
    if (list.length === 0) continue;
    let a = j;
    for (const p of list) a = Math.min(a, pairs.sites[2 * p]!, pairs.sites[2 * p + 1]!);
    const logs: (Float64Array | null)[] = new Array(j - a).fill(null);
    for (const p of list) {
      const first = pairs.sites[2 * p]!;
      const second = pairs.sites[2 * p + 1]!;
      const s = Math.min(first, second);
      const acc = logs[s - a] ?? new Float64Array(dd);
      for (let x = 0; x < d; x++)
        for (let y = 0; y < d; y++) {
          // (x_s, x_j) = (x, y)
          const v =
            first === s
              ? pairs.logWeights[p * dd + x * d + y]!
              : pairs.logWeights[p * dd + y * d + x]!;
          acc[x * d + y]! += v;
        }
      logs[s - a] = acc;
    }
    let logScale = 0;
    const weights = logs.map((l) => {
      if (l === null) return null;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of l) max = Math.max(max, v);
      if (max === Number.NEGATIVE_INFINITY) max = 0; // an all-forbidden pair: psi = 0 (caught later)
      logScale += max;
      return l.map((v) => Math.exp(v - max));
    });
    yield { a, j, weights, logScale };
  }
}

/**
 * Applies one group's diagonal MPO to the window [a, j]: its bond (dimension d) carries x_j from
 * site j leftwards to a, and each partner site s multiplies by w(x_s, x_j). Bonds a..j-1 grow
 * d-fold: the new index of a grown bond is (old index) * d + (MPO index).
 */
function applyFanIn(chain: Chain, group: PairGroup): void {
  const { tensors, dims, d } = chain;
  const { a, j, weights } = group;
  for (let s = a; s <= j; s++) {
    const t = tensors[s]!;
    const l = dims[s]!;
    const r = dims[s + 1]!;
    const rk = s === j ? 1 : d; // MPO bond on the right of s
    const nl = s === a ? l : l * d;
    const nr = r * rk;
    const out = new Float64Array(nl * d * nr);
    const w = s === j ? null : weights[s - a]!;
    for (let li = 0; li < l; li++)
      for (let x = 0; x < d; x++) {
        const src = (li * d + x) * r;
        for (let k = 0; k < d; k++) {
          const factor = s === j ? (x === k ? 1 : 0) : w === null ? 1 : w[x * d + k]!;
          if (factor === 0) continue;
          const row = s === a ? li : li * d + k;
          const column = s === j ? 0 : k;
          const dst = (row * d + x) * nr;
          for (let b = 0; b < r; b++) out[dst + b * rk + column]! += factor * t[src + b]!;
        }
      }
    tensors[s] = out;
    dims[s] = nl;
  }
}

function zeroAmplitude(fn: string): never {
  return invalidArgument(
    fn,
    'network',
    'psi = 0 for every configuration',
    'factors with at least one configuration of non-zero weight',
  );
}

/** Scales tensor `t` to unit Frobenius norm; returns the log of the removed norm. */
function normalizeInPlace(fn: string, t: Float64Array): number {
  const norm = frobenius(t);
  if (norm === 0) zeroAmplitude(fn);
  for (let k = 0; k < t.length; k++) t[k]! /= norm;
  return Math.log(norm);
}

/** QR step at site i: site i left-orthonormal, R into site i+1. Returns the log scale. */
function qrStep(fn: string, chain: Chain, i: number): number {
  const { tensors, dims, d } = chain;
  const l = dims[i]!;
  const r = dims[i + 1]!;
  const { q, r: rr } = qr(tensors[i]!, l * d, r);
  const k = Math.min(l * d, r);
  const logScale = normalizeInPlace(fn, rr);
  tensors[i] = q;
  tensors[i + 1] = matmul(rr, tensors[i + 1]!, k, r, d * dims[i + 2]!);
  dims[i + 1] = k;
  return logScale;
}

/** LQ step at site i: site i right-orthonormal, L into site i-1. Returns the log scale. */
function lqStep(fn: string, chain: Chain, i: number): number {
  const { tensors, dims, d } = chain;
  const l = dims[i]!;
  const cols = d * dims[i + 1]!;
  const { l: ll, q } = lq(tensors[i]!, l, cols);
  const k = Math.min(l, cols);
  const logScale = normalizeInPlace(fn, ll);
  tensors[i] = q;
  tensors[i - 1] = matmul(tensors[i - 1]!, ll, dims[i - 1]! * d, l, k);
  dims[i] = k;
  return logScale;
}

/** Full gauge from an unstructured chain: LQ from `last` down to center+1 (QR below center). */
function gaugeToCenter(fn: string, chain: Chain, last: number, center: number): number {
  let logNorm = 0;
  for (let i = last; i > center; i--) logNorm += lqStep(fn, chain, i);
  return logNorm + normalizeInPlace(fn, chain.tensors[center]!);
}

/** Moves the orthogonality center from `from` to `to` (no truncation). */
function moveCenter(fn: string, chain: Chain, from: number, to: number): number {
  let logNorm = 0;
  for (let i = from; i < to; i++) logNorm += qrStep(fn, chain, i);
  for (let i = from; i > to; i--) logNorm += lqStep(fn, chain, i);
  return logNorm + normalizeInPlace(fn, chain.tensors[to]!);
}

/**
 * Truncates every bond of a right-canonical chain (center 0) to the limits, leaving it
 * right-canonical: the exact truncating sweep left to right, then back with QR-free moves.
 */
function finalSweep(fn: string, chain: Chain, tr: Truncation): number {
  const n = chain.tensors.length;
  if (n === 1) return 0;
  let logNorm = truncateLeftToRight(fn, chain, 0, n - 1, tr);
  logNorm += moveCenter(fn, chain, n - 1, 0);
  return logNorm;
}

interface Truncation {
  maxBondDim: number;
  cutoff: number;
  /** Per bond: sum of log(1 - discarded weight) over its truncations. */
  keepLog: Float64Array;
  /** Per bond: the largest rank a state can have there, min(d^(b+1), d^(N-b-1)). */
  rankBound: Float64Array;
}

const EPS = 2.220446049250313e-16;

/**
 * Below this cutoff the truncations resolve Schmidt weights with SVDs instead of Gram matrices:
 * a Gram matrix squares the singular values, so it cannot tell weights below about n eps from
 * rounding noise (n <= a few hundred), while an SVD resolves singular values down to eps s_max.
 */
const GRAM_RESOLUTION = 1e-13;

/**
 * The dominant `keep` eigenvectors of the Gram matrix g (n x n, from {@link symmetricEigen}) with
 * the truncation rule of `compress` applied to the singular values sqrt(eigenvalue), at most
 * `rank` of them (the rank bound of the factor). Records the discarded weight at `bond`.
 */
function truncatedBasis(
  g: Float64Array,
  n: number,
  rank: number,
  bond: number,
  tr: Truncation,
): { vectors: Float64Array; keep: number } {
  const { values, vectors } = symmetricEigen(g, n);
  // eigenvalues of a Gram matrix below n eps lambda_max are rounding noise: exact zeros
  const noise = 4 * n * EPS * Math.max(0, values[0]!);
  const bound = Math.min(rank, tr.rankBound[bond]!);
  const s = new Float64Array(bound);
  for (let k = 0; k < bound; k++) s[k] = values[k]! > noise ? Math.sqrt(values[k]!) : 0;
  const { keep, discarded } = rankToKeep(s, tr.maxBondDim, tr.cutoff);
  tr.keepLog[bond]! += Math.log1p(-discarded);
  const basis = new Float64Array(n * keep);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < keep; b++) basis[a * keep + b] = vectors[a * n + b]!;
  return { vectors: basis, keep };
}

/**
 * One bond of a truncating sweep: the center tensor theta (rows x cols) split into the tensor that
 * stays at this site and the `carry` that the next site of the sweep absorbs, with `keep` values
 * across the bond.
 */
interface Split {
  kept: Float64Array;
  carry: Float64Array;
  keep: number;
}

/**
 * Truncating sweep from `from` to `to` with the center at `from` and the window right-orthonormal
 * (or with the right environments that stand for it): at each bond, `split` gives the left
 * Schmidt basis U_k (site i) and the carry (absorbed by site i + 1).
 */
function sweepLeftToRight(
  fn: string,
  chain: Chain,
  from: number,
  to: number,
  split: (theta: Float64Array, rows: number, cols: number, i: number) => Split,
): number {
  const { tensors, dims, d } = chain;
  let logNorm = 0;
  for (let i = from; i < to; i++) {
    const r = dims[i + 1]!;
    const { kept, carry, keep } = split(tensors[i]!, dims[i]! * d, r, i);
    logNorm += normalizeInPlace(fn, carry);
    tensors[i] = kept;
    tensors[i + 1] = product(carry, tensors[i + 1]!, keep, r, d * dims[i + 2]!);
    dims[i + 1] = keep;
  }
  return logNorm + normalizeInPlace(fn, tensors[to]!);
}

/** The mirror image of {@link sweepLeftToRight}: `split` gives V_k^T (site i) and the carry. */
function sweepRightToLeft(
  fn: string,
  chain: Chain,
  from: number,
  to: number,
  split: (theta: Float64Array, rows: number, cols: number, i: number) => Split,
): number {
  const { tensors, dims, d } = chain;
  let logNorm = 0;
  for (let i = from; i > to; i--) {
    const l = dims[i]!;
    const { kept, carry, keep } = split(tensors[i]!, l, d * dims[i + 1]!, i);
    logNorm += normalizeInPlace(fn, carry);
    tensors[i] = kept;
    tensors[i - 1] = product(tensors[i - 1]!, carry, dims[i - 1]! * d, l, keep);
    dims[i] = keep;
  }
  return logNorm + normalizeInPlace(fn, tensors[to]!);
}

/**
 * Truncates the window [from, to] after its MPO was applied, the center at `from` before the MPO
 * (everything left of `from` left-orthonormal, right of `to` right-orthonormal), sweeping left to
 * right. With a cutoff the Gram matrices resolve (>= GRAM_RESOLUTION): the right environments
 * R_i = sum_x A[x] R A[x]^T of the window, then at each bond the reduced density matrix
 * rho = theta R_i theta^T, whose dominant eigenvectors U_k are the left Schmidt vectors of the
 * whole state there; the projection U_k U_k^T is applied exactly (no QR or SVD). Below it: LQ steps
 * make the window right-orthonormal and an SVD at every bond keeps at most its numerical rank.
 */
function truncateLeftToRight(
  fn: string,
  chain: Chain,
  from: number,
  to: number,
  tr: Truncation,
): number {
  const { tensors, dims, d } = chain;
  if (tr.cutoff < GRAM_RESOLUTION) {
    let logNorm = 0;
    for (let i = to; i > from; i--) logNorm += lqStep(fn, chain, i);
    return (
      logNorm +
      sweepLeftToRight(fn, chain, from, to, (theta, rows, r, i) => {
        const { u, s, vt, rank } = svd(theta, rows, r);
        const k = s.length;
        const keep = keepCount(s, Math.max(1, rank), i, tr);
        const kept = new Float64Array(rows * keep);
        for (let a = 0; a < rows; a++)
          for (let b = 0; b < keep; b++) kept[a * keep + b] = u[a * k + b]!;
        const carry = new Float64Array(keep * r);
        for (let b = 0; b < keep; b++)
          for (let c = 0; c < r; c++) carry[b * r + c] = s[b]! * vt[b * r + c]!;
        return { kept, carry, keep };
      })
    );
  }
  // environments[i - from] = Gram matrix right of site i (dims[i + 1] square)
  const environments: Float64Array[] = new Array(to - from + 1);
  environments[to - from] = identity(dims[to + 1]!);
  for (let i = to; i > from; i--) {
    environments[i - 1 - from] = rightTransfer(
      tensors[i]!,
      environments[i - from]!,
      dims[i]!,
      d,
      dims[i + 1]!,
    );
  }
  return sweepLeftToRight(fn, chain, from, to, (theta, rows, r, i) => {
    const thetaR = product(theta, environments[i - from]!, rows, r, r);
    const rho = product(thetaR, transpose(theta, rows, r), rows, r, rows);
    const { vectors, keep } = truncatedBasis(rho, rows, Math.min(rows, r), i, tr);
    const carry = product(transpose(vectors, rows, keep), theta, keep, rows, r);
    return { kept: vectors, carry, keep };
  });
}

/**
 * The mirror image of {@link truncateLeftToRight}: center at `from` (the window's right end)
 * before the MPO, sweeping right to left. Gram path: left environments L_i = sum_x A[x]^T L A[x],
 * rho = theta^T L_i theta, site i becomes V_k^T and site i - 1 absorbs theta V_k. SVD path: QR
 * steps, then SVDs.
 */
function truncateRightToLeft(
  fn: string,
  chain: Chain,
  from: number,
  to: number,
  tr: Truncation,
): number {
  const { tensors, dims, d } = chain;
  if (tr.cutoff < GRAM_RESOLUTION) {
    let logNorm = 0;
    for (let i = to; i < from; i++) logNorm += qrStep(fn, chain, i);
    return (
      logNorm +
      sweepRightToLeft(fn, chain, from, to, (theta, l, cols, i) => {
        const { u, s, vt, rank } = svd(theta, l, cols);
        const k = s.length;
        const keep = keepCount(s, Math.max(1, rank), i - 1, tr);
        const carry = new Float64Array(l * keep);
        for (let a = 0; a < l; a++)
          for (let b = 0; b < keep; b++) carry[a * keep + b] = u[a * k + b]! * s[b]!;
        return { kept: vt.slice(0, keep * cols), carry, keep };
      })
    );
  }
  // environments[i - to] = Gram matrix left of site i (dims[i] square)
  const environments: Float64Array[] = new Array(from - to + 1);
  environments[0] = identity(dims[to]!);
  for (let i = to; i < from; i++) {
    environments[i + 1 - to] = leftTransfer(
      tensors[i]!,
      environments[i - to]!,
      dims[i]!,
      d,
      dims[i + 1]!,
    );
  }
  return sweepRightToLeft(fn, chain, from, to, (theta, l, cols, i) => {
    const lTheta = product(environments[i - to]!, theta, l, l, cols);
    const rho = product(transpose(theta, l, cols), lTheta, cols, l, cols);
    const { vectors, keep } = truncatedBasis(rho, cols, Math.min(l, cols), i - 1, tr);
    const carry = product(theta, vectors, l, cols, keep);
    return { kept: transpose(vectors, cols, keep), carry, keep };
  });
}

/** How many of the singular values `s` to keep at `bond` (at most `rank`); records the loss. */
function keepCount(s: Float64Array, rank: number, bond: number, tr: Truncation): number {
  const bound = Math.min(rank, tr.rankBound[bond]!);
  const { keep, discarded } = rankToKeep(s.subarray(0, bound), tr.maxBondDim, tr.cutoff);
  // the values beyond the numerical rank are dropped too: their weight is rounding noise
  let total = 0;
  let beyond = 0;
  for (let k = 0; k < s.length; k++) {
    const w = s[k]! * s[k]!;
    total += w;
    if (k >= bound) beyond += w;
  }
  const lost = total > 0 ? Math.min(1, discarded * ((total - beyond) / total) + beyond / total) : 0;
  tr.keepLog[bond]! += Math.log1p(-lost);
  return keep;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let k = 0; k < n; k++) m[k * n + k] = 1;
  return m;
}

/** Scales a Gram matrix to max |entry| 1 (its scale does not change its eigenvectors). */
function rescaled(m: Float64Array): Float64Array {
  let max = 0;
  for (let k = 0; k < m.length; k++) max = Math.max(max, Math.abs(m[k]!));
  if (max > 0) for (let k = 0; k < m.length; k++) m[k]! /= max;
  return m;
}

/** sum_x A[x] R A[x]^T for a site tensor A [l, d, r]: an l x l Gram matrix (rescaled). */
function rightTransfer(
  t: Float64Array,
  env: Float64Array,
  l: number,
  d: number,
  r: number,
): Float64Array {
  // M = A R with A as (l d) x r; read as l x (d r), out = M A^T
  const m = product(t, env, l * d, r, r);
  return rescaled(product(m, transpose(t, l, d * r), l, d * r, l));
}

/** sum_x A[x]^T L A[x] for a site tensor A [l, d, r]: an r x r Gram matrix (rescaled). */
function leftTransfer(
  t: Float64Array,
  env: Float64Array,
  l: number,
  d: number,
  r: number,
): Float64Array {
  // N = L A with A as l x (d r); read as (l d) x r, out = A^T N
  const m = product(env, t, l, l, d * r);
  return rescaled(product(transpose(t, l * d, r), m, r, l * d, r));
}
