// 1. Orchestration overhead per task: 100 tasks, instant scripted agents and reviewer, the swarm
// with 1 and 4 workers (review on) against the git floor (with and without the agent processes)
// and the seed's 7-line bash swarm with a stub `claude`, all in this one run.
//   node bench/scenarios/orchestration.mjs OUT.json [--tasks N] [--reps R]
//   ... --previous-cli OLD/cli.js [--previous-commit C] [--ab-tasks N] [--ab-reps R] [--ab-only]
//   (the A/B alone: old engine, this engine and the git floor, interleaved, N tasks each)
import { readFileSync, readdirSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  AGENTS,
  BENCH,
  ROOT,
  cleanupScratch,
  git,
  gitEnv,
  gitTrace,
  makeBaseRepo,
  ms,
  ratio,
  median,
  scratchDir,
  taskId,
  timed,
  writeTasks,
} from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tasks: { type: 'string', default: '100' },
    reps: { type: 'string', default: '1' },
    profile: { type: 'string' },
    'previous-cli': { type: 'string' },
    'previous-commit': { type: 'string' },
    'ab-tasks': { type: 'string', default: '20' },
    'ab-reps': { type: 'string', default: '2' },
    'ab-only': { type: 'boolean', default: false },
  },
});
const N = Number(values.tasks);
const REPS = Number(values.reps);
const out = positionals[0];
const WORKER = join(AGENTS, 'worker.sh');
const REVIEWER = join(AGENTS, 'reviewer.sh');
const CLI = join(ROOT, 'dist', 'cli.js');

let seq = 0;
const fresh = (name) => makeBaseRepo(scratchDir(`${name}-${++seq}`));

/** Changes that reached main: files change-* in main's tree, and merge commits. */
function landed(dir) {
  const files = git(dir, 'ls-tree', '--name-only', 'main')
    .split('\n')
    .filter((f) => f.startsWith('change-'));
  const merges = Number(git(dir, 'rev-list', '--count', '--merges', 'main'));
  const commits = Number(git(dir, 'rev-list', '--count', 'main')) - 1;
  return { files: files.length, merges, commits };
}

/** The 1-minute load average when a run ends (2 cores: 2 is a full machine). */
const loadNow = () => Math.round(loadavg()[0] * 100) / 100;

async function gitFloor(withAgents, n = N) {
  const dir = fresh(withAgents ? 'floor-agents' : 'floor');
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '/.floor/\n');
  const argv = ['bash', join(BENCH, 'baselines', 'git-floor.sh'), String(n), ...(withAgents ? [WORKER, REVIEWER] : [])];
  const trace = gitTrace(`floor-${++seq}`);
  const r = await timed(argv, { cwd: dir, env: trace.env(gitEnv()) });
  if (r.code !== 0) throw new Error(`git-floor.sh exited ${r.code}: ${r.stderr}`);
  const l = landed(dir);
  if (l.files !== n || l.merges !== n) throw new Error(`git floor landed ${JSON.stringify(l)}`);
  return { ms: r.ms, cpuMs: r.cpuMs, gitProcesses: trace.count(), load: loadNow(), ...l };
}

/** Sums over the run's journal: where the swarm's time went. */
function journalBreakdown(dir) {
  const runs = join(dir, '.swarm', 'runs');
  const id = readdirSync(runs)
    .filter((d) => !d.endsWith('-manual'))
    .sort()
    .pop();
  const events = readFileSync(join(runs, id, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const t = (e) => Date.parse(e.ts);
  const agentMs = { worker: 0, reviewer: 0 };
  let turns = 0;
  const mergeStart = new Map();
  let mergeMs = 0;
  for (const e of events) {
    if (e.type === 'agent_finished') {
      agentMs[e.role === 'reviewer' ? 'reviewer' : 'worker'] += e.durationMs;
      turns++;
    }
    if (e.type === 'merge_started') mergeStart.set(e.taskId, t(e));
    if (e.type === 'task_merged' && mergeStart.has(e.taskId)) mergeMs += t(e) - mergeStart.get(e.taskId);
  }
  return { events: events.length, agentTurns: turns, workerAgentMs: agentMs.worker, reviewerAgentMs: agentMs.reviewer, mergeStepMs: mergeMs };
}

async function swarm(workers, cli = CLI, n = N) {
  const dir = fresh(`swarm-${workers}w`);
  writeTasks(dir, n);
  writeFileSync(
    join(dir, 'swarm.json'),
    JSON.stringify(
      {
        workers: [{ role: 'worker', harness: 'bench', count: workers, iterations: N }],
        review: { mode: 'agent', harness: 'benchreview', max_rounds: 3 },
        harnesses: { bench: { command: [WORKER] }, benchreview: { command: [REVIEWER] } },
        limits: { poll_ms: 20 },
      },
      null,
      2,
    ).replace(`"iterations": ${N}`, `"iterations": ${n}`),
  );
  const prof = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const trace = gitTrace(`swarm-${++seq}`);
  const r = await timed([process.execPath, ...prof, cli, 'run', '--repo', dir, '--json', '--no-wait'], { cwd: dir, env: trace.env(gitEnv()) });
  if (r.code !== 0) throw new Error(`swarm run (${workers} workers) exited ${r.code}: ${r.stderr}`);
  const l = landed(dir);
  const complete = readdirSync(join(dir, 'tasks', 'complete')).filter((f) => f.endsWith('.md')).length;
  const lost = [];
  const tree = new Set(git(dir, 'ls-tree', '--name-only', 'main').split('\n'));
  for (let i = 1; i <= n; i++) if (!tree.has(`change-${taskId(i)}.txt`)) lost.push(taskId(i));
  if (lost.length || complete !== n) throw new Error(`swarm (${workers} workers): ${complete}/${N} complete, missing on main: ${lost.join(', ')}`);
  const perTask = Object.fromEntries(
    Object.entries(trace.byCommand())
      .map(([k, v]) => [k, Math.round((v / n) * 100) / 100])
      .filter(([, v]) => v >= 0.5)
      .sort((a, b) => b[1] - a[1]),
  );
  return { ms: r.ms, cpuMs: r.cpuMs, gitProcesses: trace.count(), gitPerTaskByCommand: perTask, load: loadNow(), ...l, complete, ...journalBreakdown(dir) };
}

async function oompa(workers, fixed) {
  const dir = fresh(`oompa-${workers}w${fixed ? '-fixed' : ''}`);
  mkdirSync(join(dir, 'prompts'), { recursive: true });
  writeFileSync(
    join(dir, 'prompts', 'worker.md'),
    'Goal: Match spec.md\nProcess: Create/claim tasks in tasks/{pending,in_progress,complete}.md\nMethod: Isolate changes to your worktree, commit and merge when complete\n',
  );
  git(dir, 'add', 'prompts');
  git(dir, 'commit', '-q', '-m', 'prompt');
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '/.w*\n/w*-i*\n');
  let script = readFileSync(join(BENCH, 'baselines', 'oompa_loompas.sh'), 'utf8');
  // `.w1-i1` is not a valid branch name (a ref component may not start with "."), so the verbatim
  // script creates no worktree at all; the "fixed" variant drops that one dot.
  if (fixed) script = script.replace('wt=".w${w}-i${i}"', 'wt="w${w}-i${i}"');
  const file = join(scratchDir('oompa-scripts'), `oompa-${fixed ? 'fixed' : 'verbatim'}.sh`);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  const env = { ...gitEnv(), PATH: `${AGENTS}:${process.env.PATH}`, WORKERS: String(workers), ITERATIONS: String(N / workers) };
  const r = await timed(['bash', file], { cwd: dir, env, stderr: 'pipe' });
  const l = landed(dir);
  const worktrees =
    git(dir, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((x) => x.startsWith('worktree ')).length - 1;
  const lockErrors = (r.stderr.match(/index\.lock|cannot lock ref|Unable to create/g) ?? []).length;
  return {
    ms: r.ms,
    cpuMs: r.cpuMs,
    workers,
    fixed,
    landedChanges: l.files,
    merges: l.merges,
    lost: N - l.files,
    worktreesLeft: worktrees,
    gitLockErrors: lockErrors,
  };
}

const results = { tasks: N, reps: REPS, floor: [], floorAgents: [], swarm1: [], swarm4: [], oompa: [] };
for (let rep = 0; rep < (values['ab-only'] ? 0 : REPS); rep++) {
  // Interleaved, and in reverse order every other repetition, so a slow patch of the machine
  // hits every side alike.
  const steps = [
    async () => results.floor.push(await gitFloor(false)),
    async () => results.swarm1.push(await swarm(1)),
    async () => results.floorAgents.push(await gitFloor(true)),
    async () => results.swarm4.push(await swarm(4)),
  ];
  for (const step of rep % 2 ? steps.reverse() : steps) await step();
}
if (!values['ab-only']) for (const w of [1, 4]) for (const fixed of [false, true]) results.oompa.push(await oompa(w, fixed));

// A/B against the engine before this round of cuts (a dist/cli.js built from an older commit by
// run.mjs): 1 worker, the same instant agents, interleaved, so the load hits both alike.
if (values['previous-cli']) {
  const n = Number(values['ab-tasks']);
  // The git floor on the same n changes is interleaved too: each side's ratio to the floor.
  const ab = { tasks: n, previousCommit: values['previous-commit'], previous: [], current: [], floor: [] };
  for (let rep = 0; rep < Number(values['ab-reps']); rep++) {
    const steps = [
      async () => ab.previous.push(await swarm(1, values['previous-cli'], n)),
      async () => ab.current.push(await swarm(1, CLI, n)),
      async () => ab.floor.push(await gitFloor(false, n)),
    ];
    for (const step of rep % 2 ? steps.reverse() : steps) await step();
  }
  const sum = (xs) => ({
    gitPerTask: Math.round((median(xs.map((x) => x.gitProcesses)) / n) * 10) / 10,
    ms: ms(median(xs.map((x) => x.ms))),
    cpuMs: median(xs.map((x) => x.cpuMs ?? NaN)),
    msPerTask: ms(median(xs.map((x) => x.ms)) / n),
    cpuMsPerTask: ms(median(xs.map((x) => x.cpuMs ?? NaN)) / n),
    loads: xs.map((x) => x.load),
    byCommand: xs[0].gitPerTaskByCommand,
  });
  ab.summary = { previous: sum(ab.previous), current: sum(ab.current), floor: sum(ab.floor) };
  ab.summary.wallRatio = ratio(ab.summary.current.ms, ab.summary.previous.ms);
  ab.summary.cpuRatio = ratio(ab.summary.current.cpuMs, ab.summary.previous.cpuMs);
  ab.summary.currentVsFloor = ratio(ab.summary.current.ms, ab.summary.floor.ms);
  ab.summary.previousVsFloor = ratio(ab.summary.previous.ms, ab.summary.floor.ms);
  ab.summary.cpuCurrentVsFloor = ratio(ab.summary.current.cpuMs, ab.summary.floor.cpuMs);
  ab.summary.cpuPreviousVsFloor = ratio(ab.summary.previous.cpuMs, ab.summary.floor.cpuMs);
  results.ab = ab;
}

if (values['ab-only']) {
  writeFileSync(out, JSON.stringify(results, null, 2));
  cleanupScratch();
  process.exit(0);
}

const med = (k) => median(results[k].map((r) => r.ms));
const cpu = (k) => median(results[k].map((r) => r.cpuMs ?? NaN));
const perTask = (k) => Math.round((median(results[k].map((r) => r.gitProcesses)) / N) * 10) / 10;
const floor = med('floor');
const floorAgents = med('floorAgents');
const s1 = med('swarm1');
const s4 = med('swarm4');
results.summary = {
  floorMs: ms(floor),
  floorAgentsMs: ms(floorAgents),
  swarm1Ms: ms(s1),
  swarm4Ms: ms(s4),
  perTaskMs: { floor: ms(floor / N), floorAgents: ms(floorAgents / N), swarm1: ms(s1 / N), swarm4: ms(s4 / N) },
  overheadPerTaskMs: { vsFloor: ms((s1 - floor) / N), vsFloorAgents: ms((s1 - floorAgents) / N) },
  swarm1VsFloor: ratio(s1, floor),
  swarm1VsFloorAgents: ratio(s1, floorAgents),
  swarm4VsSwarm1: ratio(s4, s1),
  // Processes started per task (git from GIT_TRACE; agents: the worker and the reviewer).
  gitProcessesPerTask: { floor: perTask('floor'), floorAgents: perTask('floorAgents'), swarm1: perTask('swarm1'), swarm4: perTask('swarm4') },
  agentProcessesPerTask: { floor: 0, floorAgents: 2, swarm1: results.swarm1[0].agentTurns / N, swarm4: results.swarm4[0].agentTurns / N },
  // CPU time (user + sys of the whole process tree): what the work costs, less tilted by other load.
  cpuMs: { floor: cpu('floor'), floorAgents: cpu('floorAgents'), swarm1: cpu('swarm1'), swarm4: cpu('swarm4') },
  cpuSwarm1VsFloor: ratio(cpu('swarm1'), cpu('floor')),
  cpuSwarm1VsFloorAgents: ratio(cpu('swarm1'), cpu('floorAgents')),
  targets: { swarm1VsFloorMax: 1.5, swarm1VsFloorMet: s1 <= 1.5 * floor, swarm1VsFloorAgentsMet: s1 <= 1.5 * floorAgents, fourFasterThanOne: s4 < s1 },
};
writeFileSync(out, JSON.stringify(results, null, 2));
cleanupScratch();
