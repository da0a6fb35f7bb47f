// Per-turn cost of the agent sandbox (issue 13): median wall time of 50 starts of `true`
// (and of a turn that commits one file, plain vs sandboxed with its own object store)
//   - plain (spawn `true`),
//   - in bubblewrap with the base flags only (the availability probe),
//   - with a worker turn's whole policy (worktree, git data, own ref folder, deny list, no
//     network) as AgentSandbox.prepare builds it, prepare + dispose included,
//   - the same with a loopback bridge (socat inside, a unix socket served by this process).
// and, with --tasks N (e.g. 60), the whole-run overhead: `dist/cli.js run` on N tasks with the
// instant scripted agents of bench/agents (1 worker, review on), sandbox "auto" vs "off",
// interleaved (--reps R, default 1).
// Run: node --import tsx bench/sandbox-start.ts [--n 50] [--tasks 60] [--reps 1] [--json]
// Needs bubblewrap (and socat for the bridge line) and, for --tasks, the built dist/ (node esbuild.mjs).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { AgentSandbox, BASE_FLAGS, detectSandbox } from '../src/swarm/sandbox';
// @ts-expect-error plain .mjs helpers of the other benchmarks
import { AGENTS, ROOT, makeBaseRepo, scratchDir, cleanupScratch, timed, writeTasks, gitEnv } from './lib/util.mjs';

const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 50;
const json = process.argv.includes('--json');
const arg = (name: string) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : 0);
const tasks = arg('--tasks');
const reps = arg('--reps') || 1;

/** `swarm run` on `tasks` instant tasks with the sandbox in `mode`: wall ms. */
async function wholeRun(mode: 'auto' | 'off', rep: number): Promise<number> {
  const dir = makeBaseRepo(scratchDir(`sandbox-${mode}-${rep}`));
  writeTasks(dir, tasks);
  writeFileSync(
    join(dir, 'swarm.json'),
    JSON.stringify({
      workers: [{ role: 'worker', harness: 'bench', count: 1, iterations: tasks }],
      review: { mode: 'agent', harness: 'benchreview', max_rounds: 3 },
      harnesses: { bench: { command: [join(AGENTS, 'worker.sh')] }, benchreview: { command: [join(AGENTS, 'reviewer.sh')] } },
      limits: { poll_ms: 20 },
      sandbox: { mode },
    }),
  );
  const r = await timed([process.execPath, join(ROOT, 'dist', 'cli.js'), 'run', '--repo', dir, '--json', '--no-wait'], { cwd: dir, env: gitEnv() });
  if (r.code !== 0) throw new Error(`swarm run (sandbox ${mode}) exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

function run(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((res, rej) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env, cwd });
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t) / 1e6) : rej(new Error(`${argv.join(' ')}: exit ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function measure(f: () => Promise<number>): Promise<{ median: number; p90: number }> {
  await f(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  const s = [...xs].sort((a, b) => a - b);
  return { median: Math.round(median(xs) * 100) / 100, p90: Math.round(s[Math.floor(s.length * 0.9)] * 100) / 100 };
}

async function main(): Promise<void> {
  const avail = detectSandbox();
  if (!avail.available || !avail.bwrap) {
    console.error(`no sandbox: ${avail.reason}`);
    process.exit(1);
  }
  const home = mkdtempSync(join(tmpdir(), 'swarm-bench-sb-'));
  const root = join(home, 'repo');
  const g = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'ignore' });
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  g('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'init');
  const wt = join(root, '.swarm', 'worktrees', 't1');
  g('worktree', 'add', '-q', '-b', 'swarm/w1/t1', wt);
  const sb = new AgentSandbox(
    { mode: 'auto', allowWrite: [], denyRead: [], allowDomains: [] },
    { root, commonDir: join(root, '.git'), tasksDir: join(root, 'tasks') },
    avail,
  );
  const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const turn = async (env: NodeJS.ProcessEnv) => {
    const t = process.hrtime.bigint();
    const p = (await sb.prepare({ role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env }, ['true']))!;
    try {
      await run(p.argv);
    } finally {
      await p.dispose();
    }
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const rows: Record<string, { median: number; p90: number }> = {};
  rows['plain `true`'] = await measure(() => run(['true']));
  rows['bwrap base flags + --unshare-net'] = await measure(() => run([avail.bwrap!, ...BASE_FLAGS, '--unshare-net', 'true']));
  rows['worker turn policy (prepare + bwrap + dispose)'] = await measure(() => turn({ ...process.env }));
  // A turn that commits one file: its objects go to the turn's own store and are imported after (Git.importObjects).
  let k = 0;
  const commit = ['sh', '-c', 'echo "$1" > f.txt && git add f.txt && git -c user.name=b -c user.email=b@b commit -q -m x', 'commit'];
  rows['plain: git add + commit in the worktree (no sandbox)'] = await measure(() => run([...commit, String(k++)], process.env, wt));
  rows['worker turn that commits (own object store, imported re-hashed after)'] = await measure(async () => {
    const t = process.hrtime.bigint();
    const p = (await sb.prepare({ role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: { ...process.env } }, [...commit, String(k++)]))!;
    try {
      await run(p.argv);
    } finally {
      await p.dispose();
    }
    return Number(process.hrtime.bigint() - t) / 1e6;
  });
  if (avail.socat) rows['worker turn + 1 loopback bridge (socat)'] = await measure(() => turn({ ...process.env, FAKE_BASE_URL: `http://127.0.0.1:${port}` }));
  server.close();
  rmSync(home, { recursive: true, force: true });
  let whole: { tasks: number; reps: number; offMs: number; onMs: number; ratio: number; perTurnMs: number } | undefined;
  if (tasks) {
    const on: number[] = [];
    const off: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      if (rep % 2) {
        on.push(await wholeRun('auto', rep));
        off.push(await wholeRun('off', rep));
      } else {
        off.push(await wholeRun('off', rep));
        on.push(await wholeRun('auto', rep));
      }
    }
    cleanupScratch();
    const [a, b] = [median(on), median(off)];
    whole = {
      tasks,
      reps,
      offMs: Math.round(b),
      onMs: Math.round(a),
      ratio: Math.round((a / b) * 100) / 100,
      perTurnMs: Math.round(((a - b) / (2 * tasks)) * 10) / 10,
    };
  }
  const out = { n, bwrap: avail.version, load: loadavg().map((x) => Math.round(x * 100) / 100), ms: rows, run: whole };
  if (json) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`per-turn sandbox start cost, ${n} runs each (${avail.version}; load ${out.load.join(' ')})`);
  console.log('| what | median ms | p90 ms |\n|---|---|---|');
  for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v.median} | ${v.p90} |`);
  if (whole)
    console.log(
      `\nswarm run, ${whole.tasks} tasks (1 worker, review on; median of ${whole.reps}): sandbox off ${whole.offMs} ms, on ${whole.onMs} ms = ${whole.ratio}x (${whole.perTurnMs} ms per agent turn)`,
    );
}

void main();
