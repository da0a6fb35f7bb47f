// The headless `swarm` CLI: the same engine as the extension, for terminals and CI.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { openWorkspace } from '../swarm/workspace';
import { initRepo } from '../swarm/init';
import { formatDoctor, runDoctor } from '../swarm/doctor';
import { problemText } from '../swarm/preflight';
import type { Workspace, ReviewMode } from '../swarm/api';
import { ConfigError, SwarmError } from '../swarm/errors';
import { formatPorts } from '../swarm/ports';
import { describeConflict } from '../swarm/conflictText';
import { costWords, formatUsage, formatUsd } from '../swarm/cost';
import { runUsageFromJournal, taskCosts } from '../swarm/usageReport';
import { EXIT, HELP, describeEvent, errOut, makeOut, one, short, type Out } from './output';
import { cmdReview } from './review';
import { cmdStop } from './stop';

async function cmdRun(ws: Workspace, out: Out, flags: { wait: boolean }): Promise<number> {
  const elsewhere = await ws.runningElsewhere();
  if (elsewhere) {
    process.stderr.write(`another swarm (pid ${elsewhere.pid}, run ${elsewhere.runId}) is running on this repository\n`);
    return EXIT.busy;
  }
  // Preflight (src/swarm/preflight.ts): every problem at once, before anything is claimed.
  const problems = await ws.preflight();
  if (problems.length) {
    errOut(`swarm: cannot start (nothing was claimed):\n${problems.map((p) => `  - ${problemText(p)}`).join('\n')}\nswarm doctor checks the whole setup.\n`);
    return EXIT.usage;
  }
  const started = Date.now();
  // Not sandboxed is said on stderr too, so it is seen even with --json or a redirected stdout.
  if (ws.sandbox && !ws.sandbox.sandboxed && ws.sandbox.mode !== 'required') process.stderr.write(`swarm: warning: ${ws.sandbox.reason}\n`);
  ws.onEvent((e) => {
    if (out.json) {
      out.data(e);
      return;
    }
    const line = describeEvent(e);
    if (line) out.print(`${new Date().toISOString().slice(11, 19)} ${one(line)}`);
  });
  const run = ws.startRun({ waitForHumans: flags.wait });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      process.stderr.write('stopping already; agents are being killed\n');
      return;
    }
    interrupted = true;
    process.stderr.write('\nstopping: killing agents, saving state (run again to resume)\n');
    void run.stop('interrupted by Ctrl-C');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = await run.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const rounds = summary.workers.reduce((n, w) => n + w.reviewRounds, 0);
  if (!out.json) {
    out.print(
      `done in ${secs} s: ${summary.merged.length} merged, ${summary.completedWithoutChange?.length ? `${summary.completedWithoutChange.length} completed with no change, ` : ''}${rounds} review round(s), ${summary.waitingForHuman.length} waiting for your review, ${summary.blocked.length} blocked (${one(summary.reason)})`,
    );
    for (const w of summary.workers)
      out.print(
        `  ${w.workerId}: ${w.merges} merged, ${w.rejections} rejected, ${w.errors} errors, ${w.reviewRounds} review rounds, ${(w.wallMs / 1000).toFixed(1)} s${formatUsage(w.usage) ? `, ${formatUsage(w.usage)}` : ''}`,
      );
    if (formatUsage(summary.usage)) out.print(`  cost: ${formatUsage(summary.usage)}`);
    if (summary.waitingForBudget?.length)
      out.print(`  budget reached, waiting: ${summary.waitingForBudget.join(', ')} (raise max_cost_usd in the task file, then swarm retry TASK)`);
  }
  if (interrupted) return EXIT.interrupted;
  if (summary.reason?.startsWith('another swarm')) return EXIT.busy;
  if (summary.reason?.startsWith('error')) return EXIT.error;
  if (
    !flags.wait &&
    (summary.waitingForHuman.length || summary.blocked.length || summary.waitingForBudget?.length || summary.reason?.startsWith('run budget reached'))
  )
    return EXIT.waiting;
  return EXIT.ok;
}

async function cmdStatus(ws: Workspace, out: Out, full: boolean): Promise<number> {
  const tasks = await ws.listTasks();
  const needs = await ws.needsYou();
  const running = await ws.runningElsewhere();
  const cannotStart = tasks.pending.filter((t) => t.cannotRun);
  // Live worktrees: their port range and predicted conflicts (src/swarm/ports.ts, conflicts.ts).
  const live = (await Promise.all(tasks.current.map(async (t) => ({ id: t.id, st: await ws.taskState(t.id) })))).filter(
    (x) => x.st?.ports || x.st?.predictedConflicts?.length,
  );
  const worktrees = live.map(({ id, st }) => ({ taskId: id, ports: st?.ports ?? null, conflicts: st?.predictedConflicts ?? [] }));
  const costs = full
    ? await taskCosts(
        [...tasks.current, ...tasks.complete, ...tasks.pending].map((t) => t.id),
        (id) => ws.taskState(id),
      )
    : {};
  const runDir = await ws.latestRunDir();
  const lastRun = runDir ? await runUsageFromJournal(runDir) : undefined;
  if (out.json) {
    // swarm tasks --json: every task carries its cost (all rounds and reviews) and budget when known.
    const withCost = <T extends { id: string }>(list: T[]) => list.map((t) => ({ ...t, ...costs[t.id] }));
    if (full) {
      out.data({ ...tasks, pending: withCost(tasks.pending), current: withCost(tasks.current), complete: withCost(tasks.complete) });
      return EXIT.ok;
    }
    out.data({
      cost: {
        latestRun: lastRun ? { usage: lastRun.run, workers: lastRun.workers, turns: lastRun.turns } : null,
        budget: ws.config.limits.maxCostUsd ?? null,
        taskBudget: ws.config.limits.taskMaxCostUsd ?? null,
      },
      pending: tasks.pending.length,
      current: tasks.current.length,
      complete: tasks.complete.length,
      quarantined: tasks.quarantined,
      needsYou: needs,
      cannotStart: cannotStart.map((t) => ({ id: t.id, reason: t.cannotRun })),
      running: running ?? null,
      config: ws.config.file ?? null,
      base: ws.base,
      sandbox: ws.sandbox ?? null,
      worktrees,
    });
    return EXIT.ok;
  }
  out.print(`repository ${ws.root}${running ? ` — swarm running (pid ${running.pid})` : ''}`);
  out.print(`config: ${ws.config.file ?? 'built-in defaults (no swarm.json)'}`);
  if (ws.sandbox) out.print(`sandbox (${ws.sandbox.mode}): ${ws.sandbox.reason}`);
  out.print(
    `tasks: ${tasks.pending.length} pending, ${tasks.current.length} current, ${tasks.complete.length} complete, ${tasks.quarantined.length} quarantined`,
  );
  if (lastRun) {
    out.print(
      `cost of the latest run: ${formatUsage(lastRun.run) ?? 'none reported'} in ${lastRun.turns} agent turn(s)${ws.config.limits.maxCostUsd !== undefined ? ` (run budget ${formatUsd(ws.config.limits.maxCostUsd)})` : ''}`,
    );
    for (const [w, u] of Object.entries(lastRun.workers)) out.print(`  ${w.padEnd(8)} ${formatUsage(u) ?? '-'}`);
  }
  if (full) {
    for (const [name, list] of [
      ['pending', tasks.pending],
      ['current', tasks.current],
      ['complete', tasks.complete],
    ] as const) {
      for (const t of list)
        out.print(
          `  ${name.padEnd(8)} ${t.id.padEnd(28)} ${t.status.padEnd(22)} ${one(t.claimedBy ?? t.completedBy)}  ${one(t.title)}${costs[t.id] ? `  [${costWords(costs[t.id].usage, costs[t.id].budgetUsd)}]` : ''}`,
        );
    }
    for (const q of tasks.quarantined) out.print(`  quarantined ${one(q.file)}: ${one(q.reason)}`);
  }
  if (worktrees.length) {
    out.print(`worktrees (${worktrees.length}):`);
    for (const w of worktrees)
      out.print(`  ${w.taskId.padEnd(28)} ${w.ports ? formatPorts(w.ports) : ''}${w.conflicts.map((c) => `  ⚠ ${one(describeConflict(c))}`).join('')}`);
  }
  if (cannotStart.length) {
    out.print(`can never start (${cannotStart.length}):`);
    for (const t of cannotStart) out.print(`  ${t.id.padEnd(28)} ${one(t.cannotRun)}`);
  }
  if (needs.length) {
    out.print(`needs you (${needs.length}):`);
    for (const n of needs) out.print(`  ${n.kind.padEnd(13)} ${n.taskId}${n.sha ? ` @ ${short(n.sha)}` : ''}  ${one(n.question ?? n.title)}`);
  }
  return EXIT.ok;
}

async function cmdCleanup(ws: Workspace, out: Out, dryRun: boolean): Promise<number> {
  const r = await ws.cleanup({ dryRun });
  if (out.json) {
    out.data(r);
    return EXIT.ok;
  }
  if (!r.actions.length) out.print('nothing to clean up');
  for (const a of r.actions) {
    const what = a.worktree ?? a.branch ?? '';
    out.print(
      `${dryRun ? 'would ' : ''}${a.action.replace(/_/g, ' ')}: ${what}${a.branch && a.worktree ? ` (${a.branch})` : ''} — ${a.reason}${a.archivedRef ? `; kept at ${a.archivedRef}` : ''}`,
    );
  }
  out.print(`${dryRun ? 'would free' : 'freed'} ${(r.freedBytes / 1024).toFixed(0)} KiB`);
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'review-mode': { type: 'string' },
        'max-workers': { type: 'string' },
        sha: { type: 'string' },
        reason: { type: 'string' },
        message: { type: 'string', short: 'm' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [cmd, ...args] = positionals;
  if (values.help || !cmd || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd || values.help ? EXIT.ok : EXIT.usage;
  }
  const out = makeOut(values.json);
  const repo = resolve(values.repo ?? process.cwd());
  try {
    if (cmd === 'init') {
      const r = await initRepo(repo);
      for (const c of r.created) out.print(`created ${c}`);
      for (const k of r.kept) out.print(`kept    ${k} (exists)`);
      if (r.choice) out.print(r.choice.message);
      out.print(`next: add tasks to tasks/pending/, then run "swarm run" (or "Swarm: Start swarm" in VS Code)`);
      return EXIT.ok;
    }
    if (cmd === 'doctor') {
      const report = await runDoctor({ repo, configPath: values.config, hostPath: { path: process.env.PATH, label: "this terminal's" } });
      if (out.json) out.data(report);
      else for (const l of formatDoctor(report)) out.print(l);
      return report.ok ? EXIT.ok : EXIT.error;
    }
    if (cmd === 'stop') return await cmdStop(repo, out);
    const mode = values['review-mode'];
    if (mode && !['agent', 'human', 'agent+human'].includes(mode)) {
      process.stderr.write(`--review-mode: expected agent, human or agent+human, found "${mode}"\n`);
      return EXIT.usage;
    }
    const maxWorkers = values['max-workers'] ? Number(values['max-workers']) : undefined;
    if (maxWorkers !== undefined && !(Number.isInteger(maxWorkers) && maxWorkers > 0)) {
      process.stderr.write('--max-workers: expected a positive whole number\n');
      return EXIT.usage;
    }
    const ws = await openWorkspace({ repo, configPath: values.config, reviewMode: mode as ReviewMode | undefined, maxConcurrentWorkers: maxWorkers });
    switch (cmd) {
      case 'run':
        return await cmdRun(ws, out, { wait: !values['no-wait'] });
      case 'status':
        return await cmdStatus(ws, out, false);
      case 'tasks':
        return await cmdStatus(ws, out, true);
      case 'review':
        return await cmdReview(ws, out, args, values);
      case 'cleanup':
        return await cmdCleanup(ws, out, values['dry-run']);
      case 'retry': {
        if (!args[0]) {
          process.stderr.write('swarm retry TASK: which task?\n');
          return EXIT.usage;
        }
        await ws.retry(args[0]);
        out.print(`${args[0]} is pending again`);
        return EXIT.ok;
      }
      default:
        process.stderr.write(`unknown command "${cmd}"\n\n${HELP}`);
        return EXIT.usage;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      errOut(`bad configuration:\n${e.issues.map((i) => `  ${i.file}: ${i.field}: ${i.message}`).join('\n')}\n`);
      return EXIT.usage;
    }
    if (e instanceof SwarmError) {
      errOut(`swarm: ${e.message}\n`);
      return e.code === 'busy' ? EXIT.busy : e.code === 'sandbox' ? EXIT.usage : EXIT.error;
    }
    errOut(`swarm: ${(e as Error).stack ?? e}\n`);
    return EXIT.error;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
