import type { ParameterValues } from '@latticediff/lattice';
import type { FlagSpec, FlagValues } from '../args';
import type { ModelChoice } from '../common';

/** What a command receives after parsing. */
export interface RunContext {
  readonly values: FlagValues;
  /** The model named on the command line, if any. */
  readonly choice: ModelChoice | undefined;
  /** Model parameters given as flags (schema names). */
  readonly parameters: ParameterValues;
  /** `run "latticediff <command> [model] --help" for ...` */
  readonly hint: string;
  readonly json: boolean;
  /** The positional arguments of a command that takes files (`files: true`). */
  readonly files: readonly string[];
}

/** One subcommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage lines (without the leading "latticediff "). */
  readonly usage: readonly string[];
  /** Whether the first positional argument is a model id. */
  readonly model: 'required' | 'optional' | 'none';
  /** Whether the (other) positional arguments are files, passed as `files` (default: none allowed). */
  readonly files?: boolean;
  readonly flags: readonly FlagSpec[];
  /** Extra paragraphs for --help. */
  readonly details?: readonly string[];
  run(context: RunContext): Promise<void>;
}
