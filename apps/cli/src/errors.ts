/**
 * Errors of the command line. A {@link UsageError} is a mistake in the input (command, flags,
 * values, files): one line on stderr, exit code 2. Anything else that is not a LatticeDiffError is
 * an internal error: exit code 1.
 */

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

/** A problem with the user's input: printed as one line (plus an optional hint), exit code 2. */
export class UsageError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/**
 * A failure of the file system while an output was written (disk full, permissions changed, a
 * directory where the file goes), named by its flag and path: one line, exit code 1 like any
 * file-system failure during a run.
 */
export class OutputError extends Error {
  readonly code: string;

  constructor(flag: string, path: string, cause: NodeJS.ErrnoException) {
    // "ENOSPC: no space left on device, write" -> "no space left on device (ENOSPC, write)"
    const parts = /^([A-Z0-9_]+): (.*?), (\w+)\b/.exec(cause.message);
    const reason = parts
      ? `${parts[2]} (${parts[1]}, ${parts[3]})`
      : `${oneLine(cause.message)}${cause.code ? ` (${cause.code})` : ''}`;
    super(`cannot write ${flag} ${quote(path)}: ${reason}`, { cause });
    this.name = 'OutputError';
    this.code = cause.code ?? 'error';
  }
}

/**
 * `error` as an {@link OutputError} of `flag` and `path` when it is a file-system failure (an
 * error with a code and a syscall), otherwise unchanged.
 */
export function outputError(flag: string, path: string, error: unknown): unknown {
  const system = error as NodeJS.ErrnoException;
  return error instanceof Error &&
    !(error instanceof OutputError) &&
    typeof system.code === 'string' &&
    typeof system.syscall === 'string'
    ? new OutputError(flag, path, system)
    : error;
}

/** Throws a {@link UsageError}. */
export function usage(message: string, hint?: string): never {
  throw new UsageError(message, hint);
}

/** Text of a user-given value as it appears in messages: strings quoted, numbers as they are. */
export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The message on one line (library messages never span lines, but be safe). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Edit distance with transpositions (optimal string alignment), for "did you mean" suggestions:
 * `trian` is one edit from `train`.
 */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a small edit distance, if any. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(input.length / 3))
    ? best
    : undefined;
}
