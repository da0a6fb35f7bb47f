// What the `swarm` CLI prints: exit codes, the usage text, text or JSON output (everything escaped for a
// terminal: it may carry text from agents, diffs or tasks), and one line per event.

import { terminalSafe, terminalSafeJson } from '../swarm/text';
import type { SwarmEvent } from '../swarm/types';

/** One line of text from an agent, a diff or a task, for a terminal (line breaks escaped too). */
export const one = (text: string | undefined) => terminalSafe(text ?? '');
/** Errors name tasks and files that agents may have written: escaped as well. */
export const errOut = (text: string) => process.stderr.write(terminalSafe(text, true));

export const EXIT = { ok: 0, error: 1, usage: 2, waiting: 3, busy: 4, interrupted: 130 } as const;

export interface Out {
  json: boolean;
  print(line: string): void;
  data(value: unknown): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    // Everything printed may carry text from agents, diffs or tasks (docs/security.md).
    print: (line) => {
      if (!json) process.stdout.write(`${terminalSafe(line, true)}\n`);
    },
    data: (value) => process.stdout.write(`${terminalSafeJson(value, json ? 0 : 2)}\n`),
  };
}

export const short = (sha?: string) => (sha ? sha.slice(0, 10) : '-');

/** One human-readable line per interesting event (progress while the swarm runs). */
export function describeEvent(e: SwarmEvent): string | undefined {
  switch (e.type) {
    case 'run_started':
      return `swarm run ${e.runId}: ${e.workers.length} worker(s) on ${e.base}${e.sandbox ? `; ${e.sandbox.reason}` : ''}`;
    case 'run_recovered':
      return `recovered an earlier run: resumed [${e.resumed.join(', ')}], back to pending [${e.returnedToPending.join(', ')}], completed [${e.completed.join(', ')}]${e.killedPids.length ? `, killed stray agents ${e.killedPids.join(', ')}` : ''}${e.orphanedWorktrees.length ? `, orphaned worktrees: ${e.orphanedWorktrees.join('; ')}` : ''}`;
    case 'task_claimed':
      return `[${e.workerId}] took ${e.taskId} (branch ${e.branch})`;
    case 'task_quarantined':
      return `quarantined ${e.file}: ${e.reason}`;
    case 'task_created':
      return `new task ${e.taskId} (by ${e.by})`;
    case 'agent_finished':
      return e.failure ? `[${e.workerId}] ${e.role} turn on ${e.taskId ?? '-'} failed (${e.failureKind}): ${e.failure}` : undefined;
    case 'review_finished':
      return `${e.taskId}: round ${e.round.round} by ${e.round.by}: ${e.round.verdict ?? 'no verdict'}${e.round.decision ? ` (${e.round.decision})` : ''}`;
    case 'human_review_requested':
      return `${e.taskId}: waiting for your review of ${short(e.sha)} (swarm review approve ${e.taskId})`;
    case 'task_blocked':
      return `${e.taskId}: blocked: ${e.question} (answer: swarm review answer ${e.taskId} "..."; or: swarm retry ${e.taskId})`;
    case 'task_answered':
      return `${e.taskId}: answered`;
    case 'merge_waiting':
      return `${e.taskId}: merge waits: ${e.reason}${e.files.length ? ` (${e.files.join(', ')})` : ''}`;
    case 'merge_conflict':
      return `${e.taskId}: conflict in ${e.files.join(', ')}; back to its worker`;
    case 'merge_check':
      return `${e.taskId}: merge check of ${short(e.check.sha)} ${e.check.ok ? 'passed' : e.check.timedOut ? 'timed out' : `failed (exit ${e.check.exitCode}); log ${e.check.logFile ?? '-'}`}`;
    case 'integration_round':
      return `${e.taskId}: ${e.base} brought into its branch${e.conflicts.length ? `; conflicts in ${e.conflicts.join(', ')}` : ''}`;
    case 'conflict_predicted':
      return `${e.taskId}: may conflict with ${e.with} in ${e.files.join(', ')}`;
    case 'task_merged':
      return `${e.taskId}: merged ${short(e.sha)} as ${short(e.commit)}`;
    case 'task_returned':
      return `${e.taskId}: back to pending (${e.reason})`;
    case 'task_failed':
      return `${e.taskId}: failed: ${e.reason}`;
    case 'pool_paused':
      return `pool ${e.pool} paused until ${new Date(e.untilMs).toLocaleTimeString()}: ${e.reason}`;
    case 'pool_resumed':
      return `pool ${e.pool} resumed`;
    case 'budget_reached':
      return `${e.taskId ? `${e.taskId}: ` : ''}${e.reason}${e.scope === 'task' ? ` (raise max_cost_usd in its file, then: swarm retry ${e.taskId})` : ' (stop the run; raise limits.max_cost_usd to go on)'}`;
    case 'worker_stopped':
      return `[${e.workerId}] stopped: ${e.reason}`;
    case 'security_violation':
      return `[${e.workerId}] SECURITY: ${e.changes.join('; ')}`;
    case 'decision_refused':
      return `${e.taskId ? `${e.taskId}: ` : ''}SECURITY: a decision the swarm did not issue was refused (${e.source}): ${e.reason}`;
    case 'human_decision':
      return `${e.taskId}: your ${e.decision} of ${short(e.sha)}: ${e.applied ? 'applied' : 'not applied'}${e.detail ? ` (${e.detail})` : ''}`;
    case 'log':
      return e.level === 'info' ? undefined : `${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

export const HELP = `swarm — run a swarm of coding agents on one git repository

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
  swarm stop [--json]                 stop the swarm running on this repository (a swarm run in another terminal,
                                      or one started from VS Code that outlived its window); the next start resumes

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
  4    another swarm is running on this repository (swarm stop: it is still stopping after 60 s)
  130  interrupted (Ctrl-C); the state is saved and the next run resumes it
`;
