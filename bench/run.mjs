#!/usr/bin/env node
// The benchmarks of issue 8, side by side with their baselines in one run:
//   1. orchestration overhead per task (swarm 1 and 4 workers vs the git floor and the seed's bash swarm)
//   2. merge queue (16 concurrent merges vs 16 serial `git merge --no-ff`)
//   3. extension host (bundle sizes, activation, Tasks tree with 5,000 tasks, file-event bursts)
//   4. memory under flood (1 GiB of agent stdout through runAgentProcess)
//   5. review panel (bench/review-render.ts, when present)
//   6. merge checks (8 approved changes, a 2 s check: batched vs one at a time; bisection; speculative cost)
//   7. a new worktree's environment (.worktreeinclude copy of a node_modules-like tree vs `git worktree add` alone and `cp -a`)
//   8. idle (a run that only waits for the user: journal bytes, CPU, processes), vs the previous engine
//   9. smooth (event-loop delay of the extension host during a 4-worker demo run in it)
//  10. scale (1-16 workers; 16 workers x 200 tasks merged exactly once, peak RSS)
//  11. timeline (the run timeline's model + SVG for a 1,000-task journal, vs parsing that journal)
// Writes bench/results/latest.json and latest.md and prints the table.
//
//   npm run bench                 (= node esbuild.mjs && node bench/run.mjs)
//   node bench/run.mjs [--quick] [--only orchestration,merge,extension,flood,review,mergecheck,wtenv,idle,smooth,scale,timeline] [--out DIR]
//
// Each scenario runs in its own node process (memory and timings of one do not leak into the
// next). Machines are noisy: read the ratios, which compare against a baseline measured in the
// same run, more than the absolute times.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { BENCH, ROOT, scratchDir, cleanupScratch } from './lib/util.mjs';
import { buildEngine, buildCliAt } from './lib/build.mjs';

/** The engine before issue 17 (idle workers polled every 500 ms): the idle scenario's baseline. */
const PREVIOUS_COMMIT = 'b020d5f';
/** The engine before the second round of issue 17's per-task cuts (one diff, shared fork point, config listings by content): the orchestration A/B. */
const BEFORE_CUTS_COMMIT = '9d3e8fa';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' }, render: { type: 'string' } },
});
let QUICK = values.quick;
// `scale500` (npm run bench -- scale500): the scale scenario alone with 16 workers × 500 tasks
// (about 25 min on a loaded 2-core machine; the default run keeps 16 × 200).
const SCALE500 = positionals.includes('scale500');
const ONLY = SCALE500 ? new Set(['scale']) : values.only ? new Set(values.only.split(',')) : undefined;
const OUT = values.out ?? join(BENCH, 'results');
const want = (k) => !ONLY || ONLY.has(k);

const sh = (cmd) => {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  return (r.stdout || '').trim();
};

function machine() {
  const cpus = os.cpus();
  return {
    nproc: Number(sh('nproc')) || os.availableParallelism?.() || cpus.length,
    cpu: cpus[0]?.model,
    memory: sh('free -h'),
    node: process.version,
    git: sh('git --version'),
    kernel: `${os.type()} ${os.release()}`,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function bundles() {
  const out = {};
  for (const f of ['extension.js', 'webview.js', 'cli.js', 'demo-agent.js']) {
    const p = join(ROOT, 'dist', f);
    if (!existsSync(p)) {
      out[f] = null;
      continue;
    }
    const buf = readFileSync(p);
    out[f] = { bytes: statSync(p).size, gzipBytes: gzipSync(buf).length };
  }
  return out;
}

/** Run one scenario in its own node process; it writes its JSON to a file. */
function scenario(name, argv) {
  return new Promise((resolve) => {
    const file = join(scratchDir('results'), `${name}.json`);
    const t0 = performance.now();
    process.stderr.write(`bench: ${name} ...\n`);
    const child = spawn(process.execPath, [...argv, file], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => {
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`bench: ${name} done in ${secs.toFixed(1)} s${code ? ` (exit ${code})` : ''}\n`);
      if (code !== 0 || !existsSync(file)) return resolve({ error: `exited ${code}`, seconds: secs });
      resolve({ ...JSON.parse(readFileSync(file, 'utf8')), seconds: Math.round(secs * 10) / 10 });
    });
  });
}

function reviewRender() {
  const found = readdirSync(BENCH).find((f) => /^review-render\.(ts|mjs|js)$/.test(f));
  if (!found) return Promise.resolve({ notMeasured: 'bench/review-render.* does not exist' });
  return new Promise((resolve) => {
    const t0 = performance.now();
    process.stderr.write('bench: review-render ...\n');
    const args = found.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...args, join(BENCH, found), '--json', '--runs', QUICK ? '1' : '3'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.on('close', (code) => {
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`bench: review-render done in ${secs.toFixed(1)} s\n`);
      try {
        const start = out.indexOf('{');
        resolve({ script: `bench/${found}`, ...JSON.parse(out.slice(start)), seconds: Math.round(secs * 10) / 10 });
      } catch (e) {
        resolve({ script: `bench/${found}`, error: `exit ${code}: could not read its JSON (${e.message})` });
      }
    });
  });
}

// ---- run ------------------------------------------------------------------------------------

let results;
if (values.render) {
  // Only re-render the table of an earlier run's JSON.
  results = JSON.parse(readFileSync(values.render, 'utf8'));
  QUICK = results.quick;
} else {
  for (const f of ['cli.js', 'extension.js']) {
    if (!existsSync(join(ROOT, 'dist', f))) {
      console.error(`dist/${f} is missing: build first (npm run bench does: node esbuild.mjs && node bench/run.mjs)`);
      process.exit(2);
    }
  }
  const started = performance.now();
  results = {
    date: new Date().toISOString(),
    quick: QUICK,
    commit: sh(`git -C ${JSON.stringify(ROOT)} rev-parse --short HEAD`),
    machine: machine(),
    bundles: bundles(),
  };
  await buildEngine();

  if (want('orchestration')) {
    const before = await buildCliAt(BEFORE_CUTS_COMMIT, scratchDir('before-cuts-cli')).catch(() => undefined);
    results.orchestration = await scenario('orchestration', [
      'bench/scenarios/orchestration.mjs',
      '--tasks',
      QUICK ? '10' : '100',
      '--reps',
      QUICK ? '1' : '2',
      ...(before ? ['--previous-cli', before, '--previous-commit', BEFORE_CUTS_COMMIT, '--ab-tasks', QUICK ? '5' : '20'] : []),
    ]);
  }
  if (want('merge')) results.mergeQueue = await scenario('merge-queue', ['bench/scenarios/merge-queue.mjs', '--branches', '16', '--reps', QUICK ? '1' : '5']);
  if (want('extension'))
    results.extensionHost = await scenario('extension-host', ['--import', 'tsx', 'bench/scenarios/extension-host.ts', '--tasks', QUICK ? '500' : '5000']);
  if (want('flood')) results.flood = await scenario('flood', ['--expose-gc', 'bench/scenarios/flood.mjs', '--mib', QUICK ? '64' : '1024']);
  if (want('review')) results.reviewPanel = await reviewRender();
  if (want('mergecheck'))
    results.mergeCheck = await scenario('merge-check', ['bench/scenarios/merge-check.mjs', '--changes', '8', '--check-s', '2', '--reps', QUICK ? '1' : '2']);
  if (want('wtenv'))
    results.worktreeEnv = await scenario('worktree-env', ['bench/scenarios/worktree-env.mjs', '--mb', QUICK ? '20' : '100', '--reps', QUICK ? '1' : '3']);
  if (want('scale'))
    results.scale = await scenario('scale', [
      'bench/scenarios/scale.mjs',
      '--tasks',
      QUICK ? '10' : '30',
      '--big',
      SCALE500 ? '500' : QUICK ? '32' : '200',
      '--workers',
      QUICK ? '1,4,16' : '1,2,4,8,16',
    ]);
  if (want('smooth')) {
    // The same demo run started with "Start swarm" twice: the engine in the extension host
    // (swarm.engineProcess "host"), then in the engine process the extension forks ("child", the
    // default; the host receives its events over IPC): docs/decisions.md.
    const smoothArgs = ['--import', 'tsx', 'bench/scenarios/extension-run.ts', '--tasks', QUICK ? '8' : '24', '--workers', '4'];
    results.smooth = await scenario('extension-run', [...smoothArgs, '--engine', 'host']);
    results.smoothFork = await scenario('extension-run-child', [...smoothArgs, '--engine', 'child']);
  }
  if (want('timeline')) results.timeline = await scenario('timeline', ['--import', 'tsx', 'bench/scenarios/timeline.ts', '--tasks', QUICK ? '200' : '1000']);
  if (want('idle')) {
    const previous = await buildCliAt(PREVIOUS_COMMIT, scratchDir('previous-cli')).catch(() => undefined);
    results.idle = await scenario('idle', ['bench/scenarios/idle.mjs', '--seconds', QUICK ? '5' : '20', ...(previous ? ['--previous-cli', previous] : [])]);
    results.idle.previousCommit = previous ? PREVIOUS_COMMIT : undefined;
  }
  results.machine.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  results.totalSeconds = Math.round((performance.now() - started) / 100) / 10;
}

// ---- table ----------------------------------------------------------------------------------

const f1 = (x) =>
  x === undefined || x === null || Number.isNaN(x) ? '–' : typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1)) : String(x);
const msec = (x) => (x === undefined || x === null ? '–' : `${f1(x)} ms`);
const ok = (b) => (b === undefined ? '–' : b ? 'met' : '**missed**');
const rows = [];
const ratio2 = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);
const row = (area, what, value, baseline, r, target, met) =>
  rows.push([area, what, value, baseline, r === undefined || r === null ? '–' : `${r}×`, target, met]);

const o = results.orchestration;
if (o?.summary) {
  const s = o.summary;
  row(
    '1 orchestration',
    `swarm, 1 worker, ${o.tasks} tasks, review on`,
    `${msec(s.swarm1Ms)} (${f1(s.perTaskMs.swarm1)} ms/task)`,
    `git floor ${msec(s.floorMs)} (${f1(s.perTaskMs.floor)} ms/task)`,
    s.swarm1VsFloor,
    '≤ 1.5×',
    ok(s.targets.swarm1VsFloorMet),
  );
  row(
    '1 orchestration',
    'swarm, 1 worker, vs floor that also starts the agent + reviewer',
    msec(s.swarm1Ms),
    `git floor + agents ${msec(s.floorAgentsMs)} (${f1(s.perTaskMs.floorAgents)} ms/task)`,
    s.swarm1VsFloorAgents,
    '≤ 1.5×',
    ok(s.targets.swarm1VsFloorAgentsMet),
  );
  if (s.gitProcessesPerTask) {
    const sw = o.swarm1[0];
    row(
      '1 orchestration',
      'processes started per task',
      `${s.gitProcessesPerTask.swarm1} git + ${s.agentProcessesPerTask.swarm1} agent (agents ran ${f1((sw.workerAgentMs + sw.reviewerAgentMs) / o.tasks)} ms/task of it)`,
      `floor ${s.gitProcessesPerTask.floor} git; floor + agents ${s.gitProcessesPerTask.floorAgents} git + 2 agent`,
      Math.round((s.gitProcessesPerTask.swarm1 / s.gitProcessesPerTask.floor) * 100) / 100,
      '(explains)',
      '–',
    );
  }
  if (s.cpuSwarm1VsFloor)
    row(
      '1 orchestration',
      'same, CPU time (user+sys of every process)',
      `${f1(s.cpuMs.swarm1 / 1000)} s`,
      `floor ${f1(s.cpuMs.floor / 1000)} s; floor + agents ${f1(s.cpuMs.floorAgents / 1000)} s`,
      s.cpuSwarm1VsFloor,
      `(vs floor + agents: ${s.cpuSwarm1VsFloorAgents}×)`,
      '–',
    );
  // "Faster" beyond this machine's noise: at least 5% less wall time.
  row(
    '1 orchestration',
    'swarm, 4 workers',
    `${msec(s.swarm4Ms)} (${f1(s.perTaskMs.swarm4)} ms/task)`,
    `swarm, 1 worker ${msec(s.swarm1Ms)}`,
    s.swarm4VsSwarm1,
    '≤ 0.95× (4 faster than 1)',
    ok(s.swarm4VsSwarm1 <= 0.95),
  );
  if (o.ab?.summary) {
    const a = o.ab.summary;
    row(
      '1 orchestration',
      `A/B, 1 worker, ${o.ab.tasks} tasks, interleaved: git processes per task`,
      String(a.current.gitPerTask),
      `engine at ${o.ab.previousCommit}: ${a.previous.gitPerTask}`,
      ratio2(a.current.gitPerTask, a.previous.gitPerTask),
      '(fewer)',
      '–',
    );
    row(
      '1 orchestration',
      'same A/B: wall / CPU time',
      `${msec(a.current.ms)} / ${f1(a.current.cpuMs / 1000)} s CPU`,
      `${msec(a.previous.ms)} / ${f1(a.previous.cpuMs / 1000)} s CPU`,
      a.wallRatio,
      `(CPU ${a.cpuRatio}×)`,
      '–',
    );
  }
  for (const x of o.oompa)
    row(
      '1 reference',
      `seed oompa_loompas.sh${x.fixed ? ' (one-character fix: no leading dot)' : ' (verbatim)'}, ${x.workers} worker(s), stub claude`,
      `${msec(x.ms)}, ${x.landedChanges}/${o.tasks} changes landed`,
      `git floor ${msec(s.floorMs)}`,
      Math.round((x.ms / s.floorMs) * 100) / 100,
      '(reference)',
      x.lost ? `${x.lost} lost` : 'none lost',
    );
} else if (o) row('1 orchestration', 'error', o.error ?? '?', '', null, '', '**error**');

const m = results.mergeQueue;
if (m?.summary) {
  const s = m.summary;
  row(
    '2 merge queue',
    `${m.branches} concurrent MergeQueue.merge calls`,
    `${msec(s.queueMs)} (${f1(s.perMergeMs.queue)} ms/merge)`,
    `${m.branches} serial git merge --no-ff ${msec(s.plainMs)}`,
    s.ratio,
    '≤ 1.3×',
    ok(s.targets.ratioMet),
  );
  if (s.gitProcessesPerMerge)
    row(
      '2 merge queue',
      'git processes per merge',
      String(s.gitProcessesPerMerge.queue),
      `plain git merge: ${s.gitProcessesPerMerge.plain}`,
      Math.round((s.gitProcessesPerMerge.queue / s.gitProcessesPerMerge.plain) * 100) / 100,
      '(explains)',
      '–',
    );
  row(
    '2 merge queue',
    'all merged, none lost (checked with git)',
    s.allMergedNoneLost ? `${m.branches}/${m.branches} merged` : 'NO',
    '',
    null,
    'all',
    ok(s.targets.noneLostMet),
  );
} else if (m) row('2 merge queue', 'error', m.error ?? '?', '', null, '', '**error**');

const mc = results.mergeCheck;
if (mc?.summary) {
  const s = mc.summary;
  row(
    '6 merge check',
    `${mc.changes} approved changes, ${mc.checkSeconds} s check, batched (merge_check.batch ${mc.changes})`,
    `${msec(s.batchedMs)}, ${s.checks.batched} checks`,
    `one at a time (batch 1): ${msec(s.singleMs)}, ${s.checks.single} checks`,
    s.ratio,
    '≤ 0.5×',
    ok(s.targets.ratioMet),
  );
  row(
    '6 merge check',
    'every change merged (checked with git)',
    s.allMerged ? `${mc.changes}/${mc.changes}` : 'NO',
    '',
    null,
    'all',
    ok(s.targets.allMergedMet),
  );
  row(
    '6 merge check',
    'one bad change among them: checks (bisection)',
    `${s.oneBadChecks.batched} checks, ${msec(s.oneBadMs.batched)}`,
    `one at a time: ${s.oneBadChecks.single} checks, ${msec(s.oneBadMs.single)}`,
    ratio2(s.oneBadMs.batched, s.oneBadMs.single),
    'only the bad one sent back',
    ok(s.oneBadOk),
  );
  row(
    '6 merge check',
    `speculative checks' cost: ${mc.speculative.k} CPU-bound checks at once on ${mc.cores} cores`,
    msec(mc.speculative.parallelCpuChecksMs),
    `one check: ${msec(mc.speculative.oneCpuCheckMs)}`,
    s.speculativeRatio,
    '(why batching: docs/decisions.md)',
    '–',
  );
} else if (mc) row('6 merge check', 'error', mc.error ?? '?', '', null, '', '**error**');

const tl = results.timeline;
if (tl?.summary) {
  const s = tl.summary;
  row(
    '11 timeline',
    `run timeline of ${tl.tasks} tasks (${tl.events} journal lines): model + SVG string`,
    `${msec(s.modelSvgMs)} (model ${msec(s.modelMs)}, SVG ${msec(s.svgMs)}; ${tl.spans} spans, ${Math.round(tl.svgBytes / 1024)} KiB)`,
    `JSON.parse of the journal ${msec(s.parseMs)}`,
    s.modelSvgVsParse,
    '< 500 ms',
    ok(s.targets.under500msMet),
  );
  row(
    '11 timeline',
    'same SVG put into a page (happy-dom innerHTML; Chromium parses faster)',
    `${msec(s.happyDomMs)}, ${tl.rendered}/${tl.spans} spans drawn`,
    '',
    null,
    '(reference)',
    ok(s.targets.allDrawnMet),
  );
} else if (tl) row('11 timeline', 'error', tl.error ?? '?', '', null, '', '**error**');

const b = results.bundles;
const kib = (x) => (x ? `${(x.bytes / 1024).toFixed(0)} KiB (${(x.gzipBytes / 1024).toFixed(0)} KiB gz)` : 'missing');
row(
  '3 extension host',
  'bundle sizes: extension / webview / cli',
  `${kib(b['extension.js'])} / ${kib(b['webview.js'])} / ${kib(b['cli.js'])}`,
  '',
  null,
  '(reported)',
  '–',
);
const e = results.extensionHost;
if (e?.summary) {
  const s = e.summary;
  row(
    '3 extension host',
    'activate() of dist/extension.js (fake vscode)',
    msec(s.activateMs),
    `require() of the bundle ${msec(s.loadBundleMs)}`,
    null,
    '< 50 ms',
    ok(s.targets.activateMet),
  );
  row(
    '3 extension host',
    `Tasks tree, ${e.tasks} tasks: getChildren of every group`,
    msec(s.getChildrenAllGroupsMs),
    `+ getTreeItem of all ${e.treeNodes} nodes: ${msec(s.getChildrenPlusTreeItemsMs)}`,
    null,
    '< 100 ms',
    ok(s.targets.getChildrenMet),
  );
  row(
    '3 extension host',
    '1,000 file events at once → tree refreshes',
    `${s.refreshesInstantBurst} (${e.burstInstant.taskReloads} task reloads)`,
    '',
    null,
    '≤ 3',
    ok(s.refreshesInstantBurst <= 3),
  );
  row(
    '3 extension host',
    '1,000 file events over 2 s → tree refreshes',
    `${s.refreshesSpreadBurst} (${e.burstSpread2s.taskReloads} task reloads)`,
    '',
    null,
    '≤ 3',
    ok(s.refreshesSpreadBurst <= 3),
  );
  if (e.spawnCost)
    row(
      '3 extension host',
      'one child process: synchronous part of spawn() (blocks the event loop)',
      `${msec(e.spawnCost.atThisSize.spawnSyncMs)} at ${e.spawnCost.atThisSize.rssMB} MB RSS`,
      `${msec(e.spawnCost.at300MBMore.spawnSyncMs)} at ${e.spawnCost.at300MBMore.rssMB} MB RSS`,
      null,
      '(reported)',
      '–',
    );
  row(
    '3 engine',
    `Workspace.listTasks(), ${e.tasks} tasks, first (parses all)`,
    msec(s.listTasksColdMs),
    `readdir + readFile ${msec(s.plainReadMs)}`,
    s.listTasksColdVsPlainRead,
    '(reported)',
    '–',
  );
  row(
    '3 engine',
    'Workspace.listTasks(), later calls (unchanged files)',
    msec(s.listTasksWarmMs),
    `readdir + readFile ${msec(s.plainReadMs)}`,
    s.listTasksWarmVsPlainRead,
    '(reported)',
    '–',
  );
} else if (e) row('3 extension host', 'tree / activation', e.error ?? '?', '', null, '', 'not measured');

const fl = results.flood;
if (fl?.summary) {
  const s = fl.summary;
  row(
    '4 flood',
    `agent prints ${(fl.bytes / 2 ** 30).toFixed(0)} GiB via runAgentProcess: RSS growth`,
    `${f1(s.rssGrowthMB)} MB`,
    '',
    null,
    '< 50 MB',
    ok(s.targets.rssMet),
  );
  row('4 flood', 'log file holds all of it', `${s.logBytes} bytes`, `${fl.bytes} expected`, null, 'all', ok(s.targets.logCompleteMet));
  row(
    '4 flood',
    'time',
    `${msec(s.swarmMs)} (${s.throughputMiBps} MiB/s)`,
    `sh → /dev/null ${msec(s.shellDevNullMs)}; sh → file ${msec(s.shellToFileMs)}`,
    s.vsDevNull,
    `(vs file: ${s.vsShellToFile}×)`,
    '–',
  );
} else if (fl) row('4 flood', 'error', fl.error ?? '?', '', null, '', '**error**');

const rp = results.reviewPanel;
if (rp?.notMeasured) row('5 review panel', '5,000-line diff', 'not measured', rp.notMeasured, null, '< 1 s', 'not measured');
else if (rp?.error) row('5 review panel', '5,000-line diff', 'error', rp.error, null, '< 1 s', '**error**');
else if (rp) {
  const engines = [
    ['Chromium', rp.chromium?.results],
    ['happy-dom', rp.happyDom],
  ];
  for (const [eng, list] of engines) {
    if (!Array.isArray(list)) {
      row('5 review panel', `${eng}`, 'skipped', rp.chromium?.skipped ?? '', null, '< 1 s', '–');
      continue;
    }
    const base = list.find((x) => /^baseline/.test(x.name));
    // The target is for the real panel (a Chromium webview); happy-dom is the portable reference
    // number (no layout, much slower DOM calls than a browser), reported without a target.
    const real = eng === 'Chromium';
    for (const x of list.filter((y) => !/^baseline/.test(y.name)))
      row(
        '5 review panel',
        `${eng}: ${x.name}`,
        msec(x.medianMs),
        base ? `${base.name.replace(/^baseline: /, '')} ${msec(base.medianMs)}` : '',
        x.ratioToBaseline,
        real ? '< 1 s' : '(reference)',
        real ? ok(x.medianMs < 1000) : '–',
      );
  }
}

const we = results.worktreeEnv;
if (we?.summary) {
  const s = we.summary;
  const fsNote = `${s.filesystem}: copy-on-write ${s.reflinkSupported ? 'supported' : 'not supported (plain copies)'}`;
  row(
    '7 worktree env',
    `new worktree + .worktreeinclude node_modules/ (${s.treeMB} MB, ${s.treeFiles} files; ${fsNote})`,
    `${msec(s.includeAllMs)} copy (+ ${msec(s.worktreeAddMs)} add)`,
    `git worktree add alone ${msec(s.worktreeAddMs)}`,
    s.includeAllVsAdd,
    '(reported)',
    '–',
  );
  row('7 worktree env', 'the same copy vs coreutils', msec(s.includeAllMs), `cp -a ${msec(s.cpMs)}`, s.includeAllVsCp, '(reported)', '–');
  row(
    '7 worktree env',
    `.worktreeinclude of .env only, the ${s.treeMB} MB tree present (listing cost)`,
    msec(s.includeEnvOnlyMs),
    `git worktree add alone ${msec(s.worktreeAddMs)}`,
    s.envOnlyVsAdd,
    '(reported)',
    '–',
  );
  row('7 worktree env', 'no .worktreeinclude, no worktree.include', msec(s.noIncludeMs), '', null, '(reported)', '–');
} else if (we) row('7 worktree env', 'error', we.error ?? '?', '', null, '', '**error**');
const id = results.idle;
if (id?.summary) {
  const s = id.summary;
  const p = s.previous;
  const base = (k, unit) => (p ? `engine at ${id.previousCommit}: ${p[k]}${unit}` : '');
  const r = (k) => (p && p[k] > 0 ? Math.round((s[k] / p[k]) * 1000) / 1000 : null);
  row(
    '8 idle',
    `2 reviews waiting, 2 idle workers, ${f1(id.current?.seconds)} s: journal growth`,
    `${s.journalBytes} bytes`,
    base('journalBytes', ' bytes'),
    r('journalBytes'),
    '< 2 KB',
    ok(s.targets.journalMet),
  );
  row(
    '8 idle',
    'same: CPU of the swarm process tree',
    `${s.cpuPercentOfCore}% of a core`,
    base('cpuPercentOfCore', '% of a core'),
    r('cpuPercentOfCore'),
    '< 1%',
    ok(s.targets.cpuMet),
  );
  row(
    '8 idle',
    'same: processes started (git + any child seen)',
    String(s.processesStarted),
    base('processesStarted', ''),
    r('processesStarted'),
    '0',
    ok(s.targets.noProcessMet),
  );
} else if (id) row('8 idle', 'error', id.error ?? '?', '', null, '', '**error**');

const sc = results.scale;
if (sc?.summary) {
  row(
    '10 scale',
    `throughput, ${sc.tasks} instant tasks, review on (tasks/min by workers)`,
    sc.throughput.map((x) => `${x.workers}: ${x.tasksPerMin}`).join(', '),
    `1 worker: ${sc.throughput[0]?.tasksPerMin}`,
    sc.throughput.length > 1 ? Math.round((sc.throughput.at(-1).tasksPerMin / sc.throughput[0].tasksPerMin) * 100) / 100 : null,
    '(reported)',
    '–',
  );
  if (sc.big) {
    row(
      '10 scale',
      `16 workers × ${sc.big.tasks} tasks: every task merged exactly once`,
      sc.big.mergedExactlyOnce
        ? `${sc.big.complete}/${sc.big.tasks}, once each (${f1(sc.big.ms / 1000)} s, ${sc.big.tasksPerMin}/min)`
        : `NO: ${sc.big.problems.join('; ')}`,
      '',
      null,
      'all, once',
      ok(sc.big.mergedExactlyOnce),
    );
    row('10 scale', 'same: peak RSS of the swarm process (VmHWM)', `${sc.big.peakRssMB} MB`, '', null, '< 300 MB', ok(sc.summary.targets.rssMet));
    const tv = sc.big.tasksView;
    if (tv)
      row(
        '10 scale',
        'same: Tasks view of an extension open on the repository, getChildren of every group every 250 ms',
        tv.error ?? `max ${msec(tv.maxMs)}, p99 ${msec(tv.p99Ms)} (${tv.samples} samples, up to ${tv.maxNodes} nodes)`,
        '',
        null,
        '< 100 ms',
        ok(sc.summary.targets.getChildrenMet),
      );
  }
} else if (sc) row('10 scale', 'error', sc.error ?? '?', '', null, '', '**error**');

const sm = results.smooth;
if (sm?.summary) {
  const s = sm.summary;
  row(
    '9 extension host',
    `event-loop delay during a ${sm.workers}-worker demo run in the host (swarm.engineProcess "host", ${sm.tasks} tasks, ${f1(sm.runMs / 1000)} s): p99`,
    msec(s.p99Ms),
    `same process idle: p99 ${msec(s.idleP99Ms)}`,
    null,
    '< 20 ms',
    ok(s.targets.p99Met),
  );
  row('9 extension host', 'same: max', msec(s.maxMs), `same process idle: max ${msec(s.idleMaxMs)}`, null, '< 100 ms', ok(s.targets.maxMet));
  row(
    '9 extension host',
    'same: getChildren of every Tasks group, every 100 ms (max)',
    msec(s.getChildrenMaxMs),
    `${sm.getChildren.samples} samples, p99 ${msec(sm.getChildren.p99Ms)}`,
    null,
    '< 100 ms',
    ok(s.getChildrenMaxMs < 100),
  );
} else if (sm) row('9 extension host', 'event-loop delay', sm.error ?? '?', '', null, '', '**error**');
const sf = results.smoothFork;
if (sf?.summary) {
  const s = sf.summary;
  row(
    '9 extension host',
    `same run, engine in the extension's engine process (swarm.engineProcess "child"; the host receives ${sf.eventsReceived} events; ${f1(sf.runMs / 1000)} s): p99 / max`,
    `${msec(s.p99Ms)} / ${msec(s.maxMs)}`,
    `same process idle: ${msec(s.idleP99Ms)} / ${msec(s.idleMaxMs)}`,
    null,
    '< 20 ms / < 100 ms',
    ok(s.targets.p99Met && s.targets.maxMet),
  );
} else if (sf) row('9 extension host', 'event-loop delay, engine in a child', sf.error ?? '?', '', null, '', '**error**');

const header = ['area', 'what', 'measured', 'baseline (same run)', 'ratio', 'target', 'result'];
const md = [
  `# Benchmark results (${results.date}${QUICK ? ', QUICK' : ''})`,
  '',
  `Machine: ${results.machine.nproc} cores (${results.machine.cpu}), node ${results.machine.node}, ${results.machine.git}, ${results.machine.kernel}; load average ${results.machine.loadavgStart.join(' ')} at the start, ${results.machine.loadavgEnd.join(' ')} at the end. Commit ${results.commit}. Total ${results.totalSeconds} s.`,
  '',
  '```',
  results.machine.memory,
  '```',
  '',
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  '',
  ...(o?.summary
    ? [
        `Orchestration, every repetition (wall ms): floor ${o.floor.map((x) => Math.round(x.ms)).join(', ')}; floor + agents ${o.floorAgents.map((x) => Math.round(x.ms)).join(', ')}; swarm 1 worker ${o.swarm1.map((x) => Math.round(x.ms)).join(', ')}; swarm 4 workers ${o.swarm4.map((x) => Math.round(x.ms)).join(', ')}. The merge step (merge queue + completion + worktree removal) took ${o.swarm1.map((x) => Math.round(x.mergeStepMs / o.tasks)).join(', ')} ms/task of the 1-worker runs.`,
        '',
      ]
    : []),
  ...(m?.summary
    ? [
        `Merge queue, every repetition (ms): queue ${m.queue.map((x) => Math.round(x.ms)).join(', ')}; plain ${m.plain.map((x) => Math.round(x.ms)).join(', ')}.`,
        '',
      ]
    : []),
].join('\n');

mkdirSync(OUT, { recursive: true });
const BASE = SCALE500 ? 'scale500' : 'latest'; // scale500 does not replace the full run's results
writeFileSync(join(OUT, `${BASE}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(OUT, `${BASE}.md`), md);
cleanupScratch();

// Console: the same table, aligned.
const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => String(r[i]).length))));
const line = (cells) => cells.map((c, i) => String(c).slice(0, 70).padEnd(widths[i])).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(
  `\n${join(OUT, `${BASE}.md`)} and ${BASE}.json written (${results.totalSeconds} s; load average ${results.machine.loadavgStart.join(' ')} → ${results.machine.loadavgEnd.join(' ')})`,
);
