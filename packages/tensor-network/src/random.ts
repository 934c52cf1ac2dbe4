/**
 * Seeded pseudo-random numbers: xoshiro128** (32-bit state words, fast in JavaScript), seeded by
 * SplitMix32. `float64()` returns uniforms in [0, 1) with 53 random bits. Streams are reproducible:
 * the same seed gives the same sequence on every platform, and `split(k)` derives independent
 * streams for shards and workers, so results do not depend on how work is divided.
 */
import { invalidArgument } from './errors';

/** A source of uniform random numbers. */
export interface RandomGenerator {
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  float64(): number;
  /** Fills `out` with uniform doubles in [0, 1). */
  fill(out: Float64Array): Float64Array;
  /** An independent generator derived from this one's seed and `stream` (does not advance this one). */
  split(stream: number): RandomGenerator;
  /** The seed this generator was made from. */
  readonly seed: number;
}

/** Either a seed (a non-negative safe integer) or a generator. */
export type SeedOrGenerator = number | RandomGenerator;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Xoshiro128 implements RandomGenerator {
  readonly seed: number;
  private readonly streamPath: number[];
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, streamPath: number[] = []) {
    this.seed = seed;
    this.streamPath = streamPath;
    // Mix the 53-bit seed (two 32-bit halves) and the stream path into the SplitMix32 state.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let mix = splitmix32(lo ^ Math.imul(hi, 0x9e3779b1))();
    mix = splitmix32(mix ^ hi)();
    for (const stream of streamPath) mix = splitmix32(mix ^ Math.imul(stream + 1, 0x632be5ab))();
    const next = splitmix32(mix);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  float64(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  fill(out: Float64Array): Float64Array {
    // (a Float32Array rounded some draws up to exactly 1, outside [0, 1))
    if (!(out instanceof Float64Array))
      invalidArgument('RandomGenerator.fill', 'out', out, 'a Float64Array');
    for (let i = 0; i < out.length; i++) out[i] = this.float64();
    return out;
  }

  /** The four state words (internal: the WebAssembly sampler advances a copy). */
  stateWords(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  split(stream: number): RandomGenerator {
    if (!Number.isSafeInteger(stream) || stream < 0) {
      invalidArgument('split', 'stream', stream, 'a non-negative safe integer');
    }
    return new Xoshiro128(this.seed, [...this.streamPath, stream]);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The state words of a latticediff generator (xoshiro128**), or null for any other
 * RandomGenerator. Internal: lets a kernel draw the generator's exact sequence from a copy.
 */
export function xoshiroStateWords(g: RandomGenerator): [number, number, number, number] | null {
  return g instanceof Xoshiro128 ? g.stateWords() : null;
}

/** Creates a seeded generator. The seed must be a non-negative safe integer. */
export function createRandom(seed: number): RandomGenerator {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    invalidArgument('createRandom', 'seed', seed, 'a non-negative safe integer');
  }
  return new Xoshiro128(seed);
}

/**
 * Accepts a seed or a generator (as every stochastic function in latticediff does); a seed gives
 * a fresh `createRandom(seed)`, a generator is returned as is. Errors name `seed` and `functionName`.
 */
export function toRandom(functionName: string, seed: unknown): RandomGenerator {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      invalidArgument(
        functionName,
        'seed',
        seed,
        'a non-negative safe integer or a RandomGenerator',
      );
    }
    return new Xoshiro128(seed);
  }
  if (
    typeof seed === 'object' &&
    seed !== null &&
    typeof (seed as RandomGenerator).float64 === 'function' &&
    typeof (seed as RandomGenerator).uint32 === 'function'
  ) {
    return seed as RandomGenerator;
  }
  return invalidArgument(
    functionName,
    'seed',
    seed,
    'a non-negative safe integer or a RandomGenerator',
  );
}
