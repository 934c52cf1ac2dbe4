// Adds up the vitest JSON reports that every package writes under CI (test-results/vitest.json)
// and prints one closing line: "Tests: N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ['packages', 'apps', 'tools', 'turbo']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const results = join(group, name, 'test-results');
    if (!existsSync(results)) continue;
    // vitest.json, and a tier's own report (vitest-cluster.json)
    for (const report of readdirSync(results)
      .filter((f) => /^vitest.*\.json$/.test(f))
      .sort()) {
      const data = JSON.parse(readFileSync(join(results, report), 'utf8'));
      passed += data.numPassedTests ?? 0;
      failed += data.numFailedTests ?? 0;
      skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
      const tier = report === 'vitest.json' ? '' : ` (${report})`;
      console.log(
        `${group}/${name}${tier}: ${data.numPassedTests} passed, ${data.numFailedTests} failed`,
      );
    }
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
