// The README's test command: build the bundles, then run every test file with node's test runner.
// Unit tests first, then integration (real git, real processes), then the end-to-end suite when
// its packages are installed (e2e/node_modules), so CI's last line is node's own summary.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const only = process.argv.slice(2);
const files = (dir) => existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f)) : [];

run(process.execPath, ['esbuild.mjs']);
const suites = only.length ? only : ['test/unit', 'test/integration'];
const list = suites.flatMap((s) => s.endsWith('.ts') ? [s] : files(s));
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...list]);
