/**
 * The error a resume raises when the saved state belongs to another run: a typed error, so that
 * a caller (the CLI, a notebook) can tell "this is someone else's state" from a broken file.
 */
import { LatticeDiffError } from '@latticediff/tensor-network';

/** A checkpoint holds the state of a run with another model, path, recipe or options. */
export class CheckpointMismatchError extends LatticeDiffError {
  static readonly errorName = 'LatticeDiffCheckpointMismatchError';
  /** The function that refused the checkpoint. */
  readonly functionName: string;
  /** What the checkpoint would have to be. */
  readonly expected: string;

  constructor(functionName: string, expected: string) {
    super(
      CheckpointMismatchError.errorName,
      `\`checkpoint\` passed to \`${functionName}\` holds the state of a different run (expected ${expected})`,
    );
    this.functionName = functionName;
    this.expected = expected;
  }

  static override isInstance(error: unknown): error is CheckpointMismatchError {
    return LatticeDiffError.isInstance(error) && error.name === CheckpointMismatchError.errorName;
  }
}
