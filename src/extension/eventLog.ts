// Engine events as lines of the "Swarm" log output channel. Every event is logged; the level
// says how much it matters (the channel's own level filter hides the chatter).

import type * as vscode from 'vscode';
import type { SwarmEvent } from '../swarm/types';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export function describeEvent(e: SwarmEvent): { level: LogLevelName; message: string } {
  switch (e.type) {
    case 'run_started':
      return {
        level: 'info',
        message: `run ${e.runId} started on ${e.base} with ${e.workers.map((w) => `${w.id} (${w.role}, ${w.harness}${w.model ? ` ${w.model}` : ''})`).join(', ')}`,
      };
    case 'run_recovered':
      return {
        level: 'info',
        message: `recovered the previous run: resumed [${e.resumed.join(', ')}], returned to pending [${e.returnedToPending.join(', ')}], completed [${e.completed.join(', ')}], killed stray agent pids [${e.killedPids.join(', ')}], orphaned worktrees [${e.orphanedWorktrees.join(', ')}]`,
      };
    case 'run_finished':
      return {
        level: 'info',
        message: `run ${e.summary.runId} finished${e.summary.reason ? ` (${e.summary.reason})` : ''}: merged ${e.summary.merged.length}, waiting for you ${e.summary.waitingForHuman.length}, blocked ${e.summary.blocked.length}, failed ${e.summary.failed.length}`,
      };
    case 'run_paused':
      return { level: 'info', message: 'run paused' };
    case 'run_resumed':
      return { level: 'info', message: 'run resumed' };
    case 'worker_state':
      return { level: 'debug', message: `${e.worker.id}: ${e.worker.state}${e.worker.taskId ? ` on ${e.worker.taskId}` : ''}` };
    case 'worker_stopped':
      return { level: 'warn', message: `worker ${e.workerId} stopped: ${e.reason}` };
    case 'task_claimed':
      return { level: 'info', message: `${e.workerId} claimed ${e.taskId} (branch ${e.branch})` };
    case 'task_status':
      return { level: 'debug', message: `${e.taskId}: ${e.status}${e.detail ? ` — ${e.detail}` : ''}` };
    case 'task_quarantined':
      return { level: 'warn', message: `task file ${e.file} quarantined: ${e.reason}` };
    case 'task_created':
      return { level: 'info', message: `task ${e.taskId} created by ${e.by}` };
    case 'worktree_created':
      return { level: 'debug', message: `worktree ${e.path} (${e.branch}) for ${e.taskId}` };
    case 'worktree_removed':
      return { level: 'info', message: `worktree ${e.path} removed${e.archivedRef ? `; unmerged work kept in ${e.archivedRef}` : ''}` };
    case 'agent_started':
      return { level: 'debug', message: `${e.workerId} ${e.role} round ${e.round}${e.taskId ? ` on ${e.taskId}` : ''}: pid ${e.pid}, log ${e.logFile}` };
    case 'agent_finished':
      return e.failure
        ? {
            level: 'warn',
            message: `${e.workerId} ${e.role}${e.taskId ? ` on ${e.taskId}` : ''} failed${e.failureKind ? ` (${e.failureKind})` : ''}: ${e.failure}`,
          }
        : {
            level: 'debug',
            message: `${e.workerId} ${e.role}${e.taskId ? ` on ${e.taskId}` : ''} finished in ${Math.round(e.durationMs / 1000)} s (exit ${e.exitCode})`,
          };
    case 'task_blocked':
      return { level: 'info', message: `${e.taskId} asks: ${e.question}` };
    case 'task_answered':
      return { level: 'info', message: `${e.taskId} answered` };
    case 'review_started':
      return { level: 'info', message: `${e.taskId}: review round ${e.round} of ${e.sha.slice(0, 12)}` };
    case 'review_finished':
      return { level: 'info', message: `${e.taskId}: round ${e.round.round} ${e.round.verdict ?? 'no verdict'} (${e.round.by})` };
    case 'human_review_requested':
      return { level: 'info', message: `${e.taskId}: waiting for your review of ${e.sha.slice(0, 12)} (agent said ${e.agentVerdict ?? 'nothing'})` };
    case 'human_decision':
      return {
        level: e.applied ? 'info' : 'warn',
        message: `${e.taskId}: ${e.decision} of ${e.sha.slice(0, 12)} ${e.applied ? 'applied' : 'not applied'}${e.detail ? ` — ${e.detail}` : ''}`,
      };
    case 'merge_started':
      return { level: 'debug', message: `${e.taskId}: merging ${e.sha.slice(0, 12)}` };
    case 'merge_waiting':
      return { level: 'warn', message: `${e.taskId}: merge waits — ${e.reason} (${e.files.join(', ')})` };
    case 'merge_conflict':
      return { level: 'warn', message: `${e.taskId}: merge conflict in ${e.files.join(', ')}; back to its worker` };
    case 'merge_check_started':
      return { level: 'info', message: `merge check started on ${e.sha.slice(0, 12)} (${e.taskIds.join(', ')})` };
    case 'merge_check':
      return {
        level: e.check.ok ? 'info' : 'warn',
        message: `${e.taskId}: merge check of ${e.check.sha.slice(0, 12)} (${e.check.batch.join(', ')}) ${e.check.ok ? 'passed' : e.check.timedOut ? 'timed out' : `failed (exit ${e.check.exitCode})`} in ${Math.round(e.check.durationMs / 1000)} s; log ${e.check.logFile ?? '-'}`,
      };
    case 'integration_round':
      return {
        level: 'info',
        message: `${e.taskId}: ${e.base} brought into its branch before a fix round (${e.reason})${e.conflicts.length ? `; conflicts in ${e.conflicts.join(', ')}` : e.commit ? ` as ${e.commit.slice(0, 12)}` : ''}`,
      };
    case 'conflict_predicted':
      return { level: 'warn', message: `${e.taskId}: may conflict with ${e.with} in ${e.files.join(', ')}` };
    case 'task_merged':
      return { level: 'info', message: `${e.taskId} merged as ${e.commit.slice(0, 12)}` };
    case 'task_returned':
      return { level: 'info', message: `${e.taskId} returned to pending: ${e.reason}` };
    case 'task_failed':
      return { level: 'error', message: `${e.taskId} failed: ${e.reason}` };
    case 'pool_paused':
      return { level: 'warn', message: `pool ${e.pool} paused until ${new Date(e.untilMs).toISOString()}: ${e.reason}` };
    case 'pool_resumed':
      return { level: 'info', message: `pool ${e.pool} resumed` };
    case 'budget_reached':
      return { level: 'warn', message: `${e.taskId ? `${e.taskId}: ` : ''}${e.reason}` };
    case 'security_violation':
      return {
        level: 'error',
        message: `${e.workerId}${e.taskId ? ` on ${e.taskId}` : ''} changed the shared repository: git configuration, hooks or the base branch (${e.changes.join(', ')}); refused to continue`,
      };
    case 'decision_refused':
      return {
        level: 'error',
        message: `${e.taskId ? `${e.taskId}: ` : ''}a decision or approval the swarm did not issue was refused (${e.source}): ${e.reason}`,
      };
    case 'log':
      return { level: e.level, message: e.message };
  }
}

export function logEvent(channel: vscode.LogOutputChannel, repoName: string, e: SwarmEvent): void {
  const { level, message } = describeEvent(e);
  channel[level](`[${repoName}] ${message}`);
}
