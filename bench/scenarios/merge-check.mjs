// 6. Merge checks (issue 14): 8 approved changes waiting at once, a 2 s merge check. The checked
// merge queue with batching (merge_check.batch 8: one check for the batch, bisection on failure)
// against one-at-a-time checking (batch 1) in the same run, same repository shape. Also:
//   - one bad change among the 8 (the check fails when the result holds `bad.txt`): how many
//     checks the bisection costs, and that only the bad one is sent back;
//   - the cost of the alternative, speculative checks (A, A+B, ... in parallel, as GitHub's merge
//     queue does): 8 copies of a CPU-bound 2 s check started together on this machine, against one.
//   node bench/scenarios/merge-check.mjs OUT.json [--changes N] [--check-s S] [--reps R]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import { loadEngine } from '../lib/build.mjs';
import { cleanupScratch, git, gitEnv, makeBaseRepo, median, ms, ratio, run, scratchDir } from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { changes: { type: 'string', default: '8' }, 'check-s': { type: 'string', default: '2' }, reps: { type: 'string', default: '2' } },
});
const N = Number(values.changes);
const CHECK_S = Number(values['check-s']);
const REPS = Number(values.reps);
const { MergeQueue, MergeChecker, WorktreeManager, Git, runAgentProcess } = loadEngine();
Object.assign(process.env, gitEnv());

const name = (i) => `c${String(i).padStart(2, '0')}`;

/** A repo with N branches off main, each adding its own file (branch `bad`, when asked, adds bad.txt). */
function setup(tag, badAt) {
  const dir = makeBaseRepo(scratchDir(`mc-${tag}`));
  const shas = [];
  for (let i = 1; i <= N; i++) {
    git(dir, 'checkout', '-q', '-b', name(i), 'main');
    writeFileSync(join(dir, i === badAt ? 'bad.txt' : `mc-${name(i)}.txt`), `change ${i}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `change ${i}`);
    shas.push(git(dir, 'rev-parse', 'HEAD'));
    git(dir, 'checkout', '-q', 'main');
  }
  return { dir, shas };
}

/** All N requests at once into a checked queue with `batch`; wall time, checks run, outcomes. */
async function queueRun(tag, batch, badAt) {
  const { dir, shas } = setup(tag, badAt);
  const g = new Git(dir);
  await g.identity();
  const worktrees = new WorktreeManager(g, dir, '.swarm/worktrees');
  // The check: sleep CHECK_S, fail when the result holds bad.txt. Not sandboxed (the sandbox's own start cost is bench 7).
  const command = ['sh', '-c', `sleep ${CHECK_S}; test ! -e bad.txt`];
  const checker = new MergeChecker({ command, timeoutS: 600, batch }, { root: dir, tasksDir: join(dir, 'tasks'), base: 'main', worktrees });
  let checks = 0;
  const origRun = checker.run.bind(checker);
  checker.run = (sha, r) => {
    checks++;
    return origRun(sha, r);
  };
  const q = new MergeQueue(g, 'main', undefined, checker);
  const t0 = performance.now();
  const outcomes = await Promise.all(shas.map((sha, i) => q.merge({ taskId: name(i + 1), title: `change ${i + 1}`, sha, branch: name(i + 1) })));
  const elapsed = performance.now() - t0;
  const kinds = {};
  for (const o of outcomes) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  const onMain = shas.filter((s) => run(['git', 'merge-base', '--is-ancestor', s, 'main'], { cwd: dir, allowFail: true }).status === 0).length;
  const badOnMain = git(dir, 'ls-tree', '--name-only', 'main').split('\n').includes('bad.txt');
  return { ms: elapsed, checks, outcomes: kinds, merged: onMain, badOnMain };
}

/** Speculative checks' cost: k CPU-bound checks of CHECK_S seconds started together. */
async function parallelCpuChecks(k) {
  const busy = `const end = Date.now() + ${CHECK_S * 1000}; let x = 0; while (Date.now() < end) x++;`;
  // CPU-bound for CHECK_S s of CPU each: a loop counting to a calibrated number, not a clock.
  const calib = await runAgentProcess({ argv: [process.execPath, '-e', `${busy} console.log(x)`], cwd: process.cwd(), env: process.env, timeoutMs: 60_000 });
  const iterations = Number(calib.stdoutTail.trim());
  const work = `let x = 0; for (let i = 0; i < ${iterations}; i++) x++;`;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: k }, () => runAgentProcess({ argv: [process.execPath, '-e', work], cwd: process.cwd(), env: process.env, timeoutMs: 600_000 })),
  );
  return performance.now() - t0;
}

const batched = [];
const single = [];
const bisect = [];
for (let rep = 0; rep < REPS; rep++) {
  // Alternate which goes first (the machine's drift hits both alike).
  if (rep % 2) {
    single.push(await queueRun(`s${rep}`, 1));
    batched.push(await queueRun(`b${rep}`, N));
  } else {
    batched.push(await queueRun(`b${rep}`, N));
    single.push(await queueRun(`s${rep}`, 1));
  }
}
bisect.push(await queueRun('bad-batched', N, Math.ceil(N / 2)));
bisect.push(await queueRun('bad-single', 1, Math.ceil(N / 2)));
const oneCpu = await parallelCpuChecks(1);
const kCpu = await parallelCpuChecks(N);

const b = median(batched.map((r) => r.ms));
const s = median(single.map((r) => r.ms));
const allMerged = [...batched, ...single].every((r) => r.merged === N && r.outcomes.merged === N);
const result = {
  changes: N,
  checkSeconds: CHECK_S,
  reps: REPS,
  cores: cpus().length,
  batched,
  single,
  oneBad: { batched: bisect[0], single: bisect[1] },
  speculative: { oneCpuCheckMs: ms(oneCpu), parallelCpuChecksMs: ms(kCpu), k: N },
  summary: {
    batchedMs: ms(b),
    singleMs: ms(s),
    ratio: ratio(b, s),
    checks: { batched: batched[0].checks, single: single[0].checks },
    oneBadChecks: { batched: bisect[0].checks, single: bisect[1].checks },
    oneBadMs: { batched: ms(bisect[0].ms), single: ms(bisect[1].ms) },
    oneBadOk: bisect.every((r) => !r.badOnMain && r.merged === N - 1 && r.outcomes.check_failed === 1),
    speculativeRatio: ratio(kCpu, oneCpu),
    allMerged,
    targets: { ratioMax: 0.5, ratioMet: b <= 0.5 * s, allMergedMet: allMerged },
  },
};
writeFileSync(positionals[0], JSON.stringify(result, null, 2));
cleanupScratch();
