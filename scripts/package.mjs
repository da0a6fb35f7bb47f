// `npm run package`: production build + `vsce package` → dist/worktree-swarm.vsix.
//
// Everything the extension needs is bundled by esbuild, so the .vsix carries no node_modules
// (`--no-dependencies`); .vscodeignore keeps it to dist/, media/, schemas/, prompts/, the docs
// and package.json. The production build runs in a throw-away staging folder, not in the
// repository's dist/, so packaging never swaps minified bundles under a running watch build or
// test run. Prints the files in the package and fails when something that must ship is missing
// or something that must not ship is in it.
//
//   node scripts/package.mjs [--out <file.vsix>] [--quiet]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const out = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, 'dist', 'worktree-swarm.vsix'));
const quiet = args.includes('--quiet');
const log = (...m) => {
  if (!quiet) console.log(...m);
};

const run = (cmd, argv, cwd, capture = quiet) => {
  const r = spawnSync(cmd, argv, { cwd, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) {
    if (capture) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${[cmd, ...argv].join(' ')} exited with ${r.status ?? r.signal}`);
  }
  return r.stdout ?? '';
};

const vsce = join(root, 'node_modules', '.bin', 'vsce');
if (!existsSync(vsce)) {
  console.error('package: node_modules/.bin/vsce not found; run `npm ci` first');
  process.exit(1);
}

const stage = mkdtempSync(join(tmpdir(), 'swarm-package-'));
try {
  // What ships, copied as it is in the repository; the bundles are built into the stage below.
  for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore']) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(stage, f));
  }
  for (const d of ['media', 'schemas', 'prompts']) {
    if (existsSync(join(root, d))) cpSync(join(root, d), join(stage, d), { recursive: true });
  }
  // esbuild.mjs builds from ./src with ./node_modules, relative to its cwd: link both in for the
  // build and take them away before vsce looks at the folder.
  symlinkSync(join(root, 'src'), join(stage, 'src'), 'dir');
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
  log('package: production build');
  try {
    run(process.execPath, [join(root, 'esbuild.mjs'), '--production'], stage);
  } finally {
    unlinkSync(join(stage, 'src'));
    unlinkSync(join(stage, 'node_modules'));
  }

  const files = run(vsce, ['ls', '--no-dependencies'], stage, true)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  const pkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));
  const problems = [];
  const must = ['package.json', 'LICENSE', 'CHANGELOG.md', 'README.md', (pkg.main ?? './dist/extension.js').replace(/^\.\//, '')];
  if (pkg.icon) must.push(pkg.icon.replace(/^\.\//, ''));
  for (const f of must) if (!files.includes(f)) problems.push(`missing ${f}`);
  for (const f of files) {
    if (!/^(dist|media|schemas|prompts)\//.test(f) && !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f)) problems.push(`unexpected ${f}`);
    if (/\.map$|\.vsix$|(^|\/)node_modules\//.test(f)) problems.push(`must not ship ${f}`);
  }
  if (problems.length) throw new Error(`package contents: ${problems.join('; ')}`);

  log('package: vsce package');
  mkdirSync(dirname(out), { recursive: true });
  // vsce rewrites README's relative links only for GitHub/GitLab repositories and refuses to
  // package otherwise; elsewhere keep them relative (they resolve in the repository itself).
  const repoUrl = typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository?.url ?? '');
  const linkArgs = /github\.com|gitlab\.com/.test(repoUrl) ? [] : ['--no-rewrite-relative-links'];
  run(vsce, ['package', '--no-dependencies', ...linkArgs, '-o', out], stage);
  const kb = (statSync(out).size / 1024).toFixed(1);
  console.log(`package: ${out} (${kb} KiB, ${files.length} files)`);
  for (const f of files) log(`  ${f}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
