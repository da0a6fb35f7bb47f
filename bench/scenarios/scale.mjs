// 8. Scale (issue 17 target 4): `dist/cli.js run` with instant scripted agents (review on) for
// 1, 2, 4, 8, 16 workers on --tasks tasks each (throughput in tasks/min), then --big tasks with 16
// workers: every task merged exactly once (one merge commit per task on main, every change file
// there, every task in tasks/complete), the swarm process's peak RSS (VmHWM, sampled from /proc).
// During the big run, the Tasks view of an extension open on the same repository (tasks-probe.ts,
// its own process) times getChildren of every group every 250 ms.
//   node bench/scenarios/scale.mjs OUT.json [--tasks 100] [--big 500] [--workers 1,2,4,8,16]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AGENTS, ROOT, cleanupScratch, git, gitEnv, makeBaseRepo, scratchDir, taskId, writeTasks } from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tasks: { type: 'string', default: '100' }, big: { type: 'string', default: '500' }, workers: { type: 'string', default: '1,2,4,8,16' } },
});
const out = positionals[0];
let seq = 0;

function peakRssMB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function swarm(workers, n, probe = false) {
  const dir = makeBaseRepo(scratchDir(`scale-${workers}w-${n}-${++seq}`));
  writeTasks(dir, n);
  writeFileSync(
    join(dir, 'swarm.json'),
    JSON.stringify({
      workers: [{ role: 'worker', harness: 'bench', count: workers, iterations: n }],
      review: { mode: 'agent', harness: 'benchreview', max_rounds: 3 },
      harnesses: { bench: { command: [join(AGENTS, 'worker.sh')] }, benchreview: { command: [join(AGENTS, 'reviewer.sh')] } },
      limits: { poll_ms: 20 },
    }),
  );
  let probeChild;
  const stop = join(scratchDir('probe'), `stop-${seq}`);
  const probeOut = join(scratchDir('probe'), `out-${seq}.json`);
  if (probe) {
    probeChild = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'scenarios', 'tasks-probe.ts'), dir, stop, probeOut], {
      cwd: ROOT,
      env: gitEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'run', '--repo', dir, '--json', '--no-wait'], {
    cwd: dir,
    env: gitEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    if (stderr.length < 20000) stderr += c;
  });
  let peak = 0;
  const sampler = setInterval(() => {
    const r = peakRssMB(child.pid);
    if (r) peak = Math.max(peak, r);
  }, 200);
  const code = await new Promise((r) => child.on('close', r));
  clearInterval(sampler);
  const ms = performance.now() - t0;
  let tasksView;
  if (probeChild) {
    writeFileSync(stop, '');
    await new Promise((r) => (probeChild.exitCode !== null ? r() : probeChild.on('close', r)));
    tasksView = existsSync(probeOut) ? JSON.parse(readFileSync(probeOut, 'utf8')) : { error: `probe exited ${probeChild.exitCode}` };
  }
  if (code !== 0) throw new Error(`swarm ${workers}×${n} exited ${code}: ${stderr.slice(-2000)}`);
  // Exactly once: one merge commit per task, every change on main, every task complete.
  const subjects = git(dir, 'log', '--merges', '--format=%s', 'main').split('\n').filter(Boolean);
  const perTask = new Map();
  for (const s of subjects) {
    const m = /^Merge task (\S+):/.exec(s);
    if (m) perTask.set(m[1], (perTask.get(m[1]) ?? 0) + 1);
  }
  const tree = new Set(git(dir, 'ls-tree', '--name-only', 'main').split('\n'));
  const complete = readdirSync(join(dir, 'tasks', 'complete')).filter((f) => f.endsWith('.md')).length;
  const bad = [];
  for (let i = 1; i <= n; i++) {
    const id = taskId(i);
    if (perTask.get(id) !== 1) bad.push(`${id}: merged ${perTask.get(id) ?? 0}×`);
    if (!tree.has(`change-${id}.txt`)) bad.push(`${id}: change not on main`);
  }
  return {
    workers,
    tasks: n,
    ms: Math.round(ms),
    tasksPerMin: Math.round((n / (ms / 60000)) * 10) / 10,
    peakRssMB: Math.round(peak),
    complete,
    mergedExactlyOnce: bad.length === 0 && complete === n,
    problems: bad.slice(0, 10),
    tasksView,
  };
}

const results = { tasks: Number(values.tasks), throughput: [] };
for (const w of values.workers.split(',').map(Number)) results.throughput.push(await swarm(w, Number(values.tasks)));
if (Number(values.big) > 0) results.big = await swarm(16, Number(values.big), true);
const b = results.big;
results.summary = {
  tasksPerMin: Object.fromEntries(results.throughput.map((x) => [x.workers, x.tasksPerMin])),
  big: b ? { workers: 16, tasks: b.tasks, ms: b.ms, peakRssMB: b.peakRssMB, mergedExactlyOnce: b.mergedExactlyOnce, tasksView: b.tasksView } : undefined,
  targets: {
    rssMet: b ? b.peakRssMB < 300 : undefined,
    getChildrenMet: b?.tasksView?.maxMs !== undefined ? b.tasksView.maxMs < 100 : undefined,
    exactlyOnceMet: b ? b.mergedExactlyOnce : results.throughput.every((x) => x.mergedExactlyOnce),
  },
};
writeFileSync(out, JSON.stringify(results, null, 2));
cleanupScratch();
