// Runs the test suite with Node's own test runner on the pinned runtime.
//   --unit      only pure unit tests (packages/*/src/**/*.test.ts), no root needed
//   otherwise   unit + package integration tests (packages/*/test) + end-to-end suites (test/e2e)
//               + the benchmark harness's own unit tests (test/bench)
// Privileged suites need root: when not root they fail loudly instead of skipping.
import { globSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const patterns = unitOnly
  ? ['packages/*/src/**/*.test.ts']
  : ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/bench/**/*.test.ts'];
let files = patterns.flatMap((p) => globSync(p)).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(2);
}
if (!unitOnly && process.getuid?.() !== 0) {
  console.error('run-tests: the full suite creates network namespaces and must run as root');
  process.exit(2);
}

const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
