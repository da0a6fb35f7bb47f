// The README's test command: install (first run), build the bundles, then run the test suites with
// node's test runner, in order:
//   1. test/unit + test/integration (real git, real processes, scripted agents)
//   2. test/agents — the real agent CLIs against a local fake model server (when test/agents/install.sh installed them)
//   3. e2e — the packaged extension in a real VS Code (code-server) driven by Playwright (when e2e/install.sh installed it)
// after the typecheck and lint (each counted as one test),
// and end with one line CI reads: "N passed, N failed" over every suite.
//   node scripts/test.mjs                 everything available
//   node scripts/test.mjs test/unit       one folder (or files)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeps } from './ensure-deps.mjs';

const files = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => join(dir, f))
    : [];

ensureDeps();
const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const only = process.argv.slice(2);
const groups = only.length
  ? [{ name: only.join(' '), list: only.flatMap((s) => (s.endsWith('.ts') ? [s] : files(s))), concurrency: only.includes('e2e') ? 1 : 2 }]
  : [
      { name: 'unit + integration', list: [...files('test/unit'), ...files('test/integration')] },
      existsSync('test/agents/node_modules') && { name: 'real agent CLIs', list: files('test/agents') },
      existsSync('e2e/node_modules') && { name: 'end-to-end (code-server)', list: files('e2e'), concurrency: 1 },
    ].filter(Boolean);

/** Run one node --test invocation, echoing its output and reading its pass/fail counts. */
function runGroup(g) {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', '--test', `--test-concurrency=${g.concurrency === 1 ? 1 : 2}`, ...g.list];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let pass = 0;
    let fail = 0;
    let buf = '';
    child.stdout.on('data', (c) => {
      process.stdout.write(c);
      buf += c.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) {
        const m = /^(?:ℹ|#) (pass|fail) (\d+)\s*$/.exec(l.trim());
        if (m) {
          if (m[1] === 'pass') pass = Number(m[2]);
          else fail = Number(m[2]);
        }
      }
    });
    child.on('close', (code) => resolve({ pass, fail: fail || (code !== 0 && !fail ? 1 : 0), code }));
  });
}

let pass = 0;
let fail = 0;
let exit = 0;
// The whole suite also typechecks and lints: each counts as one test in the summary line.
if (!only.length) {
  // Lint is package.json's `lint` script (eslint, then prettier --check over the files it names).
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  for (const [name, argv] of [
    ['typecheck (tsc)', [process.execPath, 'node_modules/typescript/bin/tsc', '-p', '.', '--noEmit']],
    ['lint (eslint, prettier --check)', [...npm, 'run', '--silent', 'lint']],
  ]) {
    console.log(`\n=== ${name}\n`);
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
    if (r.status === 0) {
      pass++;
      console.log(`ok - ${name}`);
    } else {
      fail++;
      exit = 1;
      console.log(`not ok - ${name}`);
    }
  }
}
for (const g of groups) {
  if (!g.list.length) continue;
  console.log(`\n=== ${g.name}: ${g.list.length} file(s)\n`);
  const r = await runGroup(g);
  pass += r.pass;
  fail += r.fail;
  if (r.code !== 0) exit = r.code ?? 1;
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(exit);
