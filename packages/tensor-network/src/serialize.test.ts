import { describe, expect, it } from 'vitest';
import { FormatError, InvalidArgumentError } from './errors';
import { MPS, type MPSKind, randomMPS } from './mps';
import {
  deserializeMPS,
  MPS_FILE_FORMAT,
  MPS_FILE_VERSION,
  type MPSMetadata,
  serializeMPS,
} from './serialize';

// ---------------------------------------------------------------------------------------------
// independent reference implementations (bitwise CRC-32 as zlib.crc32, base64 via btoa/atob)

function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function bytesOf(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, k) => {
    view.setFloat64(k * 8, v, true);
  });
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

interface TensorRecord {
  [key: string]: unknown;
  shape: unknown;
  data: unknown;
}

interface FileObject {
  [key: string]: unknown;
  physicalDims: unknown;
  bondDims: unknown;
  tensors: TensorRecord[];
}

/** The checksum of a file object computed from the spec in FORMAT.md. */
function specChecksum(f: FileObject): string {
  const header =
    `latticediff.mps\nversion=${f.version}\nkind=${f.kind}\nlength=${f.length}\n` +
    `physicalDims=${(f.physicalDims as number[]).join(',')}\n` +
    `bondDims=${(f.bondDims as number[]).join(',')}\ndtype=${f.dtype}\n`;
  let crc = crc32(new TextEncoder().encode(header));
  for (const t of f.tensors) crc = crc32(fromBase64(t.data as string), crc);
  return crc.toString(16).padStart(8, '0');
}

/** Re-stringifies an edited file object with a correct checksum. */
function resign(f: FileObject): string {
  return JSON.stringify({ ...f, checksum: specChecksum(f) });
}

function bits(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameMPS(a: MPS, b: MPS): void {
  expect(b.kind).toBe(a.kind);
  expect(b.length).toBe(a.length);
  expect(b.physicalDims).toEqual(a.physicalDims);
  expect(b.bondDims).toEqual(a.bondDims);
  for (let i = 0; i < a.length; i++) {
    expect(b.siteShape(i)).toEqual(a.siteShape(i));
    expect(bits(b.tensors[i]!)).toEqual(bits(a.tensors[i]!));
  }
}

function expectFormatError(run: () => unknown, field: string, messagePart?: string): FormatError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a FormatError for ${field}`).toBeInstanceOf(FormatError);
  const error = caught as FormatError;
  expect(FormatError.isInstance(error)).toBe(true);
  expect(error.field).toBe(field);
  expect(error.message).toContain(`${field}:`);
  if (messagePart !== undefined) expect(error.message).toContain(messagePart);
  return error;
}

// ---------------------------------------------------------------------------------------------

const small = randomMPS({ length: 4, physicalDim: 2, bondDim: 3, kind: 'linear', seed: 5 });
const smallBorn = randomMPS({ length: 3, physicalDim: 3, bondDim: 2, kind: 'born', seed: 6 });

function parsed(mps: MPS = small, metadata?: MPSMetadata): FileObject {
  return JSON.parse(serializeMPS(mps, metadata === undefined ? {} : { metadata })) as FileObject;
}

describe('round trip', () => {
  const cases: { kind: MPSKind; d: number; n: number; chi: number }[] = [];
  for (const kind of ['linear', 'born'] as const) {
    for (const d of [2, 3]) {
      for (const [n, chi] of [
        [1, 1],
        [2, 1],
        [5, 2],
        [8, 4],
        [12, 7],
      ] as const) {
        cases.push({ kind, d, n, chi });
      }
    }
  }

  it.each(cases)(
    'is exact for a random MPS ($kind, d=$d, N=$n, chi=$chi)',
    ({ kind, d, n, chi }) => {
      const mps = randomMPS({
        length: n,
        physicalDim: d,
        bondDim: chi,
        kind,
        seed: 100 * n + chi + d,
        spread: 3,
      });
      const text = serializeMPS(mps);
      const { mps: back, metadata } = deserializeMPS(text);
      expectSameMPS(mps, back);
      expect(metadata).toEqual({});
      // writing the read MPS gives the same text again
      expect(serializeMPS(back)).toBe(text);
    },
  );

  it('is exact for a larger MPS', () => {
    const mps = randomMPS({ length: 20, physicalDim: 3, bondDim: 16, kind: 'born', seed: 9 });
    expectSameMPS(mps, deserializeMPS(serializeMPS(mps)).mps);
  });

  const special = [
    -0,
    0,
    5e-324,
    -5e-324,
    2.225073858507201e-308, // largest subnormal
    2.2250738585072014e-308, // smallest normal
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.EPSILON,
    1 + Number.EPSILON,
    0.1,
    1 / 3,
    Math.PI,
    -12345.678,
  ];

  it('is exact for special values in a born MPS', () => {
    const mps = MPS.fromTensors(
      [
        { shape: [1, 2, special.length / 2], data: special },
        { shape: [special.length / 2, 2, 1], data: [...special].reverse() },
      ],
      { kind: 'born' },
    );
    const back = deserializeMPS(serializeMPS(mps)).mps;
    expectSameMPS(mps, back);
    special.forEach((v, k) => {
      expect(Object.is(back.tensors[0]![k], v)).toBe(true);
    });
    expect(Object.is(back.tensors[0]![0], -0)).toBe(true);
  });

  it('is exact for special non-negative values (and -0) in a linear MPS', () => {
    const values = special.filter((v) => !(v < 0));
    expect(values).toContain(-0);
    const mps = MPS.fromTensors([{ shape: [1, values.length, 1], data: values }], {
      kind: 'linear',
    });
    const back = deserializeMPS(serializeMPS(mps)).mps;
    expectSameMPS(mps, back);
    values.forEach((v, k) => {
      expect(Object.is(back.tensors[0]![k], v)).toBe(true);
    });
  });

  it('follows the documented layout: little-endian bytes, standard base64, CRC-32 of header and data', () => {
    const f = parsed(smallBorn);
    expect(f.format).toBe(MPS_FILE_FORMAT);
    expect(f.version).toBe(MPS_FILE_VERSION);
    expect(f.dtype).toBe('float64-le');
    expect(f.length).toBe(3);
    expect(f.physicalDims).toEqual([3, 3, 3]);
    expect(f.bondDims).toEqual(smallBorn.bondDims);
    f.tensors.forEach((t, i) => {
      expect(Object.keys(t)).toEqual(['shape', 'data']);
      expect(t.shape).toEqual(smallBorn.siteShape(i));
      expect(t.data).toBe(toBase64(bytesOf([...smallBorn.tensors[i]!])));
    });
    expect(f.checksum).toBe(specChecksum(f));
    expect(f.checksum).toMatch(/^[0-9a-f]{8}$/);
  });

  it('uses the zlib CRC-32 (reference check of the test helper)', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
    const a = new TextEncoder().encode('1234');
    const b = new TextEncoder().encode('56789');
    expect(crc32(b, crc32(a))).toBe(0xcbf43926);
  });

  it('accepts any key order and whitespace, and a leading byte-order mark', () => {
    const f = parsed(small);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(f).reverse()), null, 3);
    expectSameMPS(small, deserializeMPS(reordered).mps);
    expectSameMPS(small, deserializeMPS(`\ufeff${serializeMPS(small)}`).mps);
  });

  it('puts the header first and ends with a newline', () => {
    const text = serializeMPS(small, { metadata: { id: 'x' } });
    expect(text.startsWith('{\n  "format": "latticediff.mps",\n  "version": 1,\n')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"metadata"')).toBeLessThan(text.indexOf('"tensors"'));
  });
});

describe('metadata', () => {
  const metadata: MPSMetadata = {
    modelId: 'ising-2d/run-17',
    parameters: { beta: 0.44068679350977147, lattice: [16, 16], periodic: true, field: null },
    training: {
      step: 12345,
      losses: [0.5, 1e-300, 1e300, -2.5, 0.1 + 0.2],
      optimizer: { name: 'adam' },
    },
    unicode: 'Größe — 格子 🧮',
    nested: [[{ a: [] }], {}],
    'key with spaces': 1,
  };

  it('round-trips', () => {
    const text = serializeMPS(small, { metadata });
    const back = deserializeMPS(text);
    expect(back.metadata).toEqual(metadata);
    expectSameMPS(small, back.mps);
    expect(serializeMPS(back.mps, { metadata: back.metadata })).toBe(text);
  });

  it('is {} when absent and is stored when empty', () => {
    expect(deserializeMPS(serializeMPS(small)).metadata).toEqual({});
    expect(parsed(small, {}).metadata).toEqual({});
    expect('metadata' in parsed(small)).toBe(false);
  });

  it('is not covered by the checksum', () => {
    const f = parsed(small, { a: 1 });
    f.metadata = { a: 2 };
    expect(deserializeMPS(JSON.stringify(f)).metadata).toEqual({ a: 2 });
  });

  const holey: number[] = new Array(3);
  holey[0] = 1;
  holey[2] = 3;
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: [string, unknown, string][] = [
    ['NaN', { x: Number.NaN }, 'metadata.x'],
    ['Infinity', { list: [1, Number.POSITIVE_INFINITY] }, 'metadata.list[1]'],
    ['undefined', { x: undefined }, 'metadata.x'],
    ['a function', { f: () => 1 }, 'metadata.f'],
    ['a bigint', { n: 1n }, 'metadata.n'],
    ['a Date', { when: new Date(0) }, 'metadata.when'],
    ['a Map', { m: new Map() }, 'metadata.m'],
    ['a typed array', { t: new Float64Array(2) }, 'metadata.t'],
    ['an array hole', { h: holey }, 'metadata.h[1]'],
    ['a cycle', cyclic, 'metadata.self'],
    ['an array as metadata', [1, 2], 'metadata'],
    ['a string as metadata', 'hello', 'metadata'],
    ['null as metadata', null, 'metadata'],
  ];
  it.each(bad)('rejects %s when writing', (_name, value, argument) => {
    let caught: unknown;
    try {
      serializeMPS(small, { metadata: value as MPSMetadata });
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as InvalidArgumentError).argument).toBe(argument);
  });
});

describe('writer arguments', () => {
  it('rejects a non-MPS', () => {
    expect(() => serializeMPS({} as MPS)).toThrow(InvalidArgumentError);
  });
  it('deserializeMPS rejects a non-string', () => {
    expect(() => deserializeMPS(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});

describe('rejections', () => {
  type Edit = (f: FileObject) => void;
  const text = (edit: Edit, mps: MPS = small): string => {
    const f = parsed(mps);
    edit(f);
    return JSON.stringify(f);
  };

  it.each([
    ['not JSON', 'hello world'],
    ['empty', ''],
    ['whitespace', '  \n'],
    ['a JSON array', '[1, 2, 3]'],
    ['JSON null', 'null'],
    ['a JSON string', '"latticediff.mps"'],
    ['a JSON number', '1'],
  ])('the document when it is %s', (_name, input) => {
    expectFormatError(() => deserializeMPS(input), 'document');
  });

  it('says that truncated text looks truncated', () => {
    const full = serializeMPS(small);
    expectFormatError(() => deserializeMPS(full.slice(0, 100)), 'document', 'truncated');
  });

  it('truncated text at every cut point', () => {
    const full = serializeMPS(small, { metadata: { note: 'x' } });
    // the text ends in "}\n": every strictly shorter prefix that loses the "}" is invalid
    for (let cut = 0; cut < full.length - 1; cut++) {
      expect(() => deserializeMPS(full.slice(0, cut)), `cut at ${cut}`).toThrow(FormatError);
    }
    for (const cut of [
      1,
      10,
      Math.floor(full.length / 3),
      Math.floor(full.length / 2),
      full.length - 2,
    ]) {
      expectFormatError(() => deserializeMPS(full.slice(0, cut)), 'document');
    }
  });

  const cases: [string, Edit, string, string?][] = [
    ['format missing', (f) => delete f.format, 'format', 'missing'],
    ['format wrong', (f) => (f.format = 'latticediff.tt'), 'format', '"latticediff.mps"'],
    ['format not a string', (f) => (f.format = 1), 'format'],
    ['version missing', (f) => delete f.version, 'version', 'missing'],
    ['version newer', (f) => (f.version = 2), 'version', 'supports version 1'],
    ['version much newer', (f) => (f.version = 17), 'version', 'unsupported version 17'],
    ['version 0', (f) => (f.version = 0), 'version'],
    ['version fractional', (f) => (f.version = 1.5), 'version'],
    ['version a string', (f) => (f.version = '1'), 'version'],
    ['an unknown top-level field', (f) => (f.extra = true), 'extra', 'unknown field'],
    ['kind missing', (f) => delete f.kind, 'kind', 'missing'],
    ['kind unknown', (f) => (f.kind = 'quantum'), 'kind', 'unknown kind "quantum"'],
    ['kind not a string', (f) => (f.kind = 0), 'kind'],
    ['length missing', (f) => delete f.length, 'length', 'missing'],
    ['length 0', (f) => (f.length = 0), 'length'],
    ['length negative', (f) => (f.length = -4), 'length'],
    ['length fractional', (f) => (f.length = 3.5), 'length'],
    ['length a string', (f) => (f.length = '4'), 'length'],
    ['length larger than the data', (f) => (f.length = 5), 'physicalDims', 'length (5)'],
    ['physicalDims missing', (f) => delete f.physicalDims, 'physicalDims', 'missing'],
    ['physicalDims not an array', (f) => (f.physicalDims = 2), 'physicalDims'],
    [
      'physicalDims too short',
      (f) => (f.physicalDims = [2, 2, 2]),
      'physicalDims',
      'has 3 entries',
    ],
    [
      'physicalDims too long',
      (f) => (f.physicalDims = [2, 2, 2, 2, 2]),
      'physicalDims',
      'has 5 entries',
    ],
    [
      'physicalDims entry 1',
      (f) => ((f.physicalDims as number[])[1] = 1),
      'physicalDims[1]',
      '>= 2',
    ],
    [
      'physicalDims entry fractional',
      (f) => ((f.physicalDims as number[])[2] = 2.5),
      'physicalDims[2]',
    ],
    [
      'physicalDims entry a string',
      (f) => ((f.physicalDims as unknown[])[0] = '2'),
      'physicalDims[0]',
    ],
    ['bondDims missing', (f) => delete f.bondDims, 'bondDims', 'missing'],
    ['bondDims not an array', (f) => (f.bondDims = '2,3,2'), 'bondDims'],
    ['bondDims of length N', (f) => (f.bondDims = [2, 3, 2, 1]), 'bondDims', 'length - 1 (3)'],
    ['bondDims entry 0', (f) => ((f.bondDims as number[])[0] = 0), 'bondDims[0]', '>= 1'],
    ['dtype missing', (f) => delete f.dtype, 'dtype', 'missing'],
    ['dtype float32', (f) => (f.dtype = 'float32-le'), 'dtype', 'float32-le'],
    ['dtype big-endian', (f) => (f.dtype = 'float64-be'), 'dtype'],
    ['checksum missing', (f) => delete f.checksum, 'checksum', 'missing'],
    ['checksum not hex', (f) => (f.checksum = 'xyz12345'), 'checksum', 'hexadecimal'],
    ['checksum short', (f) => (f.checksum = 'abc'), 'checksum'],
    [
      'checksum uppercase',
      (f) => (f.checksum = (f.checksum as string).toUpperCase().replace(/^./, 'A')),
      'checksum',
    ],
    ['checksum a number', (f) => (f.checksum = 12345678), 'checksum'],
    ['checksum wrong', (f) => (f.checksum = '00000000'), 'checksum', 'mismatch'],
    ['metadata an array', (f) => (f.metadata = [1]), 'metadata', 'JSON object'],
    ['metadata null', (f) => (f.metadata = null), 'metadata'],
    ['metadata a string', (f) => (f.metadata = 'model'), 'metadata'],
    ['tensors missing', (f) => delete (f as Partial<FileObject>).tensors, 'tensors', 'missing'],
    ['tensors not an array', (f) => ((f as { tensors: unknown }).tensors = {}), 'tensors'],
    ['too few tensors', (f) => f.tensors.pop(), 'tensors', 'has 3 tensors but length is 4'],
    ['too many tensors', (f) => f.tensors.push(f.tensors[3]!), 'tensors', 'has 5 tensors'],
    ['a tensor not an object', (f) => ((f.tensors as unknown[])[1] = 'abc'), 'tensors[1]'],
    ['a tensor as an array', (f) => ((f.tensors as unknown[])[1] = [[1]]), 'tensors[1]'],
    [
      'a tensor with an extra field',
      (f) => (f.tensors[2]!.dtype = 'x'),
      'tensors[2].dtype',
      'unknown field',
    ],
    [
      'a tensor without shape',
      (f) => delete (f.tensors[2] as Partial<TensorRecord>).shape,
      'tensors[2].shape',
      'missing',
    ],
    [
      'a shape with 2 entries',
      (f) => (f.tensors[1]!.shape = [2, 2]),
      'tensors[1].shape',
      'three positive integers',
    ],
    ['a shape with a 0', (f) => (f.tensors[1]!.shape = [2, 0, 3]), 'tensors[1].shape'],
    [
      'a shape with another physical dim',
      (f) => (f.tensors[1]!.shape = [2, 3, 3]),
      'tensors[1].shape',
      'physicalDims[1] = 2',
    ],
    [
      'a shape with another left bond',
      (f) => (f.tensors[2]!.shape = [2, 2, 2]),
      'tensors[2].shape',
      'bondDims[1] = 3',
    ],
    [
      'a shape with another right bond',
      (f) => (f.tensors[1]!.shape = [2, 2, 2]),
      'tensors[1].shape',
      'bondDims[1] = 3',
    ],
    [
      'a left boundary bond != 1',
      (f) => (f.tensors[0]!.shape = [2, 2, 2]),
      'tensors[0].shape',
      'open boundary',
    ],
    [
      'a right boundary bond != 1',
      (f) => (f.tensors[3]!.shape = [2, 2, 2]),
      'tensors[3].shape',
      'open boundary',
    ],
    [
      'a tensor without data',
      (f) => delete (f.tensors[1] as Partial<TensorRecord>).data,
      'tensors[1].data',
      'missing',
    ],
    [
      'data not a string',
      (f) => (f.tensors[1]!.data = [1, 2, 3]),
      'tensors[1].data',
      'base64 string',
    ],
    [
      'data with an invalid character',
      (f) => (f.tensors[1]!.data = `!${(f.tensors[1]!.data as string).slice(1)}`),
      'tensors[1].data',
      'character "!" at position 0',
    ],
    [
      'data with a line break',
      (f) =>
        (f.tensors[1]!.data =
          `${(f.tensors[1]!.data as string).slice(0, 8)}\n${(f.tensors[1]!.data as string).slice(9)}`),
      'tensors[1].data',
      'whitespace',
    ],
    [
      'data in URL-safe base64',
      (f) => (f.tensors[1]!.data = `-${(f.tensors[1]!.data as string).slice(1)}`),
      'tensors[1].data',
      'URL-safe',
    ],
    [
      'data with inner padding',
      (f) => (f.tensors[1]!.data = `AAA=${f.tensors[1]!.data as string}`),
      'tensors[1].data',
      'padding',
    ],
    [
      'data of a length not a multiple of 4',
      (f) => (f.tensors[1]!.data = `${f.tensors[1]!.data as string}A`),
      'tensors[1].data',
      'multiple of 4',
    ],
    [
      'data with one entry fewer',
      (f) => (f.tensors[1]!.data = toBase64(fromBase64(f.tensors[1]!.data as string).slice(8))),
      'tensors[1].data',
      'expected 96',
    ],
    [
      'data with 3 bytes more',
      (f) =>
        (f.tensors[0]!.data = toBase64(
          new Uint8Array([...fromBase64(f.tensors[0]!.data as string), 1, 2, 3]),
        )),
      'tensors[0].data',
      'decodes to 35 bytes, expected 32',
    ],
    ['empty data', (f) => (f.tensors[0]!.data = ''), 'tensors[0].data', 'decodes to 0 bytes'],
  ];

  it.each(cases)('%s', (_name, edit, field, part) => {
    expectFormatError(() => deserializeMPS(text(edit)), field, part);
  });

  it('non-canonical base64 in the last group', () => {
    // tensors[0] of `small` has 32 bytes: the last group holds 2 bytes and one '='
    const f = parsed(small);
    const data = f.tensors[0]!.data as string;
    expect(data).toMatch(/[A-Za-z0-9+/]=$/);
    const last = data.charCodeAt(data.length - 2);
    const bumped =
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(
        String.fromCharCode(last),
      ) ^ 1;
    f.tensors[0]!.data =
      `${data.slice(0, -2)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[bumped]}=`;
    expectFormatError(() => deserializeMPS(JSON.stringify(f)), 'tensors[0].data', 'non-canonical');

    // a 16-byte tensor: the last group holds 1 byte and '=='
    const tiny = MPS.fromTensors([{ shape: [1, 2, 1], data: [0.5, 0.25] }], { kind: 'born' });
    const g = parsed(tiny);
    const tinyData = g.tensors[0]!.data as string;
    expect(tinyData).toMatch(/[AQgw]==$/);
    const c = tinyData[tinyData.length - 3]!;
    g.tensors[0]!.data = `${tinyData.slice(0, -3)}${String.fromCharCode(c.charCodeAt(0) + 1)}==`;
    expectFormatError(() => deserializeMPS(JSON.stringify(g)), 'tensors[0].data', 'non-canonical');
    expectSameMPS(tiny, deserializeMPS(serializeMPS(tiny)).mps);
  });

  const withEntry = (kind: MPSKind, value: number): string => {
    const f = parsed(kind === 'linear' ? small : smallBorn);
    const values = [...bytesToValues(fromBase64(f.tensors[1]!.data as string))];
    values[5] = value;
    f.tensors[1]!.data = toBase64(bytesOf(values));
    return resign(f);
  };

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('a %s entry (with a valid checksum)', (name, value) => {
    for (const kind of ['linear', 'born'] as const) {
      const error = expectFormatError(
        () => deserializeMPS(withEntry(kind, value)),
        'tensors[1].data',
        `is ${name}`,
      );
      expect(error.message).toContain('entry 5');
    }
  });

  it('a negative entry in a linear MPS (with a valid checksum), but not in a born MPS', () => {
    expectFormatError(
      () => deserializeMPS(withEntry('linear', -0.25)),
      'tensors[1].data',
      'negative (-0.25)',
    );
    expectFormatError(
      () => deserializeMPS(withEntry('linear', -5e-324)),
      'tensors[1].data',
      'negative',
    );
    const born = deserializeMPS(withEntry('born', -0.25)).mps;
    expect(born.tensors[1]![5]).toBe(-0.25);
    // -0 is not negative
    expect(Object.is(deserializeMPS(withEntry('linear', -0)).mps.tensors[1]![5], -0)).toBe(true);
  });

  it('valid edits that are re-signed are accepted', () => {
    const f = parsed(small);
    f.kind = 'born';
    expect(deserializeMPS(resign(f)).mps.kind).toBe('born');
  });
});

function bytesToValues(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.length / 8 }, (_, k) => view.getFloat64(k * 8, true));
}

describe('corruption', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  it('flipping any one character of the data is detected', () => {
    for (const mps of [small, smallBorn]) {
      const f = parsed(mps);
      f.tensors.forEach((t, i) => {
        const data = t.data as string;
        for (let pos = 0; pos < data.length; pos++) {
          const original = data[pos]!;
          if (original === '=') continue;
          const replacement = alphabet[(alphabet.indexOf(original) + 1 + (pos % 63)) % 64]!;
          const flipped = {
            ...f,
            tensors: f.tensors.map((r, j) =>
              j === i ? { ...r, data: data.slice(0, pos) + replacement + data.slice(pos + 1) } : r,
            ),
          };
          const run = () => deserializeMPS(JSON.stringify(flipped));
          // inside the final padded group a flip may only touch unused bits: then it is non-canonical base64
          const lastGroup = data.endsWith('=') && pos >= data.length - 4;
          if (lastGroup) expect(run).toThrow(FormatError);
          else expectFormatError(run, 'checksum', 'mismatch');
        }
      });
    }
  });

  it('flipping one character in the serialized text (data region) is detected', () => {
    const full = serializeMPS(smallBorn);
    const start = full.indexOf('"data":"') + 8 + 10;
    const c = full[start]!;
    const flipped = full.slice(0, start) + (c === 'A' ? 'B' : 'A') + full.slice(start + 1);
    expectFormatError(() => deserializeMPS(flipped), 'checksum', 'mismatch');
  });

  it('edited header fields are detected by the checksum', () => {
    // a positive born MPS relabelled as linear would be a valid file without the checksum
    const positive = randomMPS({ length: 3, bondDim: 2, kind: 'linear', seed: 1 });
    const asBorn = MPS.fromTensors(
      positive.tensors.map((data, i) => ({ shape: positive.siteShape(i), data })),
      { kind: 'born' },
    );
    const f = parsed(asBorn);
    f.kind = 'linear';
    expectFormatError(() => deserializeMPS(JSON.stringify(f)), 'checksum', 'mismatch');
  });

  it('swapped tensors are detected by the checksum', () => {
    const mps = randomMPS({ length: 4, bondDim: 1, kind: 'linear', seed: 2 });
    const f = parsed(mps);
    [f.tensors[1], f.tensors[2]] = [f.tensors[2]!, f.tensors[1]!];
    expectFormatError(() => deserializeMPS(JSON.stringify(f)), 'checksum', 'mismatch');
  });
});
