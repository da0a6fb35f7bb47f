// The README's test command: install (first run), build the bundles, then run the test suites with
// node's test runner, in order:
//   1. test/unit + test/integration (real git, real processes, scripted agents)
//   2. test/agents — the real agent CLIs against a local fake model server (when test/agents/install.sh installed them)
//   3. e2e — the packaged extension in a real VS Code (code-server) driven by Playwright (when e2e/install.sh installed it);
//      its quick-start scenario (e2e/demo.test.ts, mostly installing) runs beside group 1
// after the typecheck and lint (each counted as one test),
// and end with one line CI reads: "N passed, N failed" over every suite.
//   node scripts/test.mjs                 everything available
//   node scripts/test.mjs test/unit       one folder (or files)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeps } from './ensure-deps.mjs';

const QUICK_START = join('e2e', 'demo.test.ts');
const files = (dir) => existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f)) : [];

ensureDeps();
const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const only = process.argv.slice(2);
const groups = only.length
  ? [{ name: only.join(' '), list: only.flatMap((s) => s.endsWith('.ts') ? [s] : files(s)), concurrency: only.includes('e2e') ? 1 : 2 }]
  : [
      { name: 'unit + integration', list: [...files('test/unit'), ...files('test/integration')] },
      existsSync('test/agents/node_modules') && { name: 'real agent CLIs', list: files('test/agents') },
      existsSync('e2e/node_modules') && { name: 'end-to-end (code-server)', list: files('e2e').filter((f) => f !== QUICK_START), concurrency: 1 },
    ].filter(Boolean);
// The quick-start scenario spends its minutes installing into a fresh copy (npm ci, e2e/install.sh),
// not driving VS Code: in a whole-suite run it goes beside the unit + integration group, its output
// held back and printed when that group is done.
const beside = !only.length && existsSync('e2e/node_modules') && existsSync(QUICK_START) ? { name: 'end-to-end: the quick start (beside unit + integration)', list: [QUICK_START], concurrency: 1, quiet: true } : undefined;

/** Run one node --test invocation, echoing its output and reading its pass/fail counts. */
function runGroup(g) {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', '--test', `--test-concurrency=${g.concurrency === 1 ? 1 : 2}`, ...g.list];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', g.quiet ? 'pipe' : 'inherit'] });
    let pass = 0;
    let fail = 0;
    let buf = '';
    let held = '';
    if (g.quiet) child.stderr.on('data', (c) => { held += c.toString(); });
    child.stdout.on('data', (c) => {
      if (g.quiet) held += c.toString(); else process.stdout.write(c);
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        const m = /^(?:ℹ|#) (pass|fail) (\d+)\s*$/.exec(l.trim());
        if (m) { if (m[1] === 'pass') pass = Number(m[2]); else fail = Number(m[2]); }
      }
    });
    child.on('close', (code) => resolve({ pass, fail: fail || (code !== 0 && !fail ? 1 : 0), code, held }));
  });
}

let pass = 0;
let fail = 0;
let exit = 0;
// The whole suite also typechecks and lints: each counts as one test in the summary line.
if (!only.length) {
  for (const [name, args] of [['typecheck (tsc)', ['node_modules/typescript/bin/tsc', '-p', '.', '--noEmit']], ['lint (eslint)', ['node_modules/eslint/bin/eslint.js', 'src', 'test']]]) {
    console.log(`\n=== ${name}\n`);
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (r.status === 0) { pass++; console.log(`ok - ${name}`); } else { fail++; exit = 1; console.log(`not ok - ${name}`); }
  }
}
const besideRun = beside && runGroup(beside);
const count = (r) => {
  pass += r.pass;
  fail += r.fail;
  if (r.code !== 0) exit = r.code ?? 1;
};
for (const [i, g] of groups.entries()) {
  if (!g.list.length) continue;
  console.log(`\n=== ${g.name}: ${g.list.length} file(s)\n`);
  count(await runGroup(g));
  if (i === 0 && besideRun) {
    const r = await besideRun;
    console.log(`\n=== ${beside.name}: ${beside.list.length} file(s)\n`);
    process.stdout.write(r.held);
    count(r);
  }
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(exit);
