// 2. Merge queue: 16 branches ready at the same moment, MergeQueue.merge called concurrently for
// all 16 (base checked out in the main checkout, as for a user), against 16 serial
// `git merge --no-ff` in a copy of the same repository. Checks with git that none was lost.
//   node bench/scenarios/merge-queue.mjs OUT.json [--branches N] [--reps R]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../lib/build.mjs';
import { cleanupScratch, git, gitEnv, gitTrace, makeBaseRepo, median, ms, ratio, run, scratchDir, timed } from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { branches: { type: 'string', default: '16' }, reps: { type: 'string', default: '3' } },
});
const N = Number(values.branches);
const REPS = Number(values.reps);
const { MergeQueue, Git } = loadEngine();
// The engine's git runs with process.env: give it the same git environment as the plain side.
Object.assign(process.env, gitEnv());

const name = (i) => `b${String(i).padStart(2, '0')}`;

/** A repo with N branches off main, each adding its own file; and an identical copy. */
function setup(rep) {
  const dir = makeBaseRepo(scratchDir(`mq-${rep}`));
  const shas = [];
  for (let i = 1; i <= N; i++) {
    git(dir, 'checkout', '-q', '-b', name(i), 'main');
    writeFileSync(join(dir, `mq-${name(i)}.txt`), `change ${i}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `change ${i}`);
    shas.push(git(dir, 'rev-parse', 'HEAD'));
    git(dir, 'checkout', '-q', 'main');
  }
  const copy = scratchDir(`mq-${rep}-plain`);
  run(['cp', '-a', `${dir}/.`, copy]);
  return { dir, copy, shas };
}

/** None lost: every branch tip is on main, N merge commits, every file in main's tree and checkout, checkout clean. */
function verify(dir, shas) {
  const lost = shas.filter((s) => run(['git', 'merge-base', '--is-ancestor', s, 'main'], { cwd: dir, allowFail: true }).status !== 0);
  const merges = Number(git(dir, 'rev-list', '--count', '--merges', 'main'));
  const tree = new Set(git(dir, 'ls-tree', '--name-only', 'main').split('\n'));
  const files = shas.map((_, i) => `mq-${name(i + 1)}.txt`).filter((f) => tree.has(f)).length;
  const dirty = git(dir, 'status', '--porcelain').split('\n').filter(Boolean).length;
  return { merged: N - lost.length, lost: lost.length, mergeCommits: merges, filesOnMain: files, checkoutDirty: dirty };
}

const queueRuns = [];
const plainRuns = [];
for (let rep = 0; rep < REPS; rep++) {
  const { dir, copy, shas } = setup(rep);
  // Plain git first on odd reps, second on even ones (the machine's drift hits both alike).
  const plain = async () => {
    const script = shas.map((_, i) => `git merge -q --no-ff --no-edit ${name(i + 1)}`).join(' && ');
    const trace = gitTrace(`plain-${rep}`);
    const r = await timed(['bash', '-c', script], { cwd: copy, env: trace.env(gitEnv()) });
    if (r.code !== 0) throw new Error(`plain merges failed: ${r.stderr}`);
    plainRuns.push({ ms: r.ms, gitProcesses: trace.count(), ...verify(copy, shas) });
  };
  const queue = async () => {
    const g = new Git(dir);
    await g.identity();
    const q = new MergeQueue(g, 'main');
    const trace = gitTrace(`queue-${rep}`);
    process.env.GIT_TRACE = trace.file;
    const t0 = performance.now();
    const outcomes = await Promise.all(shas.map((sha, i) => q.merge({ taskId: name(i + 1), title: `change ${i + 1}`, sha, branch: name(i + 1) })));
    const elapsed = performance.now() - t0;
    delete process.env.GIT_TRACE;
    const kinds = {};
    for (const o of outcomes) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
    queueRuns.push({ ms: elapsed, gitProcesses: trace.count(), outcomes: kinds, ...verify(dir, shas) });
  };
  if (rep % 2) {
    await plain();
    await queue();
  } else {
    await queue();
    await plain();
  }
}

const q = median(queueRuns.map((r) => r.ms));
const p = median(plainRuns.map((r) => r.ms));
const allMerged = queueRuns.every((r) => r.merged === N && r.lost === 0 && r.mergeCommits === N && r.filesOnMain === N && r.checkoutDirty === 0);
const result = {
  branches: N,
  reps: REPS,
  queue: queueRuns,
  plain: plainRuns,
  summary: {
    queueMs: ms(q),
    plainMs: ms(p),
    perMergeMs: { queue: ms(q / N), plain: ms(p / N) },
    gitProcessesPerMerge: { queue: queueRuns[0].gitProcesses / N, plain: plainRuns[0].gitProcesses / N },
    ratio: ratio(q, p),
    allMergedNoneLost: allMerged,
    targets: { ratioMax: 1.3, ratioMet: q <= 1.3 * p, noneLostMet: allMerged },
  },
};
writeFileSync(positionals[0], JSON.stringify(result, null, 2));
cleanupScratch();
