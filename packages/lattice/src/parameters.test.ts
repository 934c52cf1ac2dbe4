import { InvalidArgumentError } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type { ParameterSchema } from './contract';
import { describeParameterSpec, parseParameters, resolveParameters } from './parameters';

const schema: ParameterSchema = {
  sites: { type: 'integer', description: 'N', minimum: 2, multipleOf: 2, default: 8 },
  c: {
    type: 'number',
    description: 'rate',
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.5,
  },
  boundary: {
    type: 'choice',
    description: 'b',
    choices: ['cylinder', 'torus'],
    default: 'cylinder',
  },
  beta: { type: 'number', description: 'inverse temperature', minimum: 0 },
};

describe('resolveParameters', () => {
  it('fills defaults and keeps given values', () => {
    expect(resolveParameters('fredkin', schema, { beta: 0.5 })).toEqual({
      sites: 8,
      c: 0.5,
      boundary: 'cylinder',
      beta: 0.5,
    });
  });

  it('names the parameter, the limit and the value', () => {
    expect(() => resolveParameters('fredkin', schema, { sites: 7, beta: 1 })).toThrow(
      'invalid argument: `sites` passed to `fredkin` must be an even integer >= 2 (got 7)',
    );
    expect(() => resolveParameters('fredkin', schema, { c: 1, beta: 1 })).toThrow(
      'invalid argument: `c` passed to `fredkin` must be a finite number in (0, 1) (got 1)',
    );
    expect(() => resolveParameters('m', schema, { beta: Number.NaN })).toThrow(
      '`beta` passed to `m` must be a finite number >= 0 (got NaN)',
    );
    expect(() => resolveParameters('m', schema, {})).toThrow('(required)');
    expect(() => resolveParameters('m', schema, { beta: 1, boundary: 'klein' })).toThrow(
      'must be one of "cylinder", "torus" (got "klein")',
    );
    expect(() => resolveParameters('m', schema, { beta: 1, size: 3 })).toThrow(
      InvalidArgumentError,
    );
  });

  it('describes specs for help texts', () => {
    expect(
      describeParameterSpec({ type: 'integer', description: '', minimum: 2, maximum: 14 }),
    ).toBe('an integer in [2, 14]');
    expect(describeParameterSpec({ type: 'number', description: '' })).toBe('a finite number');
  });
});

describe('parseParameters', () => {
  it('converts flag text by type and leaves bad text for validation to report', () => {
    expect(
      parseParameters(schema, { sites: '12', c: '0.25', boundary: 'torus', beta: 'x' }),
    ).toEqual({
      sites: 12,
      c: 0.25,
      boundary: 'torus',
      beta: 'x',
    });
    expect(() => resolveParameters('m', schema, parseParameters(schema, { beta: 'x' }))).toThrow(
      '(got "x")',
    );
  });

  it('reads decimal numbers only, and refuses a value that is not text (an audit)', () => {
    // '0x10' and '0b11' were read as 16 and 3
    expect(parseParameters(schema, { sites: '0x10', c: '0b11' })).toEqual({
      sites: '0x10',
      c: '0b11',
    });
    expect(parseParameters(schema, { sites: '+12', c: '.5', beta: '1e-2' })).toEqual({
      sites: 12,
      c: 0.5,
      beta: 0.01,
    });
    // (a number value was a TypeError)
    expect(() => parseParameters(schema, { sites: 12 as never })).toThrow(
      '`text.sites` passed to `parseParameters` must be a string',
    );
  });
});
