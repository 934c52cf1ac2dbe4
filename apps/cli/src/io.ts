/**
 * Output helpers: progress bars on stderr (TTY only), tables, JSON, file checks.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@latticediff/monte-carlo/node';
import { outputError, quote, usage } from './errors';

/** A one-line progress bar on stderr, redrawn with \r; silent unless enabled. */
export interface Progress {
  update(done: number, note?: string): void;
  finish(): void;
}

/** Progress bars are drawn only on a terminal and never in --json mode. */
export function progressEnabled(json: boolean): boolean {
  return !json && process.stderr.isTTY === true && process.env.LATTICEDIFF_NO_PROGRESS !== '1';
}

export function createProgress(label: string, total: number, enabled: boolean): Progress {
  if (!enabled) return { update() {}, finish() {} };
  const start = performance.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, note?: string) => {
    const width = 24;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - start) / 1000;
    const eta = done > 0 && done < total ? (elapsed / done) * (total - done) : 0;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}${
      note ? ` ${note}` : ''
    } ${eta > 0 ? `eta ${formatSeconds(eta)}` : formatSeconds(elapsed)}`;
    const columns = process.stderr.columns || 100;
    process.stderr.write(`\r${line.slice(0, Math.max(10, columns - 1)).padEnd(columns - 1)}`);
    drawn = true;
  };
  return {
    update(done, note) {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      draw(done, note);
    },
    finish() {
      if (drawn) process.stderr.write(`\r${' '.repeat((process.stderr.columns || 100) - 1)}\r`);
    },
  };
}

/** A one-line activity indicator on stderr for work without a known fraction done. */
export interface Activity {
  /** Replaces the note after the label. */
  note(text: string): void;
  finish(): void;
}

const SPINNER = ['|', '/', '-', '\\'];

/**
 * A line `label <spinner> <elapsed> note` on stderr (cut at the terminal width, so the note
 * goes first), redrawn four times a second by a timer (so it moves only while the main thread
 * is free, e.g. while worker threads compute); silent unless enabled.
 */
export function createActivity(label: string, enabled: boolean, note = ''): Activity {
  if (!enabled) return { note() {}, finish() {} };
  const start = performance.now();
  let text = note;
  let frame = 0;
  const draw = () => {
    const elapsed = (performance.now() - start) / 1000;
    const line = `${label} ${SPINNER[frame++ % SPINNER.length]} ${formatSeconds(elapsed)}${text ? `  ${text}` : ''}`;
    const columns = process.stderr.columns || 100;
    process.stderr.write(`\r${line.slice(0, Math.max(10, columns - 1)).padEnd(columns - 1)}`);
  };
  draw();
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    note(value) {
      text = value;
    },
    finish() {
      clearInterval(timer);
      process.stderr.write(`\r${' '.repeat((process.stderr.columns || 100) - 1)}\r`);
    },
  };
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A plain aligned text table. Numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, k) => (/^[-+\d.]/.test(c) && k > 0 ? c.padStart(widths[k]!) : c.padEnd(widths[k]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A number for tables: fixed digits for ordinary magnitudes, exponent otherwise. */
export function num(value: number | undefined | null, digits = 4): string {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e6 || a < 10 ** -digits)) return value.toExponential(digits - 1);
  return value.toFixed(digits);
}

/** JSON with NaN and infinities as null (JSON.stringify does the same for NaN). */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'error';
}

/**
 * Checks that files can be created in `directory` by creating and removing an empty probe file
 * (permissions, read-only file systems and pseudo file systems are only known by trying).
 */
function checkDirectoryWritable(flag: string, path: string, directory: string): void {
  const probe = join(directory, `.latticediff-probe.${randomBytes(6).toString('hex')}.tmp`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    usage(
      `cannot write ${flag} ${quote(path)}: directory ${quote(directory)} is not writable (${errorCode(error)})`,
    );
  }
  rmSync(probe, { force: true });
}

/**
 * Refuses an existing file that this process may not replace (exit 2, naming the flag). A
 * missing file passes.
 */
export function assertReplaceable(flag: string, absolute: string, shown: string): void {
  try {
    accessSync(absolute, constants.W_OK);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    usage(
      `cannot write ${flag} ${quote(shown)}: it exists and is not writable (${errorCode(error)})`,
    );
  }
}

/**
 * Checks that `path` can be written: its directory exists and is writable, and `path` is not a
 * directory. Exit 2 otherwise, before any work is done. `readOnlyLater`: an existing read-only
 * file passes here, and the caller checks it with {@link assertReplaceable} once it knows that it
 * will write (`train` reuses a finished --out without writing it).
 */
export function checkWritablePath(
  flag: string,
  path: string,
  options: { readOnlyLater?: boolean } = {},
): string {
  const absolute = resolve(path);
  const directory = dirname(absolute);
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(directory);
  } catch {
    stat = undefined;
  }
  if (!stat) {
    usage(`cannot write ${flag} ${quote(path)}: directory ${quote(directory)} does not exist`);
  }
  if (!stat.isDirectory()) {
    usage(`cannot write ${flag} ${quote(path)}: ${quote(directory)} is a file, not a directory`);
  }
  try {
    const existing = statSync(absolute);
    if (existing.isDirectory()) usage(`cannot write ${flag} ${quote(path)}: it is a directory`);
    // a FIFO was read (to see whether it held a checkpoint) and hung; a device would be replaced
    // by the atomic rename
    if (!existing.isFile()) {
      usage(
        `cannot write ${flag} ${quote(path)}: it is not a regular file (a FIFO, device or socket)`,
      );
    }
    // a read-only file is not replaced (the atomic rename would, or fail at the end of the run)
    if (options.readOnlyLater !== true) assertReplaceable(flag, absolute, path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  checkDirectoryWritable(flag, path, directory);
  return absolute;
}

/**
 * Refuses to replace an existing `path` (already checked by checkWritablePath) unless its first
 * bytes show a file of the kind this command writes (`described`): a run must not overwrite a
 * user's file or a trained checkpoint (the checkpoint it reads, say) with its output.
 */
export function refuseForeignOverwrite(
  flag: string,
  path: string,
  shownPath: string,
  described: string,
  isOwn: (head: string) => boolean,
): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    if (errorCode(error) === 'EACCES') {
      usage(
        `${flag} ${quote(shownPath)} exists and is not readable (permission denied); refusing to overwrite it`,
      );
    }
    throw error;
  }
  const buffer = Buffer.alloc(4096);
  let read: number;
  try {
    read = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read === 0) return; // an empty file holds nothing to lose
  if (!isOwn(buffer.subarray(0, read).toString('utf8'))) {
    usage(
      `${flag} ${quote(shownPath)} exists and is not ${described}; refusing to overwrite it`,
      'choose another file or delete it',
    );
  }
}

/**
 * Makes sure `path` is a writable directory, creating missing levels one at a time (exit 2 if a
 * level is a file or cannot be created). Returns the absolute path.
 */
export function ensureDirectory(flag: string, path: string): string {
  const absolute = resolve(path);
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(current);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    }
    if (stat) {
      if (!stat.isDirectory()) {
        usage(
          current === absolute
            ? `cannot use ${flag} ${quote(path)}: it is a file, not a directory`
            : `cannot create ${flag} ${quote(path)}: ${quote(current)} is a file, not a directory`,
        );
      }
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        usage(
          `cannot create ${flag} ${quote(path)}: making directory ${quote(directory)} failed (${errorCode(error)})`,
        );
      }
    }
  }
  checkDirectoryWritable(flag, path, absolute);
  return absolute;
}

/**
 * Writes the output `path` of `flag` atomically; a file-system failure becomes one line naming
 * the flag and the path (`shown`: the path as the user wrote it, default `path`).
 */
export async function writeOutput(
  flag: string,
  path: string,
  text: string,
  shown: string = path,
): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (error) {
    throw outputError(flag, shown, error);
  }
}

// the one atomic writer (temporary file, fsync, rename, directory fsync) lives in monte-carlo
export { AtomicFileWriter, removeStaleTemporaries } from '@latticediff/monte-carlo/node';
