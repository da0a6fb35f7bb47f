// The headless `swarm` CLI: the same engine as the extension, for terminals and CI.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { openWorkspace, initRepo } from '../swarm/workspace';
import { formatDoctor, runDoctor } from '../swarm/doctor';
import { problemText } from '../swarm/preflight';
import type { Workspace, ReviewMode, DecisionResult } from '../swarm/api';
import { ConfigError, SwarmError } from '../swarm/errors';
import type { SwarmEvent, HumanDecisionKind } from '../swarm/types';
import { terminalSafe, terminalSafeJson } from '../swarm/text';
import { formatPorts } from '../swarm/ports';
import { describeConflict } from '../swarm/conflictText';
import { costWords, formatUsage, formatUsd } from '../swarm/cost';
import { runUsageFromJournal, taskCosts } from '../swarm/usageReport';

/** One line of text from an agent, a diff or a task, for a terminal (line breaks escaped too). */
const one = (text: string | undefined) => terminalSafe(text ?? '');
/** Errors name tasks and files that agents may have written: escaped as well. */
const errOut = (text: string) => process.stderr.write(terminalSafe(text, true));

export const EXIT = { ok: 0, error: 1, usage: 2, waiting: 3, busy: 4, interrupted: 130 } as const;

const HELP = `swarm — run a swarm of coding agents on one git repository

Usage:
  swarm init                          write swarm.json (using the agent CLIs installed here), tasks/ and prompts/
  swarm doctor [--json]               check the setup: git, agent CLIs (found, version, logged in), PATH,
                                      sandbox, config, .worktreeinclude, disk space; each ✗ with its fix
  swarm run [--config F] [--json] [--no-wait] [--review-mode M] [--max-workers N]
                                      run until no work is left (Ctrl-C stops cleanly; run again to resume)
  swarm status [--json]               tasks per folder, reviews and questions waiting for you, the run
  swarm tasks [--json]                every task with its state
  swarm review list [--json]          what waits for you: reviews, questions, blocked merges
  swarm review show TASK              the diff and every round's verdict of a task
  swarm review approve TASK [--sha S]
  swarm review override TASK --reason TEXT [--sha S]
  swarm review changes TASK --message TEXT [--sha S]
  swarm review reject TASK [--message TEXT] [--sha S]
  swarm review answer TASK TEXT       reply to a blocked task's question
  swarm review accept-base [--sha S]  the base branch moved outside the swarm: accept it as it is (S: the base
                                      commit you looked at); merges and reviews waiting for it go on
  swarm retry TASK                    move a blocked, failed or stuck task back to pending (its branch is kept)
  swarm cleanup [--dry-run] [--json]  remove finished worktrees and branches (unmerged work is archived first)

Options for every subcommand:
  --repo DIR      the repository (default: the current folder)
  --config F      swarm.json / oompa.json to use (default: swarm.json, else oompa.json)
  -h, --help      this help

--sha: the commit you reviewed (from "swarm review list"). Default: the task's current head.
A decision on a sha that is no longer the branch head is refused.

Exit codes:
  0    ended normally (swarm run: no work left)
  1    error
  2    bad usage or a bad swarm.json (each bad field is named), or the preflight of swarm run found
       a problem before anything was claimed: an agent CLI not installed, git too old, sandbox.mode
       "required" without a usable sandbox, no base branch (one message each, with its fix)
  3    swarm run --no-wait ended with tasks waiting for you (reviews or questions)
  4    another swarm is running on this repository
  130  interrupted (Ctrl-C); the state is saved and the next run resumes it
`;

interface Out {
  json: boolean;
  print(line: string): void;
  data(value: unknown): void;
}

function makeOut(json: boolean): Out {
  return {
    json,
    // Everything printed may carry text from agents, diffs or tasks (docs/security.md).
    print: (line) => { if (!json) process.stdout.write(`${terminalSafe(line, true)}\n`); },
    data: (value) => process.stdout.write(`${terminalSafeJson(value, json ? 0 : 2)}\n`),
  };
}

const short = (sha?: string) => (sha ? sha.slice(0, 10) : '-');

/** One human-readable line per interesting event (progress while the swarm runs). */
export function describeEvent(e: SwarmEvent): string | undefined {
  switch (e.type) {
    case 'run_started': return `swarm run ${e.runId}: ${e.workers.length} worker(s) on ${e.base}${e.sandbox ? `; ${e.sandbox.reason}` : ''}`;
    case 'run_recovered': return `recovered an earlier run: resumed [${e.resumed.join(', ')}], back to pending [${e.returnedToPending.join(', ')}], completed [${e.completed.join(', ')}]${e.killedPids.length ? `, killed stray agents ${e.killedPids.join(', ')}` : ''}${e.orphanedWorktrees.length ? `, orphaned worktrees: ${e.orphanedWorktrees.join('; ')}` : ''}`;
    case 'task_claimed': return `[${e.workerId}] took ${e.taskId} (branch ${e.branch})`;
    case 'task_quarantined': return `quarantined ${e.file}: ${e.reason}`;
    case 'task_created': return `new task ${e.taskId} (by ${e.by})`;
    case 'agent_finished': return e.failure ? `[${e.workerId}] ${e.role} turn on ${e.taskId ?? '-'} failed (${e.failureKind}): ${e.failure}` : undefined;
    case 'review_finished': return `${e.taskId}: round ${e.round.round} by ${e.round.by}: ${e.round.verdict ?? 'no verdict'}${e.round.decision ? ` (${e.round.decision})` : ''}`;
    case 'human_review_requested': return `${e.taskId}: waiting for your review of ${short(e.sha)} (swarm review approve ${e.taskId})`;
    case 'task_blocked': return `${e.taskId}: blocked: ${e.question} (answer: swarm review answer ${e.taskId} "..."; or: swarm retry ${e.taskId})`;
    case 'task_answered': return `${e.taskId}: answered`;
    case 'merge_waiting': return `${e.taskId}: merge waits: ${e.reason}${e.files.length ? ` (${e.files.join(', ')})` : ''}`;
    case 'merge_conflict': return `${e.taskId}: conflict in ${e.files.join(', ')}; back to its worker`;
    case 'merge_check': return `${e.taskId}: merge check of ${short(e.check.sha)} ${e.check.ok ? 'passed' : e.check.timedOut ? 'timed out' : `failed (exit ${e.check.exitCode}); log ${e.check.logFile ?? '-'}`}`;
    case 'integration_round': return `${e.taskId}: ${e.base} brought into its branch${e.conflicts.length ? `; conflicts in ${e.conflicts.join(', ')}` : ''}`;
    case 'conflict_predicted': return `${e.taskId}: may conflict with ${e.with} in ${e.files.join(', ')}`;
    case 'task_merged': return `${e.taskId}: merged ${short(e.sha)} as ${short(e.commit)}`;
    case 'task_returned': return `${e.taskId}: back to pending (${e.reason})`;
    case 'task_failed': return `${e.taskId}: failed: ${e.reason}`;
    case 'pool_paused': return `pool ${e.pool} paused until ${new Date(e.untilMs).toLocaleTimeString()}: ${e.reason}`;
    case 'pool_resumed': return `pool ${e.pool} resumed`;
    case 'budget_reached': return `${e.taskId ? `${e.taskId}: ` : ''}${e.reason}${e.scope === 'task' ? ` (raise max_cost_usd in its file, then: swarm retry ${e.taskId})` : ' (stop the run; raise limits.max_cost_usd to go on)'}`;
    case 'worker_stopped': return `[${e.workerId}] stopped: ${e.reason}`;
    case 'security_violation': return `[${e.workerId}] SECURITY: ${e.changes.join('; ')}`;
    case 'decision_refused': return `${e.taskId ? `${e.taskId}: ` : ''}SECURITY: a decision the swarm did not issue was refused (${e.source}): ${e.reason}`;
    case 'human_decision': return `${e.taskId}: your ${e.decision} of ${short(e.sha)}: ${e.applied ? 'applied' : 'not applied'}${e.detail ? ` (${e.detail})` : ''}`;
    case 'log': return e.level === 'info' ? undefined : `${e.level}: ${e.message}`;
    default: return undefined;
  }
}

async function cmdRun(ws: Workspace, out: Out, flags: { wait: boolean }): Promise<number> {
  const elsewhere = await ws.runningElsewhere();
  if (elsewhere) { process.stderr.write(`another swarm (pid ${elsewhere.pid}, run ${elsewhere.runId}) is running on this repository\n`); return EXIT.busy; }
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
    if (out.json) { out.data(e); return; }
    const line = describeEvent(e);
    if (line) out.print(`${new Date().toISOString().slice(11, 19)} ${one(line)}`);
  });
  const run = ws.startRun({ waitForHumans: flags.wait });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) { process.stderr.write('stopping already; agents are being killed\n'); return; }
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
    out.print(`done in ${secs} s: ${summary.merged.length} merged, ${summary.completedWithoutChange?.length ? `${summary.completedWithoutChange.length} completed with no change, ` : ''}${rounds} review round(s), ${summary.waitingForHuman.length} waiting for your review, ${summary.blocked.length} blocked (${one(summary.reason)})`);
    for (const w of summary.workers) out.print(`  ${w.workerId}: ${w.merges} merged, ${w.rejections} rejected, ${w.errors} errors, ${w.reviewRounds} review rounds, ${(w.wallMs / 1000).toFixed(1)} s${formatUsage(w.usage) ? `, ${formatUsage(w.usage)}` : ''}`);
    if (formatUsage(summary.usage)) out.print(`  cost: ${formatUsage(summary.usage)}`);
    if (summary.waitingForBudget?.length) out.print(`  budget reached, waiting: ${summary.waitingForBudget.join(', ')} (raise max_cost_usd in the task file, then swarm retry TASK)`);
  }
  if (interrupted) return EXIT.interrupted;
  if (summary.reason?.startsWith('another swarm')) return EXIT.busy;
  if (summary.reason?.startsWith('error')) return EXIT.error;
  if (!flags.wait && (summary.waitingForHuman.length || summary.blocked.length || summary.waitingForBudget?.length || summary.reason?.startsWith('run budget reached'))) return EXIT.waiting;
  return EXIT.ok;
}

async function cmdStatus(ws: Workspace, out: Out, full: boolean): Promise<number> {
  const tasks = await ws.listTasks();
  const needs = await ws.needsYou();
  const running = await ws.runningElsewhere();
  const cannotStart = tasks.pending.filter((t) => t.cannotRun);
  // Live worktrees: their port range and predicted conflicts (src/swarm/ports.ts, conflicts.ts).
  const live = (await Promise.all(tasks.current.map(async (t) => ({ id: t.id, st: await ws.taskState(t.id) })))).filter((x) => x.st?.ports || x.st?.predictedConflicts?.length);
  const worktrees = live.map(({ id, st }) => ({ taskId: id, ports: st?.ports ?? null, conflicts: st?.predictedConflicts ?? [] }));
  const costs = full ? await taskCosts([...tasks.current, ...tasks.complete, ...tasks.pending].map((t) => t.id), (id) => ws.taskState(id)) : {};
  const runDir = await ws.latestRunDir();
  const lastRun = runDir ? await runUsageFromJournal(runDir) : undefined;
  if (out.json) {
    // swarm tasks --json: every task carries its cost (all rounds and reviews) and budget when known.
    const withCost = <T extends { id: string }>(list: T[]) => list.map((t) => ({ ...t, ...costs[t.id] }));
    if (full) { out.data({ ...tasks, pending: withCost(tasks.pending), current: withCost(tasks.current), complete: withCost(tasks.complete) }); return EXIT.ok; }
    out.data({ cost: { latestRun: lastRun ? { usage: lastRun.run, workers: lastRun.workers, turns: lastRun.turns } : null, budget: ws.config.limits.maxCostUsd ?? null, taskBudget: ws.config.limits.taskMaxCostUsd ?? null }, pending: tasks.pending.length, current: tasks.current.length, complete: tasks.complete.length, quarantined: tasks.quarantined, needsYou: needs, cannotStart: cannotStart.map((t) => ({ id: t.id, reason: t.cannotRun })), running: running ?? null, config: ws.config.file ?? null, base: ws.base, sandbox: ws.sandbox ?? null, worktrees });
    return EXIT.ok;
  }
  out.print(`repository ${ws.root}${running ? ` — swarm running (pid ${running.pid})` : ''}`);
  out.print(`config: ${ws.config.file ?? 'built-in defaults (no swarm.json)'}`);
  if (ws.sandbox) out.print(`sandbox (${ws.sandbox.mode}): ${ws.sandbox.reason}`);
  out.print(`tasks: ${tasks.pending.length} pending, ${tasks.current.length} current, ${tasks.complete.length} complete, ${tasks.quarantined.length} quarantined`);
  if (lastRun) {
    out.print(`cost of the latest run: ${formatUsage(lastRun.run) ?? 'none reported'} in ${lastRun.turns} agent turn(s)${ws.config.limits.maxCostUsd !== undefined ? ` (run budget ${formatUsd(ws.config.limits.maxCostUsd)})` : ''}`);
    for (const [w, u] of Object.entries(lastRun.workers)) out.print(`  ${w.padEnd(8)} ${formatUsage(u) ?? '-'}`);
  }
  if (full) {
    for (const [name, list] of [['pending', tasks.pending], ['current', tasks.current], ['complete', tasks.complete]] as const) {
      for (const t of list) out.print(`  ${name.padEnd(8)} ${t.id.padEnd(28)} ${t.status.padEnd(22)} ${one(t.claimedBy ?? t.completedBy)}  ${one(t.title)}${costs[t.id] ? `  [${costWords(costs[t.id].usage, costs[t.id].budgetUsd)}]` : ''}`);
    }
    for (const q of tasks.quarantined) out.print(`  quarantined ${one(q.file)}: ${one(q.reason)}`);
  }
  if (worktrees.length) {
    out.print(`worktrees (${worktrees.length}):`);
    for (const w of worktrees) out.print(`  ${w.taskId.padEnd(28)} ${w.ports ? formatPorts(w.ports) : ''}${w.conflicts.map((c) => `  ⚠ ${one(describeConflict(c))}`).join('')}`);
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

function printDecision(out: Out, r: DecisionResult, taskId: string): number {
  if (out.json) { out.data(r); return r.ok ? EXIT.ok : EXIT.error; }
  if (r.ok) {
    if (r.applied === 'merged') out.print(`merged as ${r.commit}`);
    else if (r.applied === 'queued') out.print(`recorded: ${r.detail}`);
    else out.print(r.applied.replace(/_/g, ' '));
    return EXIT.ok;
  }
  if (r.reason === 'stale_sha') process.stderr.write(`refused: the branch moved since; its head is now ${r.currentSha} (look again: swarm review show)\n`);
  else if (r.reason === 'conflict') errOut(`not merged: conflicts in ${r.files.join(', ')}; sent back for a fix round\n`);
  else if (r.reason === 'waiting_local_changes') process.stderr.write('not merged yet: your uncommitted changes on the base branch are in the way; it merges once they are committed or gone\n');
  else if (r.reason === 'needs_override') errOut(`refused: ${r.detail}\nto merge it anyway: swarm review override ${taskId} --reason "why" (the reason is recorded)\n`);
  else if (r.reason === 'waiting_base') errOut(`not merged yet: ${r.detail}\n`);
  else errOut(`refused: ${r.detail}\n`);
  return EXIT.error;
}

async function cmdReview(ws: Workspace, out: Out, args: string[], values: Record<string, unknown>): Promise<number> {
  const [sub, taskId, ...rest] = args;
  if (!sub || sub === 'list') {
    const items = await ws.needsYou();
    if (out.json) { out.data(items); return EXIT.ok; }
    if (!items.length) out.print('nothing waits for you');
    for (const n of items) out.print(`${n.kind.padEnd(13)} ${n.taskId.padEnd(28)} ${n.sha ? short(n.sha) : ''.padEnd(10)}  ${one(n.question ?? n.title)}${n.approvable?.approvable === false ? `  [${n.approvable.verdict ?? 'not approvable'}: override only]` : ''}`);
    return EXIT.ok;
  }
  if (sub === 'accept-base') {
    const r = await ws.acceptBase(values.sha === undefined ? undefined : String(values.sha));
    if (out.json) { out.data(r); return r.ok ? EXIT.ok : EXIT.error; }
    if (!r.ok) { process.stderr.write(`refused: ${r.detail}\n`); return EXIT.error; }
    out.print(`accepted ${ws.base} at ${r.sha}${r.resumed.length ? `; reviews go on: ${r.resumed.join(', ')}` : ''}${r.merged.length ? `; merged: ${r.merged.join(', ')}` : ''}`);
    return EXIT.ok;
  }
  if (!taskId) { process.stderr.write(`swarm review ${sub}: which task?\n`); return EXIT.usage; }
  if (sub === 'answer') {
    const text = rest.join(' ') || String(values.message ?? '');
    if (!text.trim()) { process.stderr.write('swarm review answer TASK TEXT: the answer is missing\n'); return EXIT.usage; }
    await ws.answer(taskId, text);
    out.print(`answered ${taskId}; a worker continues it${(await ws.runningElsewhere()) ? '' : ' when the swarm runs'}`);
    return EXIT.ok;
  }
  const details = await ws.reviewDetails(taskId);
  if (sub === 'show') {
    if (out.json) { out.data(details); return EXIT.ok; }
    out.print(`task ${details.task.id}: ${one(details.task.title)} [${details.task.status}] @ ${short(details.sha)} against ${details.base}`);
    for (const r of details.rounds) out.print(`--- round ${r.round} by ${r.by}: ${r.verdict ?? 'no verdict'}${r.decision ? ` (${r.decision})` : ''} on ${short(r.sha)}\n${r.feedback}`);
    out.print(details.diff);
    return EXIT.ok;
  }
  const kinds: Record<string, HumanDecisionKind> = { approve: 'approve', override: 'override', changes: 'request_changes', reject: 'reject' };
  const kind = kinds[sub];
  if (!kind) { process.stderr.write(`unknown review command "${sub}"\n${HELP}`); return EXIT.usage; }
  const sha = String(values.sha ?? details.state?.headSha ?? details.sha ?? '');
  const text = kind === 'override' ? (values.reason as string | undefined) : (values.message as string | undefined);
  if (kind === 'override' && !text) { process.stderr.write('swarm review override needs --reason TEXT (it is recorded)\n'); return EXIT.usage; }
  if (kind === 'request_changes' && !text) { process.stderr.write('swarm review changes needs --message TEXT (what should change)\n'); return EXIT.usage; }
  return printDecision(out, await ws.decide({ taskId, kind, sha, text, by: 'cli' }), taskId);
}

async function cmdCleanup(ws: Workspace, out: Out, dryRun: boolean): Promise<number> {
  const r = await ws.cleanup({ dryRun });
  if (out.json) { out.data(r); return EXIT.ok; }
  if (!r.actions.length) out.print('nothing to clean up');
  for (const a of r.actions) {
    const what = a.worktree ?? a.branch ?? '';
    out.print(`${dryRun ? 'would ' : ''}${a.action.replace(/_/g, ' ')}: ${what}${a.branch && a.worktree ? ` (${a.branch})` : ''} — ${a.reason}${a.archivedRef ? `; kept at ${a.archivedRef}` : ''}`);
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
  if (values.help || !cmd || cmd === 'help') { process.stdout.write(HELP); return cmd || values.help ? EXIT.ok : EXIT.usage; }
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
    const mode = values['review-mode'];
    if (mode && !['agent', 'human', 'agent+human'].includes(mode)) { process.stderr.write(`--review-mode: expected agent, human or agent+human, found "${mode}"\n`); return EXIT.usage; }
    const maxWorkers = values['max-workers'] ? Number(values['max-workers']) : undefined;
    if (maxWorkers !== undefined && !(Number.isInteger(maxWorkers) && maxWorkers > 0)) { process.stderr.write('--max-workers: expected a positive whole number\n'); return EXIT.usage; }
    const ws = await openWorkspace({ repo, configPath: values.config, reviewMode: mode as ReviewMode | undefined, maxConcurrentWorkers: maxWorkers });
    switch (cmd) {
      case 'run': return await cmdRun(ws, out, { wait: !values['no-wait'] });
      case 'status': return await cmdStatus(ws, out, false);
      case 'tasks': return await cmdStatus(ws, out, true);
      case 'review': return await cmdReview(ws, out, args, values);
      case 'cleanup': return await cmdCleanup(ws, out, values['dry-run']);
      case 'retry': {
        if (!args[0]) { process.stderr.write('swarm retry TASK: which task?\n'); return EXIT.usage; }
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
    if (e instanceof SwarmError) { errOut(`swarm: ${e.message}\n`); return e.code === 'busy' ? EXIT.busy : e.code === 'sandbox' ? EXIT.usage : EXIT.error; }
    errOut(`swarm: ${(e as Error).stack ?? e}\n`);
    return EXIT.error;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
