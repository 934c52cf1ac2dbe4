/**
 * Parameter schemas: validation with clear errors, defaults, parsing of command-line text.
 */
import type { ParameterSchema, ParameterSpec, ParameterValues } from './contract';
import { describeIntegerRange, invalidArgument } from './errors';

/** What a valid value of `spec` looks like, as used in error messages and `--help`. */
export function describeParameterSpec(spec: ParameterSpec): string {
  switch (spec.type) {
    case 'integer':
      return describeIntegerRange(
        spec.minimum ?? Number.NEGATIVE_INFINITY,
        spec.maximum ?? Number.POSITIVE_INFINITY,
        spec.multipleOf ?? 1,
      );
    case 'number': {
      const lowOpen = spec.exclusiveMinimum !== undefined;
      const highOpen = spec.exclusiveMaximum !== undefined;
      const low = spec.exclusiveMinimum ?? spec.minimum;
      const high = spec.exclusiveMaximum ?? spec.maximum;
      if (low === undefined && high === undefined) return 'a finite number';
      if (high === undefined) return `a finite number ${lowOpen ? '>' : '>='} ${low}`;
      if (low === undefined) return `a finite number ${highOpen ? '<' : '<='} ${high}`;
      return `a finite number in ${lowOpen ? '(' : '['}${low}, ${high}${highOpen ? ')' : ']'}`;
    }
    case 'choice':
      return `one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  }
}

/** True when `value` is a valid value of `spec`. */
export function isValidParameterValue(spec: ParameterSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'integer':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        (spec.minimum === undefined || value >= spec.minimum) &&
        (spec.maximum === undefined || value <= spec.maximum) &&
        (spec.multipleOf === undefined || value % spec.multipleOf === 0)
      );
    case 'number':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (spec.minimum === undefined || value >= spec.minimum) &&
        (spec.maximum === undefined || value <= spec.maximum) &&
        (spec.exclusiveMinimum === undefined || value > spec.exclusiveMinimum) &&
        (spec.exclusiveMaximum === undefined || value < spec.exclusiveMaximum)
      );
    case 'choice':
      return typeof value === 'string' && spec.choices.includes(value);
  }
}

/**
 * Validates `input` against `schema`, fills in defaults and returns a fresh object. Throws an
 * InvalidArgumentError naming the parameter, `functionName` (the model id), the limit and the value,
 * e.g. "invalid argument: `sites` passed to `fredkin` must be an even integer >= 2 (got 7)".
 * Unknown names and missing parameters without a default are errors too.
 */
export function resolveParameters<P extends ParameterValues = ParameterValues>(
  functionName: string,
  schema: ParameterSchema,
  input: Readonly<Record<string, unknown>> | undefined,
): P {
  const given = input ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    invalidArgument(functionName, 'parameters', given, 'an object of parameter values');
  }
  const names = Object.keys(schema);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      invalidArgument(
        functionName,
        key,
        given[key],
        `one of the parameters ${names.map((n) => `\`${n}\``).join(', ')} (unknown parameter)`,
      );
    }
  }
  const out: ParameterValues = {};
  for (const name of names) {
    const spec = schema[name] as ParameterSpec;
    const value = given[name] === undefined ? spec.default : given[name];
    if (value === undefined) {
      invalidArgument(functionName, name, value, `${describeParameterSpec(spec)} (required)`);
    }
    if (!isValidParameterValue(spec, value)) {
      invalidArgument(functionName, name, value, describeParameterSpec(spec));
    }
    out[name] = value as number | string;
  }
  return out as P;
}

/**
 * Converts text values (command-line flags, form fields) to typed values by the schema: numbers
 * for `integer`/`number` entries, strings for `choice` entries. Text that is not a number stays
 * text, so that {@link resolveParameters} reports it with the usual message.
 */
export function parseParameters(
  schema: ParameterSchema,
  text: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(text)) {
    const spec = schema[name];
    if (spec === undefined || spec.type === 'choice') {
      out[name] = raw;
      continue;
    }
    // (a number value was a TypeError at trim)
    if (typeof raw !== 'string') {
      invalidArgument('parseParameters', `text.${name}`, raw, 'a string (the text of a value)');
    }
    const trimmed = raw.trim();
    // decimal numbers only: '0x10', '0b11' and '0o7' were read as 16, 3 and 7; the text is kept
    // as it is, and the schema's check then refuses it naming the parameter
    const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?infinity$|^nan$/i.test(trimmed);
    const value = decimal ? Number(trimmed) : Number.NaN;
    out[name] = Number.isNaN(value) && trimmed.toLowerCase() !== 'nan' ? raw : value;
  }
  return out;
}
