/**
 * A strict command-line parser: `--name value`, `--name=value` and boolean `--name`; unknown
 * flags, missing values, repeated flags, wrong types and out-of-range values are
 * {@link UsageError}s that name the flag and the value.
 */
import type { ParameterSpec } from '@latticediff/lattice';
import { describeParameterSpec, isValidParameterValue } from '@latticediff/lattice';
import { quote, suggest, UsageError, usage } from './errors';

/** Kinds of flag values. */
export type FlagType = 'integer' | 'number' | 'string' | 'boolean' | 'choice';

/** One flag of a command. */
export interface FlagSpec {
  /** Name without the leading `--` (kebab-case). */
  readonly name: string;
  readonly type: FlagType;
  readonly description: string;
  /** Placeholder in help texts (`N`, `FILE`, ...). */
  readonly valueName?: string;
  /**
   * The value used when the flag is not given, read with {@link flagValue} (the one place it is
   * written: help shows it, and a test checks it against the flag's type and range).
   */
  readonly default?: string | number | boolean;
  /**
   * Help text of a default that depends on other flags or the model (the command applies it);
   * with `default`, a longer description of it.
   */
  readonly defaultText?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly choices?: readonly string[];
  readonly required?: boolean;
  /** For model parameters: the schema entry (validation and help come from it). */
  readonly parameter?: { readonly name: string; readonly spec: ParameterSpec };
  /**
   * Old names still accepted for one release (non-boolean flags): the value is read under
   * `name`, stderr says that the old name is deprecated, and giving both is refused.
   */
  readonly deprecatedAliases?: readonly string[];
}

/** Flags every command accepts. */
export const HELP_FLAG: FlagSpec = {
  name: 'help',
  type: 'boolean',
  description: 'show this help and exit',
};

/** The raw result of tokenizing: flags by name (in order) and positional arguments. */
export interface Tokens {
  readonly flags: Map<string, { readonly text: string | true; readonly token: string }>;
  readonly positionals: string[];
}

/**
 * Splits argv into flags and positionals. Every `--name` takes a value unless `name` is in
 * `booleans`; a value is the `=` part or the next argument (which must not start with `--`).
 * `-h` means `--help`; `--` ends the flags.
 */
export function tokenize(argv: readonly string[], booleans: ReadonlySet<string>): Tokens {
  const flags = new Map<string, { text: string | true; token: string }>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h') {
      flags.set('help', { text: true, token });
      continue;
    }
    if (!token.startsWith('--')) {
      if (token.startsWith('-') && token.length > 1 && !/^-[\d.]/.test(token)) {
        usage(
          `unknown option ${quote(token)} (flags are written --name)`,
          'run "latticediff --help" for the commands',
        );
      }
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    if (name === '' || !/^[a-zA-Z][\w-]*$/.test(name)) usage(`malformed flag ${quote(token)}`);
    if (flags.has(name)) usage(`--${name} is given more than once`);
    if (booleans.has(name)) {
      if (eq >= 0) usage(`--${name} takes no value (got ${quote(token.slice(eq + 1))})`);
      flags.set(name, { text: true, token });
      continue;
    }
    if (eq >= 0) {
      flags.set(name, { text: token.slice(eq + 1), token });
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      flags.set(name, { text: true, token });
      continue;
    }
    flags.set(name, { text: next, token });
    i++;
  }
  return { flags, positionals };
}

function describeRange(spec: FlagSpec): string {
  if (spec.parameter) return describeParameterSpec(spec.parameter.spec);
  const kind = spec.type === 'integer' ? 'an integer' : 'a finite number';
  const parts: string[] = [];
  if (spec.minimum !== undefined) parts.push(`>= ${spec.minimum}`);
  if (spec.exclusiveMinimum !== undefined) parts.push(`> ${spec.exclusiveMinimum}`);
  if (spec.maximum !== undefined) parts.push(`<= ${spec.maximum}`);
  return parts.length > 0 ? `${kind} ${parts.join(' and ')}` : kind;
}

/** What a valid value looks like (help texts and messages). */
export function expectedText(spec: FlagSpec): string {
  switch (spec.type) {
    case 'integer':
    case 'number':
      return describeRange(spec);
    case 'choice':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    case 'string':
      return `a ${spec.valueName?.toLowerCase() ?? 'value'}`;
    case 'boolean':
      return 'no value';
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseValue(spec: FlagSpec, text: string): string | number {
  const fail = (): never =>
    usage(`invalid value for --${spec.name}: ${quote(text)} (expected ${expectedText(spec)})`);
  if (spec.type === 'string') {
    if (text === '') fail();
    return text;
  }
  if (spec.type === 'choice') {
    if (!(spec.choices ?? []).includes(text)) fail();
    return text;
  }
  const trimmed = text.trim();
  // decimal notation only: Number() would also accept hexadecimal, binary and octal literals
  // ("0x10" is 16), which are almost always a typo here
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value)) fail();
  const outOfRange = (): never =>
    usage(`invalid value for --${spec.name}: ${trimmed} (expected ${expectedText(spec)})`);
  if (spec.parameter) {
    if (!isValidParameterValue(spec.parameter.spec, value)) {
      if (spec.parameter.spec.type === 'integer' && !Number.isInteger(value)) fail();
      outOfRange();
    }
    return value;
  }
  if (spec.type === 'integer' && !Number.isInteger(value)) fail();
  if (
    (spec.minimum !== undefined && value < spec.minimum) ||
    (spec.maximum !== undefined && value > spec.maximum) ||
    (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum)
  ) {
    outOfRange();
  }
  return value;
}

/** Parsed flag values by flag name. */
export type FlagValues = Record<string, string | number | boolean>;

/** The TypeScript type of a flag's value. */
export type FlagValueOf<S extends FlagSpec> = S['type'] extends 'integer' | 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : string;

/** A flag with a fixed default. */
export type DefaultedFlag = FlagSpec & { readonly default: string | number | boolean };

/** The flag's value: given, or its `default` (undefined for a flag without one, not given). */
export function flagValue<S extends DefaultedFlag>(values: FlagValues, spec: S): FlagValueOf<S>;
export function flagValue<S extends FlagSpec>(
  values: FlagValues,
  spec: S,
): FlagValueOf<S> | undefined;
export function flagValue(
  values: FlagValues,
  spec: FlagSpec,
): string | number | boolean | undefined {
  return values[spec.name] ?? spec.default;
}

/**
 * Why a flag's `default` is not a value the flag accepts (its type, range or choices), or
 * undefined when it is (checked by a test over every command's flags).
 */
export function defaultProblem(spec: FlagSpec): string | undefined {
  if (spec.default === undefined) return undefined;
  if (spec.type === 'boolean') {
    return typeof spec.default === 'boolean' ? undefined : 'not a boolean';
  }
  if ((spec.type === 'integer' || spec.type === 'number') !== (typeof spec.default === 'number')) {
    return `a ${typeof spec.default} for a flag of type ${spec.type}`;
  }
  try {
    const parsed = parseValue(spec, String(spec.default));
    return parsed === spec.default ? undefined : `reads back as ${parsed}`;
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

/**
 * Checks the tokens' flags against `specs`: unknown flags (with a suggestion), missing values,
 * types and ranges, required flags. `hint` is added to every message.
 */
export function readFlags(tokens: Tokens, specs: readonly FlagSpec[], hint: string): FlagValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const s of specs) for (const alias of s.deprecatedAliases ?? []) byName.set(alias, s);
  const out: FlagValues = {};
  for (const [given, { text }] of tokens.flags) {
    const spec = byName.get(given);
    let name = given;
    if (spec && spec.name !== given) {
      if (tokens.flags.has(spec.name)) {
        throw new UsageError(
          `--${given} is the deprecated name of --${spec.name}: give --${spec.name} only`,
          hint,
        );
      }
      process.stderr.write(
        `latticediff: --${given} is deprecated, use --${spec.name} (the old name goes in the next minor release)\n`,
      );
      name = spec.name;
    }
    if (!spec) {
      const close = suggest(
        name,
        specs.map((s) => s.name),
      );
      throw new UsageError(
        `unknown flag --${name}${close ? ` (did you mean --${close}?)` : ''}`,
        hint,
      );
    }
    if (spec.type === 'boolean') {
      out[name] = true;
      continue;
    }
    if (text === true)
      throw new UsageError(`missing value for --${name} (expected ${expectedText(spec)})`, hint);
    try {
      out[name] = parseValue(spec, text);
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(error.message, hint);
      throw error;
    }
  }
  for (const spec of specs) {
    if (spec.required && out[spec.name] === undefined) {
      throw new UsageError(
        `missing required flag --${spec.name}${spec.valueName ? ` ${spec.valueName}` : ''}`,
        hint,
      );
    }
  }
  return out;
}

/** Help lines for a list of flags, aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string[] {
  const rows = specs.map((s) => {
    const head = `--${s.name}${s.type === 'boolean' ? '' : ` ${s.valueName ?? valueNameOf(s)}`}`;
    const notes: string[] = [];
    if (s.required) notes.push('required');
    if (s.type === 'choice') notes.push(`one of ${(s.choices ?? []).join(', ')}`);
    else if ((s.type === 'integer' || s.type === 'number') && !s.parameter) {
      const range = describeRange(s);
      if (range !== 'an integer' && range !== 'a finite number') notes.push(range);
    } else if (s.parameter) notes.push(describeParameterSpec(s.parameter.spec));
    const shownDefault = s.defaultText ?? (s.default === undefined ? undefined : String(s.default));
    if (shownDefault !== undefined) notes.push(`default ${shownDefault}`);
    for (const alias of s.deprecatedAliases ?? []) notes.push(`--${alias}: deprecated old name`);
    return [head, `${s.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`] as const;
  });
  const width = Math.min(28, Math.max(0, ...rows.map(([h]) => h.length)));
  return rows.map(([h, d]) =>
    h.length > width ? `  ${h}\n  ${' '.repeat(width)}  ${d}` : `  ${h.padEnd(width)}  ${d}`,
  );
}

function valueNameOf(spec: FlagSpec): string {
  switch (spec.type) {
    case 'integer':
      return 'N';
    case 'number':
      return 'X';
    case 'choice':
      return (spec.choices ?? []).join('|');
    default:
      return 'VALUE';
  }
}

/** camelCase or snake_case parameter names as kebab-case flag names. */
export function flagName(parameter: string): string {
  return parameter
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}
