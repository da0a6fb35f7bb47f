// 6. A new worktree's environment (issue 14 item 3): what prepareWorktreeEnv (src/swarm/worktreeEnv.ts)
// adds to `git worktree add`, with a node_modules-like tree of SIZE MB in the checkout:
//   - baseline: `git worktree add` alone (same repository, same run);
//   - `.worktreeinclude` = node_modules/: the whole tree copied (copy-on-write where the filesystem
//     clones, else a plain copy), against `cp -a` of the same tree;
//   - `.worktreeinclude` = .env only, the tree present but not wanted: the cost of listing;
//   - whether this filesystem clones at all (`cp --reflink=always`).
//   node bench/scenarios/worktree-env.mjs OUT.json [--mb N] [--reps R]
import { writeFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../lib/build.mjs';
import { cleanupScratch, git, gitEnv, makeBaseRepo, median, ms, ratio, run, scratchDir, timed } from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mb: { type: 'string', default: '100' }, reps: { type: 'string', default: '3' } },
});
const MB = Number(values.mb);
const REPS = Number(values.reps);
const { prepareWorktreeEnv, Git } = loadEngine();
Object.assign(process.env, gitEnv());

/** node_modules-like: packages of many small files and a few large ones, .bin links. */
function makeTree(root) {
  const total = MB * 1e6;
  let bytes = 0;
  let files = 0;
  for (let p = 0; bytes < total; p++) {
    const pkg = join(root, 'node_modules', `pkg-${p}`);
    mkdirSync(join(pkg, 'lib', 'deep'), { recursive: true });
    for (let f = 0; f < 20 && bytes < total; f++) {
      // Mostly 2-20 KB files, every 40th one 1 MB: a typical node_modules mix.
      const size = files % 40 === 39 ? 1_000_000 : 2000 + ((files * 7919) % 18000);
      const buf = Buffer.alloc(size, `${p}:${f};`);
      writeFileSync(join(pkg, f % 3 === 0 ? 'lib/deep' : 'lib', `f${f}.js`), buf);
      bytes += size;
      files++;
    }
    writeFileSync(join(pkg, 'package.json'), `{"name":"pkg-${p}"}\n`);
    files++;
    if (p % 10 === 0) {
      mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
      symlinkSync(`../pkg-${p}/lib/f1.js`, join(root, 'node_modules', '.bin', `tool-${p}`));
    }
  }
  return { bytes, files };
}

const dir = makeBaseRepo(scratchDir('wtenv'));
writeFileSync(join(dir, '.env'), 'SECRET=1\n');
writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.env\n');
git(dir, 'add', '-A');
git(dir, 'commit', '-q', '-m', 'ignore');
const tree = makeTree(dir);
const g = new Git(dir);
const reflink = run(['sh', '-c', `cp --reflink=always ${JSON.stringify(join(dir, '.env'))} ${JSON.stringify(join(dir, '.env.reflink-probe'))}`], {
  allowFail: true,
});
rmSync(join(dir, '.env.reflink-probe'), { force: true });
const fsType = run(['stat', '-f', '-c', '%T', dir], { allowFail: true }).stdout.trim();

let seq = 0;
async function addWorktree() {
  const path = join(scratchDir('wts'), `w${++seq}`);
  const r = await timed(['git', 'worktree', 'add', '-q', '-b', `b${seq}`, path, 'main'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return { path, ms: r.ms };
}
async function removeWorktree(path) {
  rmSync(path, { recursive: true, force: true });
  git(dir, 'worktree', 'prune');
}

const reps = [];
for (let rep = 0; rep < REPS; rep++) {
  const out = {};
  // Baseline: git worktree add alone.
  const a = await addWorktree();
  out.worktreeAddMs = a.ms;
  await removeWorktree(a.path);
  // The whole node_modules through .worktreeinclude.
  writeFileSync(join(dir, '.worktreeinclude'), 'node_modules/\n.env\n');
  const b = await addWorktree();
  let t0 = performance.now();
  const r = await prepareWorktreeEnv(dir, b.path, { include: [] }, g);
  out.includeAllMs = performance.now() - t0;
  out.includeAllWithAddMs = b.ms + out.includeAllMs;
  out.copied = r.copied.length;
  out.skipped = r.skipped.length;
  out.bytes = r.bytes;
  out.reflinkUsed = r.reflink;
  await removeWorktree(b.path);
  // cp -a of the same tree (coreutils), as a reference for the copy itself.
  const c = await addWorktree();
  const cp = await timed(['cp', '-a', join(dir, 'node_modules'), join(c.path, 'node_modules')], { cwd: dir });
  out.cpMs = cp.ms;
  await removeWorktree(c.path);
  // Only .env wanted, the big tree present: what listing costs.
  writeFileSync(join(dir, '.worktreeinclude'), '.env\n');
  const d = await addWorktree();
  t0 = performance.now();
  const r2 = await prepareWorktreeEnv(dir, d.path, { include: [] }, g);
  out.includeEnvOnlyMs = performance.now() - t0;
  out.envOnlyCopied = r2.copied.length;
  await removeWorktree(d.path);
  // No .worktreeinclude at all: nothing to do (no git process).
  rmSync(join(dir, '.worktreeinclude'));
  const e = await addWorktree();
  t0 = performance.now();
  await prepareWorktreeEnv(dir, e.path, { include: [] }, g);
  out.noIncludeMs = performance.now() - t0;
  await removeWorktree(e.path);
  reps.push(out);
}

const med = (k) => ms(median(reps.map((x) => x[k])));
const summary = {
  treeMB: Math.round(tree.bytes / 1e5) / 10,
  treeFiles: tree.files,
  filesystem: fsType,
  reflinkSupported: reflink.status === 0,
  worktreeAddMs: med('worktreeAddMs'),
  includeAllMs: med('includeAllMs'),
  includeAllWithAddMs: med('includeAllWithAddMs'),
  cpMs: med('cpMs'),
  includeEnvOnlyMs: med('includeEnvOnlyMs'),
  noIncludeMs: med('noIncludeMs'),
  copied: reps[0].copied,
  copiedBytes: reps[0].bytes,
  envOnlyCopied: reps[0].envOnlyCopied,
};
summary.includeAllVsAdd = ratio(summary.includeAllMs, summary.worktreeAddMs);
summary.includeAllVsCp = ratio(summary.includeAllMs, summary.cpMs);
summary.envOnlyVsAdd = ratio(summary.includeEnvOnlyMs, summary.worktreeAddMs);
writeFileSync(positionals[0], JSON.stringify({ mb: MB, reps, summary }, null, 2));
cleanupScratch();
