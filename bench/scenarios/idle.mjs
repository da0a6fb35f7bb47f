// 6. Idle (issue 17 target 1): a swarm whose workers only wait (two reviews waiting for the user,
// two idle workers, default limits) is watched for --seconds: how many bytes its journal grows,
// how much CPU its process tree uses (utime + stime from /proc, children included), how many
// processes it starts (git from GIT_TRACE, any child seen in /proc every 50 ms). Baseline in the
// same run: the engine as it was before the task folders were watched (--previous-cli, a cli.js
// built from an earlier commit by bench/run.mjs), on an identical repository.
//   node bench/scenarios/idle.mjs OUT.json [--seconds 20] [--previous-cli FILE]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENTS, ROOT, cleanupScratch, gitEnv, gitTrace, makeBaseRepo, scratchDir, writeTasks } from '../lib/util.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '20' }, 'previous-cli': { type: 'string' } },
});
const SECONDS = Number(values.seconds);
const out = positionals[0];
const TICK = 100; // USER_HZ (clock ticks in /proc/<pid>/stat): 100 on Linux

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime (+ cutime + cstime: children it waited for) of a process, in ms. */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime = field 14 → index 11.
  return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / TICK;
}

/** Every descendant pid of pid right now (from /proc/<pid>/task/<tid>/children). */
function descendants(pid, acc = new Set()) {
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return acc;
  }
  for (const t of tids) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(' ').filter(Boolean)) {
      acc.add(Number(k));
      descendants(Number(k), acc);
    }
  }
  return acc;
}

function journalBytes(dir) {
  const runs = join(dir, '.swarm', 'runs');
  if (!existsSync(runs)) return 0;
  return readdirSync(runs).reduce((n, d) => {
    try {
      return n + statSync(join(runs, d, 'events.jsonl')).size;
    } catch {
      return n;
    }
  }, 0);
}

const waitingForYou = (dir) =>
  ['t001', 't002'].every((id) => {
    try {
      return /\nstatus: awaiting_human\n/.test(readFileSync(join(dir, 'tasks', 'current', `${id}.md`), 'utf8'));
    } catch {
      return false;
    }
  });

async function measure(name, cli) {
  const dir = makeBaseRepo(scratchDir(`idle-${name}`));
  writeTasks(dir, 2);
  writeFileSync(
    join(dir, 'swarm.json'),
    JSON.stringify(
      {
        workers: [{ role: 'worker', harness: 'bench', count: 2, iterations: 10 }],
        review: { mode: 'human' },
        harnesses: { bench: { command: [join(AGENTS, 'worker.sh')] } },
      },
      null,
      2,
    ),
  );
  const trace = gitTrace(`idle-${name}`);
  const child = spawn(process.execPath, [cli, 'run', '--repo', dir, '--json'], { cwd: dir, env: trace.env(gitEnv()), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise((r) => child.on('close', r));
  try {
    for (const end = Date.now() + 60_000; !waitingForYou(dir); await sleep(100)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`${name}: the two reviews never waited (${stderr.slice(-2000)})`);
    }
    await sleep(2000); // the last worker settles into waiting
    const j0 = journalBytes(dir);
    const c0 = cpuMs(child.pid);
    const g0 = trace.count();
    const seen = new Set();
    const end = Date.now() + SECONDS * 1000;
    const t0 = Date.now();
    while (Date.now() < end) {
      for (const p of descendants(child.pid)) seen.add(p);
      await sleep(50);
    }
    const wallMs = Date.now() - t0;
    const cpu = cpuMs(child.pid) - c0;
    const bytes = journalBytes(dir) - j0;
    return {
      name,
      cli,
      seconds: wallMs / 1000,
      journalBytes: bytes,
      journalBytesPerSecond: Math.round(bytes / (wallMs / 1000)),
      cpuMs: cpu,
      cpuPercentOfCore: Math.round((cpu / wallMs) * 10000) / 100,
      gitProcesses: trace.count() - g0,
      childProcessesSeen: seen.size,
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
  }
}

const results = { seconds: SECONDS, current: await measure('current', join(ROOT, 'dist', 'cli.js')) };
if (values['previous-cli'] && existsSync(values['previous-cli'])) results.previous = await measure('previous', values['previous-cli']);
const c = results.current;
results.summary = {
  journalBytes: c.journalBytes,
  cpuPercentOfCore: c.cpuPercentOfCore,
  processesStarted: c.gitProcesses + c.childProcessesSeen,
  previous: results.previous
    ? {
        journalBytes: results.previous.journalBytes,
        cpuPercentOfCore: results.previous.cpuPercentOfCore,
        processesStarted: results.previous.gitProcesses + results.previous.childProcessesSeen,
      }
    : undefined,
  targets: { journalMet: c.journalBytes < 2048, cpuMet: c.cpuPercentOfCore < 1, noProcessMet: c.gitProcesses + c.childProcessesSeen === 0 },
};
writeFileSync(out, JSON.stringify(results, null, 2));
cleanupScratch();
