/**
 * Output helpers: progress bars on stderr (TTY only), tables, JSON, file checks.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { quote, usage } from './errors';

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

/** Checks that `path` can be written (its directory exists); exit 2 otherwise. */
export function checkWritablePath(flag: string, path: string): string {
  const absolute = resolve(path);
  const directory = dirname(absolute);
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(directory);
  } catch {
    stat = undefined;
  }
  if (!stat?.isDirectory()) {
    usage(`cannot write ${flag} ${quote(path)}: directory ${quote(directory)} does not exist`);
  }
  try {
    if (statSync(absolute).isDirectory())
      usage(`cannot write ${flag} ${quote(path)}: it is a directory`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return absolute;
}

/** Removes temporary files of {@link writeFileAtomic} left by a killed run for `path`. */
export function removeStaleTemporaries(path: string): void {
  const directory = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      rmSync(join(directory, name), { force: true });
    }
  }
}
