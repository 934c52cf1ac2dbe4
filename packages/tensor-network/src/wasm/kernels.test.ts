import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the embedded WebAssembly bytes are the compiled kernels.wat (not stale)', () => {
  const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
  // exits non-zero with a message when kernels-binary.ts differs from a fresh compile
  const run = () => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
  expect(run).not.toThrow();
});
