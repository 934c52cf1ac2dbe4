/**
 * The `latticediff.made` checkpoint format (version 1): a MADE network's float32 weights exactly
 * (base64 of their little-endian IEEE 754 bytes), a CRC-32 checksum over the header fields and
 * those bytes, and optionally the complete state of its reverse-KL training (Adam moments and
 * the position of the training's random stream), so that training resumed from a checkpoint
 * continues bit for bit. FORMAT.md in this package is the specification; this module is its
 * reference implementation. No `node:` imports and no `Buffer`: it works in browsers too.
 */
import { FormatError } from '@latticediff/tensor-network';
import { invalidArgument } from '@latticediff/tensor-network/internal';
import type { AdamState } from './adam';

/** Value of the `format` field of every MADE checkpoint. */
export const MADE_FILE_FORMAT = 'latticediff.made';
/** Version written by `MADE.toJSON`. */
export const MADE_FILE_VERSION = 1;
/** Versions `MADE.fromJSON` reads. */
export const MADE_FILE_SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1]);

/** The network's parameter tensors, in the order of the checksum and of `MADE.variables`. */
export const WEIGHT_NAMES = ['w0', 'w1', 'b1', 'w2', 'b2'] as const;
export type WeightName = (typeof WEIGHT_NAMES)[number];

export const DTYPE = 'float32-le';
const TOP_LEVEL_FIELDS = [
  'format',
  'version',
  'sites',
  'localDimension',
  'hidden',
  'z2',
  'dtype',
  'checksum',
  'weights',
  'training',
  'metadata',
];
const TRAINING_FIELDS = [
  'method',
  'seed',
  'batch',
  'learningRate',
  'betaAnneal',
  'step',
  'randomWords',
  'adam',
];
const ADAM_FIELDS = ['beta1', 'beta2', 'epsilon', 'iterations', 'accBeta1', 'accBeta2', 'm', 'v'];

/** The `training` object of a checkpoint, with the moments of tensors named `Name`. */
export interface CheckpointTraining<Name extends string> {
  method: 'reverse-kl';
  seed: number;
  batch: number;
  learningRate: number;
  betaAnneal: number;
  step: number;
  randomWords: number;
  adam: {
    beta1: number;
    beta2: number;
    epsilon: number;
    iterations: number;
    accBeta1: number;
    accBeta2: number;
    m: Record<Name, string>;
    v: Record<Name, string>;
  };
}

/** The JSON object of a MADE checkpoint (what `MADE.toJSON` returns). */
export interface MADECheckpoint {
  format: typeof MADE_FILE_FORMAT;
  version: number;
  sites: number;
  localDimension: number;
  hidden: number;
  z2: boolean;
  dtype: typeof DTYPE;
  checksum: string;
  weights: Record<WeightName, string>;
  training?: CheckpointTraining<WeightName>;
  metadata?: Record<string, unknown>;
}

/** The state of a reverse-KL training run (see `ReverseKLTrainer`). */
export interface ReverseKLTrainingState {
  seed: number;
  batch: number;
  learningRate: number;
  betaAnneal: number;
  /** Steps done. */
  step: number;
  /** 32-bit words drawn so far from `createRandom(seed)` (the training stream's position). */
  randomWords: number;
  adam: AdamState;
}

/** A decoded checkpoint: the network's sizes and weights, the training state, the metadata. */
export interface DecodedCheckpoint {
  sites: number;
  localDimension: number;
  hidden: number;
  z2: boolean;
  /** In {@link WEIGHT_NAMES} order. */
  weights: Float32Array[];
  training?: ReverseKLTrainingState;
  metadata: Record<string, unknown>;
}

/** The shapes of the weights for N sites, d digits and H hidden units. */
export function weightShapes(sites: number, d: number, hidden: number): number[][] {
  const nd = sites * d;
  return [[nd, nd], [nd, hidden], [hidden], [hidden, nd], [nd]];
}

function header(c: { sites: number; localDimension: number; hidden: number; z2: boolean }) {
  return `${MADE_FILE_FORMAT}\nversion=${MADE_FILE_VERSION}\nsites=${c.sites}\nlocalDimension=${c.localDimension}\nhidden=${c.hidden}\nz2=${c.z2}\ndtype=${DTYPE}\n`;
}

export function bytesOf(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k]!, true);
  return bytes;
}

export function valuesOf(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let k = 0; k < out.length; k++) out[k] = view.getFloat32(4 * k, true);
  return out;
}

/** The checkpoint object of a decoded checkpoint (the writer). */
export function encodeCheckpoint(decoded: DecodedCheckpoint): MADECheckpoint {
  const { weights, training, checksum } = encodeBody(
    header(decoded),
    WEIGHT_NAMES,
    decoded.weights,
    decoded.training,
  );
  return {
    format: MADE_FILE_FORMAT,
    version: MADE_FILE_VERSION,
    sites: decoded.sites,
    localDimension: decoded.localDimension,
    hidden: decoded.hidden,
    z2: decoded.z2,
    dtype: DTYPE,
    checksum,
    weights,
    ...(training ? { training } : {}),
    ...(Object.keys(decoded.metadata).length > 0 ? { metadata: decoded.metadata } : {}),
  };
}

/**
 * The `training` object of a checkpoint (shared by the MADE and PixelCNN formats): `record`
 * encodes the moments of the network's tensors (and adds their bytes to the checksum), m first.
 */
export function encodeTraining<Name extends string>(
  t: ReverseKLTrainingState,
  record: (arrays: readonly Float32Array[]) => Record<Name, string>,
): CheckpointTraining<Name> {
  const m = record(t.adam.m);
  const v = record(t.adam.v);
  return {
    method: 'reverse-kl',
    seed: t.seed,
    batch: t.batch,
    learningRate: t.learningRate,
    betaAnneal: t.betaAnneal,
    step: t.step,
    randomWords: t.randomWords,
    adam: {
      beta1: t.adam.beta1,
      beta2: t.adam.beta2,
      epsilon: t.adam.epsilon,
      iterations: t.adam.iterations,
      accBeta1: t.adam.accBeta1,
      accBeta2: t.adam.accBeta2,
      m,
      v,
    },
  };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === 'object' ? 'an object' : String(v);
}

export function onlyFields(
  field: string,
  object: Record<string, unknown>,
  known: readonly string[],
) {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new FormatError(field === '' ? key : `${field}.${key}`, 'unknown field');
    }
  }
}

export function integer(
  field: string,
  v: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FormatError(field, `expected an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

export function finite(
  field: string,
  v: unknown,
  check: (x: number) => boolean,
  what: string,
): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new FormatError(field, `expected ${what}, got ${describe(v)}`);
  }
  return v;
}

/**
 * Reads and checks a checkpoint (its JSON text or the parsed object); throws a `FormatError`
 * naming the offending field.
 */
export function decodeCheckpoint(json: unknown): DecodedCheckpoint {
  let document = json;
  if (typeof json === 'string') {
    try {
      document = JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json);
    } catch (error) {
      throw new FormatError('document', `not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(document)) {
    throw new FormatError('document', `expected a JSON object, got ${describe(document)}`);
  }
  const d = document;
  if (d.format !== MADE_FILE_FORMAT) {
    throw new FormatError('format', `expected "${MADE_FILE_FORMAT}", got ${describe(d.format)}`);
  }
  if (!MADE_FILE_SUPPORTED_VERSIONS.includes(d.version as number)) {
    throw new FormatError(
      'version',
      `version ${describe(d.version)} is not supported (this reader knows ${MADE_FILE_SUPPORTED_VERSIONS.join(', ')})`,
    );
  }
  onlyFields('', d, TOP_LEVEL_FIELDS);
  const sites = integer('sites', d.sites, 1, 4096);
  const localDimension = integer('localDimension', d.localDimension, 2, 64);
  const hidden = integer('hidden', d.hidden, 1, 65536);
  if (typeof d.z2 !== 'boolean') throw new FormatError('z2', `expected true or false`);
  if (d.z2 && localDimension !== 2) {
    throw new FormatError('z2', 'true needs localDimension 2');
  }
  if (d.dtype !== DTYPE) {
    throw new FormatError('dtype', `expected "${DTYPE}", got ${describe(d.dtype)}`);
  }
  if (typeof d.checksum !== 'string' || !/^[0-9a-f]{8}$/.test(d.checksum)) {
    throw new FormatError('checksum', `expected 8 lowercase hexadecimal digits`);
  }
  const sizes = weightShapes(sites, localDimension, hidden).map((s) => s.reduce((a, b) => a * b));
  const { weights, training, metadata } = decodeBody(
    d,
    WEIGHT_NAMES,
    sizes,
    header({ sites, localDimension, hidden, z2: d.z2 }),
  );
  return {
    sites,
    localDimension,
    hidden,
    z2: d.z2,
    weights,
    ...(training ? { training } : {}),
    metadata,
  };
}

/**
 * The base64 tensors (weights and, when given, the training state's Adam moments) of a checkpoint
 * (shared by the MADE and PixelCNN formats) and the CRC-32 over `headerText` and their bytes.
 */
export function encodeBody<Name extends string>(
  headerText: string,
  names: readonly Name[],
  weightArrays: readonly Float32Array[],
  trainingState: ReverseKLTrainingState | undefined,
): {
  weights: Record<Name, string>;
  training: CheckpointTraining<Name> | undefined;
  checksum: string;
} {
  let crc = crc32Update(CRC32_INIT, new TextEncoder().encode(headerText));
  const record = (arrays: readonly Float32Array[]) => {
    const out = {} as Record<Name, string>;
    names.forEach((name, i) => {
      const bytes = bytesOf(arrays[i]!);
      crc = crc32Update(crc, bytes);
      out[name] = base64Encode(bytes);
    });
    return out;
  };
  const weights = record(weightArrays);
  const training = trainingState ? encodeTraining(trainingState, record) : undefined;
  return { weights, training, checksum: crc32Final(crc).toString(16).padStart(8, '0') };
}

/**
 * The weights, training state and metadata of a checkpoint document (shared by the MADE and
 * PixelCNN formats): tensors `names` of `sizes` float32 values, decoded from base64, checked
 * against the CRC-32 over `headerText` and the tensors' bytes, and checked finite.
 */
export function decodeBody(
  d: Record<string, unknown>,
  names: readonly string[],
  sizes: readonly number[],
  headerText: string,
): {
  weights: Float32Array[];
  training: ReturnType<typeof decodeTraining> | undefined;
  metadata: Record<string, unknown>;
} {
  let crc = crc32Update(CRC32_INIT, new TextEncoder().encode(headerText));
  const tensors = (field: string, value: unknown): Float32Array[] => {
    if (!isObject(value)) throw new FormatError(field, 'expected an object of base64 tensors');
    onlyFields(field, value, names);
    return names.map((name, i) => {
      const f = `${field}.${name}`;
      const text = value[name];
      if (typeof text !== 'string') throw new FormatError(f, 'expected a base64 string');
      const bytes = base64Decode(text, f);
      if (bytes.length !== 4 * sizes[i]!) {
        throw new FormatError(
          f,
          `expected ${sizes[i]} float32 values (${4 * sizes[i]!} bytes), got ${bytes.length} bytes`,
        );
      }
      crc = crc32Update(crc, bytes);
      return valuesOf(bytes);
    });
  };
  const weights = tensors('weights', d.weights);
  const training = d.training !== undefined ? decodeTraining(d.training, tensors) : undefined;
  const actual = crc32Final(crc).toString(16).padStart(8, '0');
  if (actual !== d.checksum) {
    throw new FormatError(
      'checksum',
      `checksum mismatch (file says ${d.checksum}, the contents give ${actual}): the file is corrupted`,
    );
  }
  const check = (field: string, arrays: Float32Array[]) =>
    arrays.forEach((values, i) => {
      for (let k = 0; k < values.length; k++) {
        if (!Number.isFinite(values[k]!)) {
          throw new FormatError(`${field}.${names[i]}`, `entry ${k} is not finite`);
        }
      }
    });
  check('weights', weights);
  if (training) {
    check('training.adam.m', training.adam.m);
    check('training.adam.v', training.adam.v);
  }
  let metadata: Record<string, unknown> = {};
  if (d.metadata !== undefined) {
    if (!isObject(d.metadata)) throw new FormatError('metadata', 'expected a JSON object');
    metadata = d.metadata;
  }
  return { weights, training, metadata };
}

/**
 * Reads and checks the `training` object of a checkpoint (shared by the MADE and PixelCNN
 * formats); `tensors` decodes an object of base64 moments (adding their bytes to the checksum).
 */
export function decodeTraining(
  t: unknown,
  tensors: (field: string, value: unknown) => Float32Array[],
): ReverseKLTrainingState {
  if (!isObject(t)) throw new FormatError('training', 'expected an object');
  onlyFields('training', t, TRAINING_FIELDS);
  if (t.method !== 'reverse-kl') {
    throw new FormatError('training.method', `expected "reverse-kl", got ${describe(t.method)}`);
  }
  const a = t.adam;
  if (!isObject(a)) throw new FormatError('training.adam', 'expected an object');
  onlyFields('training.adam', a, ADAM_FIELDS);
  // (at most 2^31 - 1 steps: resuming replays 2 random words a step, and a step count near 2^53
  // made the reader spin for years; the trainer refuses to run past it)
  const step = integer('training.step', t.step, 0, MAX_TRAINING_STEPS);
  const m = tensors('training.adam.m', a.m);
  const v = tensors('training.adam.v', a.v);
  const unit = (x: number) => x > 0 && x < 1;
  const learningRate = finite('training.learningRate', t.learningRate, unit, 'a number in (0, 1)');
  const state: ReverseKLTrainingState = {
    seed: integer('training.seed', t.seed, 0),
    batch: integer('training.batch', t.batch, 2),
    learningRate,
    betaAnneal: finite(
      'training.betaAnneal',
      t.betaAnneal,
      (x) => x >= 0 && x < 1,
      'a number in [0, 1)',
    ),
    step,
    randomWords: integer('training.randomWords', t.randomWords, 0),
    adam: {
      learningRate,
      beta1: finite('training.adam.beta1', a.beta1, unit, 'a number in (0, 1)'),
      beta2: finite('training.adam.beta2', a.beta2, unit, 'a number in (0, 1)'),
      epsilon: finite('training.adam.epsilon', a.epsilon, (x) => x > 0, 'a positive number'),
      iterations: integer('training.adam.iterations', a.iterations, 0),
      accBeta1: finite('training.adam.accBeta1', a.accBeta1, (x) => x >= 0 && x < 1, '[0, 1)'),
      accBeta2: finite('training.adam.accBeta2', a.accBeta2, (x) => x >= 0 && x < 1, '[0, 1)'),
      m,
      v,
    },
  };
  // the numbers outside the checksum must agree with each other: one Adam iteration and 2 random
  // words a step, and the accumulated beta powers those iterations give (as Adam computes them)
  if (state.randomWords !== 2 * step) {
    throw new FormatError(
      'training.randomWords',
      `expected 2 a step (${2 * step} for step ${step}), got ${state.randomWords}`,
    );
  }
  if (state.adam.iterations !== step) {
    throw new FormatError(
      'training.adam.iterations',
      `expected one a step (${step}), got ${state.adam.iterations}`,
    );
  }
  for (const [field, beta, acc] of [
    ['training.adam.accBeta1', state.adam.beta1, state.adam.accBeta1],
    ['training.adam.accBeta2', state.adam.beta2, state.adam.accBeta2],
  ] as const) {
    const expected = accumulatedBeta(beta, step);
    if (acc !== expected) {
      throw new FormatError(
        field,
        `expected ${expected} (beta^(${step} + 1) in float32), got ${acc}`,
      );
    }
  }
  return state;
}

/** Largest step count of a reverse-KL training (its checkpoint replays 2 random words a step). */
export const MAX_TRAINING_STEPS = 2 ** 31 - 1;

/** beta^(iterations + 1) accumulated in float32, as Adam does it (0 once it underflows). */
function accumulatedBeta(beta: number, iterations: number): number {
  const factor = Math.fround(beta);
  let acc = Math.fround(beta);
  for (let k = 0; k < iterations; k++) {
    const next = Math.fround(acc * factor);
    // (0 after an underflow, or a fixed point for beta within float32's rounding of 1: it stays)
    if (next === acc) break;
    acc = next;
  }
  return acc;
}

/** Checks that metadata given to the writer is plain JSON data (kept as is by JSON). */
export function checkMetadata(fn: string, metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  const plain = (v: unknown, depth: number): boolean => {
    if (depth > 64) return false;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
    if (typeof v === 'number') return Number.isFinite(v);
    if (Array.isArray(v)) return v.every((x) => plain(x, depth + 1));
    if (!isObject(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
    return Object.values(v).every((x) => plain(x, depth + 1));
  };
  if (!isObject(metadata) || !plain(metadata, 0)) {
    invalidArgument(
      fn,
      'metadata',
      metadata,
      'a JSON object of plain data (finite numbers, strings, booleans, null, arrays, objects)',
    );
  }
  return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as zlib.crc32) and base64 (RFC 4648, standard alphabet, padded)

export const CRC32_INIT = 0xffffffff;
let crcTable: Uint32Array | undefined;

export function crc32Update(crc: number, bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  const chunk: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk.push(
      ALPHABET[v >>> 18]! +
        ALPHABET[(v >>> 12) & 63]! +
        ALPHABET[(v >>> 6) & 63]! +
        ALPHABET[v & 63]!,
    );
    if (chunk.length === 4096) {
      out += chunk.join('');
      chunk.length = 0;
    }
  }
  out += chunk.join('');
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out += `${ALPHABET[v >>> 18]}${ALPHABET[(v >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[v >>> 18]}${ALPHABET[(v >>> 12) & 63]}${ALPHABET[(v >>> 6) & 63]}=`;
  }
  return out;
}

export function base64Decode(text: string, field: string): Uint8Array {
  if (text.length % 4 !== 0) {
    throw new FormatError(field, `invalid base64: length ${text.length} is not a multiple of 4`);
  }
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const digits = [0, 1, 2, 3].map((k) => {
      const code = text.charCodeAt(i + k);
      if (last && code === 61 && k >= 4 - pad) return 0;
      const v = code < 128 ? DECODE[code]! : -1;
      if (v < 0) throw new FormatError(field, `invalid base64 character at ${i + k}`);
      return v;
    });
    const v = (digits[0]! << 18) | (digits[1]! << 12) | (digits[2]! << 6) | digits[3]!;
    out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}
