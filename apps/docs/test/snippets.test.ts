/**
 * The JavaScript snippets of the documentation run as written: every ```js block of docs/**.md is
 * saved as an .mjs file inside this package (so `@latticediff/...` resolves to the built
 * workspace packages, as in a project that installed them) and run with node. Where the block is
 * followed by an "Output:" text block, the deterministic lines of that output must match. The
 * repository's examples/quickstart.mjs (which getting-started shortens) runs too. TypeScript
 * blocks are fenced as ```ts and say so; they are not run here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const app = fileURLToPath(new URL('..', import.meta.url));
const root = join(app, '..', '..');
const docs = join(root, 'docs');
const scratch = join(app, 'test-results', 'snippets');

interface Snippet {
  page: string;
  index: number;
  code: string;
  /** the ```text block right after "Output:" following the snippet, if any */
  output?: string;
}

/** The ```js / ```javascript blocks of a Markdown page, with their documented output. */
function jsSnippets(page: string, markdown: string): Snippet[] {
  const found: Snippet[] = [];
  const fence = /^```(\w*)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  const blocks = [...markdown.matchAll(fence)];
  blocks.forEach((block, k) => {
    const language = block[1];
    if (language !== 'js' && language !== 'javascript') return;
    const next = blocks[k + 1];
    const between = next
      ? markdown.slice(block.index + block[0].length, next.index).trim()
      : undefined;
    found.push({
      page,
      index: found.length,
      code: block[2]!,
      output: next && next[1] === 'text' && between === 'Output:' ? next[2] : undefined,
    });
  });
  return found;
}

function markdownPages(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.md') && !f.split(/[\\/]/).includes('api'))
    .map((f) => join(dir, f))
    .sort();
}

function runNode(file: string) {
  const r = spawnSync(process.execPath, [file], {
    cwd: app,
    encoding: 'utf8',
    // a hang guard for a snippet of about a second, not a speed check
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines of the documented output whose numbers do not depend on floating-point rounding. */
function deterministicLines(output: string): string[] {
  return output
    .trimEnd()
    .split('\n')
    .filter((line) => !/\d\.\d+e-\d+/.test(line));
}

const snippets = markdownPages(docs).flatMap((path) =>
  jsSnippets(relative(docs, path), readFileSync(path, 'utf8')),
);

describe('JavaScript snippets of the docs run as written', () => {
  it('getting-started has its first library example as a JavaScript snippet', () => {
    expect(snippets.filter((s) => s.page === 'getting-started.md').length).toBeGreaterThan(0);
  });

  for (const snippet of snippets) {
    it(`${snippet.page} snippet ${snippet.index + 1}`, () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `${snippet.page.replace(/[\\/.]/g, '-')}-${snippet.index}.mjs`);
      writeFileSync(file, snippet.code);
      const r = runNode(file);
      expect(r.code, r.stderr).toBe(0);
      if (snippet.output !== undefined) {
        const printed = r.stdout.trimEnd().split('\n');
        expect(printed).toHaveLength(snippet.output.trimEnd().split('\n').length);
        for (const line of deterministicLines(snippet.output)) expect(printed).toContain(line);
      }
    });
  }

  it('examples/quickstart.mjs runs', () => {
    const r = runNode(join(root, 'examples', 'quickstart.mjs'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('worker pool reproduces the single-threaded samples: true');
    expect(r.stdout).toContain('file round trip exact: true');
  });
});
