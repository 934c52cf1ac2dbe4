/**
 * The `latticediff.mps` file format: a JSON text holding an {@link MPS} exactly (every float64
 * bit, including -0 and subnormals), with a CRC-32 checksum over the header fields and the
 * tensor bytes, and optional JSON user metadata. FORMAT.md in this package is the
 * specification; this module is its reference implementation.
 *
 * Works unchanged in Node and in browsers: no `node:` imports, no `Buffer`; bytes are produced
 * with an explicit little-endian `DataView`, base64 and CRC-32 are implemented here.
 */
import { assertKnownOptions, FormatError, invalidArgument, optionKeys } from './errors';
import { assertMPS, MPS, type MPSKind } from './mps';

/** Value of the `format` field of every MPS file. */
export const MPS_FILE_FORMAT = 'latticediff.mps';

/**
 * Version written by {@link serializeMPS}. {@link deserializeMPS} reads every version listed in
 * {@link MPS_FILE_SUPPORTED_VERSIONS} and rejects newer ones.
 */
export const MPS_FILE_VERSION = 1;

/** File versions {@link deserializeMPS} can read. */
export const MPS_FILE_SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1]);

const DTYPE = 'float64-le';
const KINDS: readonly MPSKind[] = ['linear', 'born'];
const TOP_LEVEL_FIELDS = [
  'format',
  'version',
  'kind',
  'length',
  'physicalDims',
  'bondDims',
  'dtype',
  'checksum',
  'metadata',
  'tensors',
] as const;
const TENSOR_FIELDS = ['shape', 'data'] as const;

/** A JSON value as stored in the `metadata` field. */
export type MetadataValue =
  | null
  | boolean
  | number
  | string
  | MetadataValue[]
  | { [key: string]: MetadataValue };

/**
 * User data stored next to the tensors (model id, parameters, training state, ...): a plain
 * JSON object. It travels through `JSON.stringify`/`JSON.parse`, so numbers round-trip exactly
 * except that -0 becomes 0. It is not covered by the checksum.
 */
export interface MPSMetadata {
  [key: string]: MetadataValue;
}

/** Options of {@link serializeMPS}. */
export interface SerializeMPSOptions {
  /** JSON-safe user data to store in the file (plain objects, arrays, strings, finite numbers, booleans, null). */
  metadata?: MPSMetadata;
}

/** Result of {@link deserializeMPS}. */
export interface DeserializedMPS {
  /** The MPS, bit-for-bit equal to the one that was serialized. */
  mps: MPS;
  /** The stored metadata, or `{}` if the file has none. */
  metadata: MPSMetadata;
}

/**
 * Writes an MPS as a `latticediff.mps` version 1 JSON text (see FORMAT.md). The text ends
 * with a newline; the header fields come first, one per line, then one line per site tensor,
 * so `head` shows the header. {@link deserializeMPS} restores the MPS bit for bit.
 *
 * @param mps - the MPS to store.
 * @param options - `metadata`: optional JSON-safe user data stored in the file.
 * @returns the file contents.
 * @throws InvalidArgumentError if `mps` is not an MPS or `metadata` is not JSON-safe.
 */
export function serializeMPS(mps: MPS, options: SerializeMPSOptions = {}): string {
  const fn = 'serializeMPS';
  assertMPS(fn, mps);
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(fn, options, optionKeys<SerializeMPSOptions>()(['metadata']));
  const metadata = options.metadata;
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) invalidArgument(fn, 'metadata', metadata, 'a plain JSON object');
    checkMetadata(fn, metadata, 'metadata', []);
  }

  const physicalDims = [...mps.physicalDims];
  const bondDims = [...mps.bondDims];
  let crc = crc32Update(
    CRC32_INIT,
    new TextEncoder().encode(
      checksumHeader(MPS_FILE_VERSION, mps.kind, mps.length, physicalDims, bondDims, DTYPE),
    ),
  );
  const tensorLines: string[] = [];
  for (let i = 0; i < mps.length; i++) {
    const shape = mps.siteShape(i);
    const t = mps.tensors[i]!;
    if (t.length !== shape[0] * shape[1] * shape[2]) {
      invalidArgument(fn, `mps.tensors[${i}]`, t, `a tensor of shape [${shape.join(', ')}]`);
    }
    for (let k = 0; k < t.length; k++) {
      const v = t[k]!;
      if (!Number.isFinite(v))
        invalidArgument(fn, `mps.tensors[${i}]`, v, `finite entries (entry ${k} is not)`);
      if (mps.kind === 'linear' && v < 0) {
        invalidArgument(
          fn,
          `mps.tensors[${i}]`,
          v,
          `non-negative entries for a linear MPS (entry ${k} is negative)`,
        );
      }
    }
    const bytes = float64ToBytes(t);
    crc = crc32Update(crc, bytes);
    tensorLines.push(`    ${JSON.stringify({ shape, data: base64Encode(bytes) })}`);
  }

  const lines = [
    `  "format": ${JSON.stringify(MPS_FILE_FORMAT)}`,
    `  "version": ${MPS_FILE_VERSION}`,
    `  "kind": ${JSON.stringify(mps.kind)}`,
    `  "length": ${mps.length}`,
    `  "physicalDims": ${JSON.stringify(physicalDims)}`,
    `  "bondDims": ${JSON.stringify(bondDims)}`,
    `  "dtype": ${JSON.stringify(DTYPE)}`,
    `  "checksum": ${JSON.stringify(crc32Hex(crc32Final(crc)))}`,
  ];
  if (metadata !== undefined) lines.push(`  "metadata": ${JSON.stringify(metadata)}`);
  lines.push(`  "tensors": [\n${tensorLines.join(',\n')}\n  ]`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

/**
 * Reads a `latticediff.mps` JSON text written by {@link serializeMPS} (or by any writer
 * following FORMAT.md). Every field is validated; the checksum is verified before the
 * entries are checked, so corruption is reported as such.
 *
 * @param text - the file contents (a leading byte-order mark is ignored).
 * @returns the MPS and the stored metadata (`{}` if there is none).
 * @throws FormatError naming the offending field if the text is not JSON or truncated, is not
 *   an MPS file, has an unsupported version, has a missing, unknown or inconsistent field,
 *   invalid base64, non-finite entries, negative entries in a linear MPS, or a checksum
 *   mismatch.
 * @throws InvalidArgumentError if `text` is not a string.
 */
export function deserializeMPS(text: string): DeserializedMPS {
  if (typeof text !== 'string') {
    invalidArgument('deserializeMPS', 'text', text, 'a string (the contents of an MPS file)');
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch (error) {
    const trimmed = body.trimEnd();
    const hint =
      trimmed.length === 0
        ? 'the text is empty'
        : trimmed.endsWith('}')
          ? 'the text is corrupted'
          : `the text (${body.length} characters) does not end with "}", it looks truncated`;
    throw new FormatError('document', `not valid JSON (${hint}): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!isPlainObject(root)) {
    throw new FormatError('document', `expected a JSON object, got ${typeName(root)}`);
  }
  const file = root;

  // format and version first: a newer file may legitimately have other fields
  if (!Object.hasOwn(file, 'format')) {
    throw new FormatError(
      'format',
      `missing; expected ${JSON.stringify(MPS_FILE_FORMAT)} (is this an MPS file?)`,
    );
  }
  if (file.format !== MPS_FILE_FORMAT) {
    throw new FormatError(
      'format',
      `expected ${JSON.stringify(MPS_FILE_FORMAT)}, got ${show(file.format)}`,
    );
  }
  if (!Object.hasOwn(file, 'version')) throw new FormatError('version', 'missing');
  const version = file.version;
  if (!isInt(version, 1)) {
    throw new FormatError('version', `expected a positive integer, got ${show(version)}`);
  }
  if (!MPS_FILE_SUPPORTED_VERSIONS.includes(version)) {
    const supported = `this reader supports version${MPS_FILE_SUPPORTED_VERSIONS.length > 1 ? 's' : ''} ${MPS_FILE_SUPPORTED_VERSIONS.join(', ')}`;
    throw new FormatError(
      'version',
      version > MPS_FILE_VERSION
        ? `unsupported version ${version}: ${supported}; the file was written by a newer @latticediff/tensor-network, upgrade to read it`
        : `unsupported version ${version}: ${supported}`,
    );
  }
  for (const key of Object.keys(file)) {
    if (!(TOP_LEVEL_FIELDS as readonly string[]).includes(key)) {
      throw new FormatError(
        key,
        `unknown field in a version ${version} file (the fields are ${TOP_LEVEL_FIELDS.join(', ')})`,
      );
    }
  }

  const kind = file.kind;
  if (kind === undefined) throw new FormatError('kind', 'missing');
  if (!KINDS.includes(kind as MPSKind)) {
    throw new FormatError('kind', `unknown kind ${show(kind)}: expected "linear" or "born"`);
  }

  const length = requireField(file, 'length');
  if (!isInt(length, 1))
    throw new FormatError('length', `expected a positive integer, got ${show(length)}`);

  const physicalDims = readIntArray(file, 'physicalDims', length, 2, `length (${length})`);
  const bondDims = readIntArray(file, 'bondDims', length - 1, 1, `length - 1 (${length - 1})`);

  const dtype = requireField(file, 'dtype');
  if (dtype !== DTYPE) {
    throw new FormatError(
      'dtype',
      `unsupported dtype ${show(dtype)}: version ${version} files store "${DTYPE}" only`,
    );
  }

  const checksum = requireField(file, 'checksum');
  if (typeof checksum !== 'string' || !/^[0-9a-f]{8}$/.test(checksum)) {
    throw new FormatError(
      'checksum',
      `expected 8 lowercase hexadecimal digits, got ${show(checksum)}`,
    );
  }

  let metadata: MPSMetadata = {};
  if (Object.hasOwn(file, 'metadata')) {
    if (!isPlainObject(file.metadata)) {
      throw new FormatError('metadata', `expected a JSON object, got ${typeName(file.metadata)}`);
    }
    metadata = file.metadata as MPSMetadata;
  }

  const records = requireField(file, 'tensors');
  if (!Array.isArray(records))
    throw new FormatError('tensors', `expected an array, got ${typeName(records)}`);
  if (records.length !== length) {
    throw new FormatError(
      'tensors',
      `has ${records.length} tensor${records.length === 1 ? '' : 's'} but length is ${length}`,
    );
  }
  const shapes: [number, number, number][] = [];
  const byteArrays: Uint8Array[] = [];
  let crc = crc32Update(
    CRC32_INIT,
    new TextEncoder().encode(
      checksumHeader(version, kind as MPSKind, length, physicalDims, bondDims, dtype),
    ),
  );
  for (let i = 0; i < length; i++) {
    const field = `tensors[${i}]`;
    const record: unknown = records[i];
    if (!isPlainObject(record))
      throw new FormatError(field, `expected an object { shape, data }, got ${typeName(record)}`);
    for (const key of Object.keys(record)) {
      if (!(TENSOR_FIELDS as readonly string[]).includes(key)) {
        throw new FormatError(
          `${field}.${key}`,
          'unknown field (a tensor has only shape and data)',
        );
      }
    }
    const shape = readShape(record, i, length, physicalDims, bondDims);
    const data = record.data;
    if (data === undefined) throw new FormatError(`${field}.data`, 'missing');
    if (typeof data !== 'string')
      throw new FormatError(`${field}.data`, `expected a base64 string, got ${typeName(data)}`);
    const bytes = base64Decode(data, `${field}.data`);
    const entries = shape[0] * shape[1] * shape[2];
    if (bytes.length !== entries * 8) {
      throw new FormatError(
        `${field}.data`,
        `decodes to ${bytes.length} bytes, expected ${entries * 8} (8 bytes for each of the ${shape.join(' x ')} = ${entries} entries)`,
      );
    }
    crc = crc32Update(crc, bytes);
    shapes.push(shape);
    byteArrays.push(bytes);
  }

  const actual = crc32Hex(crc32Final(crc));
  if (actual !== checksum) {
    throw new FormatError(
      'checksum',
      `mismatch: the file says ${checksum} but its header and tensor data give ${actual}; the file is corrupted or was edited`,
    );
  }

  const tensors: { shape: [number, number, number]; data: Float64Array }[] = [];
  for (let i = 0; i < length; i++) {
    const shape = shapes[i]!;
    const values = bytesToFloat64(byteArrays[i]!);
    const [, d, r] = shape;
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (Number.isFinite(v) && (kind === 'born' || !(v < 0))) continue;
      const at = `entry ${k} (index [${Math.floor(k / (d * r))}, ${Math.floor(k / r) % d}, ${k % r}])`;
      throw new FormatError(
        `tensors[${i}].data`,
        Number.isFinite(v)
          ? `${at} is negative (${v}) but a linear MPS has non-negative entries`
          : `${at} is ${v}; entries must be finite`,
      );
    }
    tensors.push({ shape, data: values });
  }

  let mps: MPS;
  try {
    mps = MPS.fromTensors(tensors, { kind: kind as MPSKind });
  } catch (error) {
    throw new FormatError('tensors', `not a valid MPS: ${errorMessage(error)}`, { cause: error });
  }
  return { mps, metadata };
}

// ---------------------------------------------------------------------------------------------
// validation helpers

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${show(value)}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function requireField(file: Record<string, unknown>, field: string): unknown {
  if (!Object.hasOwn(file, field)) throw new FormatError(field, 'missing');
  return file[field];
}

function readIntArray(
  file: Record<string, unknown>,
  field: string,
  expectedLength: number,
  min: number,
  lengthName: string,
): number[] {
  const value = requireField(file, field);
  if (!Array.isArray(value))
    throw new FormatError(field, `expected an array of integers, got ${typeName(value)}`);
  if (value.length !== expectedLength) {
    throw new FormatError(field, `has ${value.length} entries but must have ${lengthName}`);
  }
  value.forEach((v: unknown, i) => {
    if (!isInt(v, min))
      throw new FormatError(`${field}[${i}]`, `expected an integer >= ${min}, got ${show(v)}`);
  });
  return value as number[];
}

function readShape(
  record: Record<string, unknown>,
  site: number,
  length: number,
  physicalDims: readonly number[],
  bondDims: readonly number[],
): [number, number, number] {
  const field = `tensors[${site}].shape`;
  const shape = record.shape;
  if (shape === undefined) throw new FormatError(field, 'missing');
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((s: unknown) => isInt(s, 1))) {
    throw new FormatError(
      field,
      `expected three positive integers [left, physical, right], got ${show(shape)}`,
    );
  }
  const [l, d, r] = shape as [number, number, number];
  const got = `[${l}, ${d}, ${r}]`;
  if (site === 0 && l !== 1) {
    throw new FormatError(
      field,
      `${got}: the left bond dimension of the first site must be 1 (open boundary)`,
    );
  }
  if (site === length - 1 && r !== 1) {
    throw new FormatError(
      field,
      `${got}: the right bond dimension of the last site must be 1 (open boundary)`,
    );
  }
  if (site > 0 && l !== bondDims[site - 1]) {
    throw new FormatError(
      field,
      `${got}: left bond dimension ${l} differs from bondDims[${site - 1}] = ${bondDims[site - 1]}`,
    );
  }
  if (d !== physicalDims[site]) {
    throw new FormatError(
      field,
      `${got}: physical dimension ${d} differs from physicalDims[${site}] = ${physicalDims[site]}`,
    );
  }
  if (site < length - 1 && r !== bondDims[site]) {
    throw new FormatError(
      field,
      `${got}: right bond dimension ${r} differs from bondDims[${site}] = ${bondDims[site]}`,
    );
  }
  return [l, d, r];
}

/** Throws unless `value` survives JSON.stringify + JSON.parse unchanged (up to -0). */
function checkMetadata(fn: string, value: unknown, path: string, ancestors: object[]): void {
  const fail = (expected: string): never => invalidArgument(fn, path, value, expected);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('JSON-safe data (numbers must be finite)');
    return;
  }
  if (typeof value !== 'object') {
    fail('JSON-safe data (null, booleans, strings, finite numbers, arrays and plain objects)');
  }
  const object = value as object;
  if (ancestors.includes(object)) fail('JSON-safe data without cycles');
  if (Array.isArray(object)) {
    ancestors.push(object);
    for (let i = 0; i < object.length; i++) {
      if (!(i in object))
        invalidArgument(
          fn,
          `${path}[${i}]`,
          undefined,
          'JSON-safe data (arrays must not have holes)',
        );
      checkMetadata(fn, object[i], `${path}[${i}]`, ancestors);
    }
    ancestors.pop();
    return;
  }
  if (!isPlainObject(object)) {
    fail('JSON-safe data (plain objects only: no class instances, Dates, Maps or typed arrays)');
  }
  if (Object.getOwnPropertySymbols(object).length > 0) fail('JSON-safe data (no symbol keys)');
  ancestors.push(object);
  for (const [key, child] of Object.entries(object)) {
    const childPath = /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
    checkMetadata(fn, child, childPath, ancestors);
  }
  ancestors.pop();
}

// ---------------------------------------------------------------------------------------------
// checksum: CRC-32 (IEEE 802.3, as zlib.crc32 / binascii.crc32) of the header line and the data

const CRC32_INIT = 0xffffffff;
let crcTable: Uint32Array | undefined;

function crc32Update(crc: number, bytes: Uint8Array): number {
  let table = crcTable;
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    crcTable = table;
  }
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

function crc32Hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

/** The ASCII text whose UTF-8 bytes precede the tensor bytes in the checksum (FORMAT.md). */
function checksumHeader(
  version: number,
  kind: MPSKind,
  length: number,
  physicalDims: readonly number[],
  bondDims: readonly number[],
  dtype: string,
): string {
  return (
    `${MPS_FILE_FORMAT}\nversion=${version}\nkind=${kind}\nlength=${length}\n` +
    `physicalDims=${physicalDims.join(',')}\nbondDims=${bondDims.join(',')}\ndtype=${dtype}\n`
  );
}

// ---------------------------------------------------------------------------------------------
// float64 <-> little-endian bytes

function float64ToBytes(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat64(k * 8, values[k]!, true);
  return bytes;
}

function bytesToFloat64(bytes: Uint8Array): Float64Array {
  const values = new Float64Array(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < values.length; k++) values[k] = view.getFloat64(k * 8, true);
  return values;
}

// ---------------------------------------------------------------------------------------------
// base64 (RFC 4648 section 4: standard alphabet, '=' padding, no line breaks)

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='
let base64Tables: { encode: Uint8Array; decode: Int8Array } | undefined;

function tables(): { encode: Uint8Array; decode: Int8Array } {
  if (base64Tables === undefined) {
    const encode = new Uint8Array(64);
    const decode = new Int8Array(128).fill(-1);
    for (let i = 0; i < 64; i++) {
      const c = BASE64_ALPHABET.charCodeAt(i);
      encode[i] = c;
      decode[c] = i;
    }
    base64Tables = { encode, decode };
  }
  return base64Tables;
}

function base64Encode(bytes: Uint8Array): string {
  const { encode } = tables();
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = encode[v >>> 18]!;
    out[o++] = encode[(v >>> 12) & 63]!;
    out[o++] = encode[(v >>> 6) & 63]!;
    out[o++] = encode[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out[o++] = encode[v >>> 18]!;
    out[o++] = encode[(v >>> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = encode[v >>> 18]!;
    out[o++] = encode[(v >>> 12) & 63]!;
    out[o++] = encode[(v >>> 6) & 63]!;
    out[o++] = PAD;
  }
  return new TextDecoder().decode(out);
}

function base64Decode(text: string, field: string): Uint8Array {
  const { decode } = tables();
  const len = text.length;
  if (len % 4 !== 0) {
    throw new FormatError(
      field,
      `invalid base64: length ${len} is not a multiple of 4 (truncated?)`,
    );
  }
  let pad = 0;
  if (len > 0 && text.charCodeAt(len - 1) === PAD) pad = text.charCodeAt(len - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((len / 4) * 3 - pad);
  const sextet = (pos: number): number => {
    const c = text.charCodeAt(pos);
    const v = c < 128 ? decode[c]! : -1;
    if (v < 0) throw badBase64Character(text, pos, field);
    return v;
  };
  const fullGroups = pad > 0 ? len - 4 : len;
  let o = 0;
  for (let i = 0; i < fullGroups; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    const a = c0 < 128 ? decode[c0]! : -1;
    const b = c1 < 128 ? decode[c1]! : -1;
    const c = c2 < 128 ? decode[c2]! : -1;
    const d = c3 < 128 ? decode[c3]! : -1;
    if ((a | b | c | d) < 0) {
      for (let k = 0; k < 4; k++) sextet(i + k);
    }
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (pad > 0) {
    const i = len - 4;
    const a = sextet(i);
    const b = sextet(i + 1);
    if (pad === 1) {
      const c = sextet(i + 2);
      if ((c & 3) !== 0) throw nonCanonical(field, i + 2);
      const v = (a << 18) | (b << 12) | (c << 6);
      out[o++] = v >>> 16;
      out[o++] = (v >>> 8) & 0xff;
    } else {
      if ((b & 15) !== 0) throw nonCanonical(field, i + 1);
      out[o++] = ((a << 18) | (b << 12)) >>> 16;
    }
  }
  return out;
}

function nonCanonical(field: string, pos: number): FormatError {
  return new FormatError(
    field,
    `invalid base64: non-canonical encoding, the unused low bits of the character at position ${pos} (before the padding) must be zero`,
  );
}

function badBase64Character(text: string, pos: number, field: string): FormatError {
  const ch = text[pos] ?? '';
  let reason = 'is not in the standard base64 alphabet (A-Z a-z 0-9 + /)';
  if (ch === '=') reason = 'is padding before the end of the data';
  else if (ch === '-' || ch === '_')
    reason = 'belongs to the URL-safe alphabet, which is not allowed (use + and /)';
  else if (/\s/.test(ch)) reason = 'is whitespace; line breaks and spaces are not allowed';
  return new FormatError(
    field,
    `invalid base64: character ${JSON.stringify(ch)} at position ${pos} ${reason}`,
  );
}
