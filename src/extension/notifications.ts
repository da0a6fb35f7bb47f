// Notifications only for what needs the user — a review to decide, a question, a merge held
// by their local edits, a failure that stopped a worker or a task — each with the one button
// that resolves it. `swarm.notifications`: all (also run finished / recovered), needsYou
// (default), none (the badge and the status bar still show what waits).

import * as vscode from 'vscode';
import type { SwarmEvent } from '../swarm/types';
import { Commands, type NotificationLevel } from './constants';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { findTask } from './sessions';
import type { TaskRef } from './treeNode';

type Severity = 'info' | 'warning' | 'error';

interface NotificationSpec {
  /** Same key → shown once (a review of one sha, one question). */
  key: string;
  level: 'needsYou' | 'all';
  severity: Severity;
  message: string;
  /** Button label → command and its arguments. */
  actions: { title: string; command: string; args: unknown[] }[];
}

/** What to show for an event, or undefined. Pure: the unit tests call it directly. */
export function notificationFor(session: SwarmSession, e: SwarmEvent, lastFailure: ReadonlyMap<string, { kind?: string; message: string }>): NotificationSpec | undefined {
  const title = (taskId: string) => {
    const task = findTask(session.snapshot.tasks, taskId);
    return task?.title ? `"${task.title}" (${taskId})` : taskId;
  };
  const ref = (taskId: string, sha?: string): TaskRef => ({ root: session.root, taskId, sha });
  const showLog = { title: 'Show run log', command: Commands.showRunLog, args: [] as unknown[] };
  switch (e.type) {
    case 'human_review_requested':
      return { key: `review:${e.taskId}:${e.sha}`, level: 'needsYou', severity: 'info', message: `Swarm: ${title(e.taskId)} is waiting for your review${e.agentVerdict ? ` (reviewer agent: ${e.agentVerdict})` : ''}.`, actions: [{ title: 'Open review', command: Commands.openReview, args: [ref(e.taskId, e.sha)] }] };
    case 'task_blocked':
      return { key: `question:${e.taskId}:${e.question}`, level: 'needsYou', severity: 'warning', message: `Swarm: ${title(e.taskId)} asks: ${e.question}`, actions: [{ title: 'Answer', command: Commands.answerQuestion, args: [ref(e.taskId)] }] };
    case 'merge_waiting':
      // Issue 12 rules 2 and 9: the base moved outside the swarm (the user accepts it), or the user's own git operation is in progress.
      if (!e.files.length && /moved outside the swarm/.test(e.reason)) return { key: `base:${e.taskId}:${e.reason}`, level: 'needsYou', severity: 'warning', message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}.`, actions: [{ title: 'Accept base', command: Commands.acceptBase, args: [ref(e.taskId)] }] };
      if (!e.files.length) return { key: `base:${e.taskId}:${e.reason}`, level: 'needsYou', severity: 'warning', message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}.`, actions: [] };
      return { key: `local:${e.taskId}:${e.files.join(',')}`, level: 'needsYou', severity: 'warning', message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}${e.files.length ? ` (${e.files.slice(0, 5).join(', ')}${e.files.length > 5 ? ', …' : ''})` : ''}. It merges once your local edits there are committed or undone.`, actions: [{ title: 'Show my changes', command: 'workbench.view.scm', args: [] }] };
    case 'task_failed':
      return { key: `failed:${e.taskId}:${e.reason}`, level: 'needsYou', severity: 'error', message: `Swarm: ${title(e.taskId)} failed: ${e.reason}`, actions: [{ title: 'Retry task', command: Commands.retryTask, args: [ref(e.taskId)] }, { title: 'Show agent log', command: Commands.showAgentLog, args: [ref(e.taskId)] }] };
    case 'worker_stopped': {
      const failure = lastFailure.get(e.workerId);
      const worker = session.workers.find((w) => w.id === e.workerId);
      if (failure?.kind === 'missing_cli' && worker) {
        // Hazard 17: name the missing CLI and offer the setting that fixes it.
        return { key: `stopped:${e.workerId}:${e.reason}`, level: 'needsYou', severity: 'error', message: `Swarm: worker ${e.workerId} stopped: the "${worker.harness}" CLI was not found (${failure.message}). Install it or set its path in the setting swarm.cli.${worker.harness}.`, actions: [{ title: 'Open settings', command: 'workbench.action.openSettings', args: [`swarm.cli.${worker.harness}`] }, showLog] };
      }
      return { key: `stopped:${e.workerId}:${e.reason}`, level: 'needsYou', severity: 'error', message: `Swarm: worker ${e.workerId} stopped: ${e.reason}`, actions: [showLog] };
    }
    case 'security_violation':
      return { key: `security:${e.workerId}:${e.changes.join(',')}`, level: 'needsYou', severity: 'error', message: `Swarm: ${e.workerId}${e.taskId ? ` (task ${e.taskId})` : ''} changed the shared repository: git configuration, hooks or the base branch (${e.changes.join(', ')}); the swarm refused to continue it.`, actions: [showLog] };
    case 'decision_refused':
      return { key: `refused:${e.source}:${e.reason}`, level: 'needsYou', severity: 'error', message: `Swarm: ${e.taskId ? `task ${e.taskId}: ` : ''}a decision or approval the swarm did not issue was refused (${e.source}): ${e.reason}. An agent may have tried to approve work in your name.`, actions: [showLog] };
    case 'pool_paused':
      return { key: `pool:${e.pool}:${e.untilMs}`, level: 'all', severity: 'warning', message: `Swarm: ${e.pool} paused until ${new Date(e.untilMs).toLocaleTimeString()}: ${e.reason}`, actions: [showLog] };
    case 'run_recovered': {
      const parts = [
        e.resumed.length ? `resumed ${e.resumed.join(', ')}` : '',
        e.returnedToPending.length ? `returned to pending ${e.returnedToPending.join(', ')}` : '',
        e.completed.length ? `completed ${e.completed.join(', ')}` : '',
        e.killedPids.length ? `stopped ${e.killedPids.length} stray agent process(es)` : '',
        e.orphanedWorktrees.length ? `${e.orphanedWorktrees.length} orphaned worktree(s) to clean up` : '',
      ].filter(Boolean);
      if (!parts.length) return undefined;
      return { key: `recovered:${parts.join(';')}`, level: 'all', severity: 'info', message: `Swarm recovered the previous run of ${session.name}: ${parts.join('; ')}.`, actions: [showLog] };
    }
    case 'run_finished': {
      const s = e.summary;
      return { key: `finished:${s.runId}`, level: 'all', severity: 'info', message: `Swarm run finished${s.reason ? ` (${s.reason})` : ''}: ${s.merged.length} merged, ${s.waitingForHuman.length} waiting for you, ${s.blocked.length} blocked, ${s.failed.length} failed.`, actions: [showLog] };
    }
    default:
      return undefined;
  }
}

export class Notifier implements vscode.Disposable {
  private readonly shown = new Set<string>();
  private readonly lastFailure = new Map<string, { kind?: string; message: string }>();
  private readonly subscription: vscode.Disposable;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(registry: SessionRegistry, private readonly level: () => NotificationLevel) {
    this.subscription = registry.onEvent(({ session, event }) => this.handle(session, event));
  }

  /** Resolves when every shown notification has been answered or dismissed (tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private handle(session: SwarmSession, e: SwarmEvent): void {
    if (e.type === 'agent_finished' && e.failure) this.lastFailure.set(e.workerId, { kind: e.failureKind, message: e.failure });
    if (e.type === 'run_recovered') {
      // Whatever the notification level: say briefly that work resumed after a restart.
      vscode.window.setStatusBarMessage(`$(history) Swarm: recovered the previous run (${e.resumed.length} resumed, ${e.returnedToPending.length} back to pending)`, 15_000);
    }
    const level = this.level();
    if (level === 'none') return;
    const spec = notificationFor(session, e, this.lastFailure);
    if (!spec || (spec.level === 'all' && level !== 'all')) return;
    const key = `${session.root}\u0000${spec.key}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    if (this.shown.size > 1000) this.shown.delete(this.shown.values().next().value as string);
    const show = spec.severity === 'error' ? vscode.window.showErrorMessage : spec.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const p = Promise.resolve(show(spec.message, ...spec.actions.map((a) => a.title)))
      .then(async (picked) => {
        const action = spec.actions.find((a) => a.title === picked);
        if (action) await vscode.commands.executeCommand(action.command, ...action.args);
      })
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
