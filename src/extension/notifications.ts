// Notifications only for what needs the user — a review to decide, a question, a merge held
// by their local edits, a failure that stopped a worker or a task, a task file set aside — each
// with the button that resolves it, and a summary when a run ends. Reviews are grouped: one toast
// at a time ("3 reviews waiting — Open next"), the count is in the badge meanwhile; nothing for
// the task whose review is on screen, and the toast closes once its review is on screen. `swarm.notifications`: all (also each failed attempt the
// swarm retries itself, paused pools, recovery), needsYou (default), none (the badge and the
// status bar still show what waits).

import * as vscode from 'vscode';
import { join } from 'node:path';
import type { SwarmEvent } from '../swarm/types';
import { Commands, OPEN_NEXT_REVIEW_KEY, type NotificationLevel } from './constants';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { findTask } from './sessions';
import type { TaskRef } from './treeNode';
import { plural } from './format';

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
export function notificationFor(
  session: SwarmSession,
  e: SwarmEvent,
  lastFailure: ReadonlyMap<string, { kind?: string; message: string }>,
): NotificationSpec | undefined {
  const title = (taskId: string) => {
    const task = findTask(session.snapshot.tasks, taskId);
    return task?.title ? `"${task.title}" (${taskId})` : taskId;
  };
  const ref = (taskId: string, sha?: string): TaskRef => ({ root: session.root, taskId, sha });
  const showLog = { title: 'Show run log', command: Commands.showRunLog, args: [] as unknown[] };
  switch (e.type) {
    // human_review_requested: grouped by the Notifier (one review toast at a time).
    case 'task_blocked':
      // Failed max_attempts times: not a question (no Answer), its own words and actions.
      if (e.failed)
        return {
          key: `failed:${e.taskId}:${e.question}`,
          level: 'needsYou',
          severity: 'error',
          message: `Swarm: ${title(e.taskId)} failed and waits for you: ${e.question}`,
          actions: [
            { title: 'Retry', command: Commands.retryTask, args: [ref(e.taskId)] },
            { title: 'Open review', command: Commands.openReview, args: [ref(e.taskId)] },
            { title: 'Move back to pending', command: Commands.moveToPending, args: [ref(e.taskId)] },
          ],
        };
      return {
        key: `question:${e.taskId}:${e.question}`,
        level: 'needsYou',
        severity: 'warning',
        message: `Swarm: ${title(e.taskId)} asks: ${e.question}`,
        actions: [{ title: 'Answer', command: Commands.answerQuestion, args: [ref(e.taskId)] }],
      };
    case 'task_quarantined':
      // The whole reason, and the way back once the file is fixed.
      return {
        key: `quarantined:${e.file}:${e.reason}`,
        level: 'needsYou',
        severity: 'warning',
        message: `Swarm: the task file ${e.file} cannot be read, so the swarm set it aside in quarantine. ${e.reason}`,
        actions: [
          { title: 'Open file', command: 'vscode.open', args: [vscode.Uri.file(join(session.root, e.file))] },
          { title: 'Move back to pending', command: Commands.restoreQuarantined, args: [{ root: session.root, file: join(session.root, e.file) }] },
        ],
      };
    case 'merge_waiting':
      // Issue 12 rules 2 and 9: the base moved outside the swarm (the user accepts it), or the user's own git operation is in progress.
      if (!e.files.length && /moved outside the swarm/.test(e.reason))
        return {
          key: `base:${e.taskId}:${e.reason}`,
          level: 'needsYou',
          severity: 'warning',
          message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}.`,
          actions: [{ title: 'Accept base', command: Commands.acceptBase, args: [ref(e.taskId)] }],
        };
      if (!e.files.length)
        return {
          key: `base:${e.taskId}:${e.reason}`,
          level: 'needsYou',
          severity: 'warning',
          message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}.`,
          actions: [],
        };
      return {
        key: `local:${e.taskId}:${e.files.join(',')}`,
        level: 'needsYou',
        severity: 'warning',
        message: `Swarm: the approved ${title(e.taskId)} waits to merge: ${e.reason}${e.files.length ? ` (${e.files.slice(0, 5).join(', ')}${e.files.length > 5 ? ', …' : ''})` : ''}. It merges once your local edits there are committed or undone.`,
        actions: [{ title: 'Show my changes', command: 'workbench.view.scm', args: [] }],
      };
    case 'task_failed':
      // One attempt; the swarm retries it by itself until max_attempts (then task_blocked, failed).
      return {
        key: `failed:${e.taskId}:${e.reason}`,
        level: 'all',
        severity: 'error',
        message: `Swarm: ${title(e.taskId)} failed: ${e.reason}`,
        actions: [
          { title: 'Retry task', command: Commands.retryTask, args: [ref(e.taskId)] },
          { title: 'Show agent log', command: Commands.showAgentLog, args: [ref(e.taskId)] },
        ],
      };
    case 'worker_stopped': {
      const failure = lastFailure.get(e.workerId);
      const worker = session.workers.find((w) => w.id === e.workerId);
      if (failure?.kind === 'missing_cli' && worker) {
        // Hazard 17: name the missing CLI and offer the setting that fixes it.
        return {
          key: `stopped:${e.workerId}:${e.reason}`,
          level: 'needsYou',
          severity: 'error',
          message: `Swarm: worker ${e.workerId} stopped: the "${worker.harness}" CLI was not found (${failure.message}). Install it or set its path in the setting swarm.cli.${worker.harness}.`,
          actions: [{ title: 'Open settings', command: 'workbench.action.openSettings', args: [`swarm.cli.${worker.harness}`] }, showLog],
        };
      }
      return {
        key: `stopped:${e.workerId}:${e.reason}`,
        level: 'needsYou',
        severity: 'error',
        message: `Swarm: worker ${e.workerId} stopped: ${e.reason}`,
        actions: [showLog],
      };
    }
    case 'security_violation':
      return {
        key: `security:${e.workerId}:${e.changes.join(',')}`,
        level: 'needsYou',
        severity: 'error',
        message: `Swarm: ${e.workerId}${e.taskId ? ` (task ${e.taskId})` : ''} changed the shared repository: git configuration, hooks or the base branch (${e.changes.join(', ')}); the swarm refused to continue it.`,
        actions: [showLog],
      };
    case 'decision_refused':
      return {
        key: `refused:${e.source}:${e.reason}`,
        level: 'needsYou',
        severity: 'error',
        message: `Swarm: ${e.taskId ? `task ${e.taskId}: ` : ''}a decision or approval the swarm did not issue was refused (${e.source}): ${e.reason}. An agent may have tried to approve work in your name.`,
        actions: [showLog],
      };
    case 'pool_paused':
      return {
        key: `pool:${e.pool}:${e.untilMs}`,
        level: 'all',
        severity: 'warning',
        message: `Swarm: ${e.pool} paused until ${new Date(e.untilMs).toLocaleTimeString()}: ${e.reason}`,
        actions: [showLog],
      };
    case 'run_recovered': {
      const parts = [
        e.resumed.length ? `resumed ${e.resumed.join(', ')}` : '',
        e.returnedToPending.length ? `returned to pending ${e.returnedToPending.join(', ')}` : '',
        e.completed.length ? `completed ${e.completed.join(', ')}` : '',
        e.killedPids.length ? `stopped ${e.killedPids.length} stray agent process(es)` : '',
        e.orphanedWorktrees.length ? `${e.orphanedWorktrees.length} orphaned worktree(s) to clean up` : '',
      ].filter(Boolean);
      if (!parts.length) return undefined;
      return {
        key: `recovered:${parts.join(';')}`,
        level: 'all',
        severity: 'info',
        message: `Swarm recovered the previous run of ${session.name}: ${parts.join('; ')}.`,
        actions: [showLog],
      };
    }
    case 'run_finished': {
      // A summary when the run ends: what merged, and what is left for the user.
      const s = e.summary;
      const parts = [
        `${s.merged.length} merged`,
        s.waitingForHuman.length ? `${plural(s.waitingForHuman.length, 'review')} waiting for you` : '',
        s.blocked.length ? `${s.blocked.length} blocked` : '',
        s.failed.length ? `${s.failed.length} failed` : '',
      ].filter(Boolean);
      const actions = s.waitingForHuman.length
        ? [{ title: 'Open next review', command: Commands.openReview, args: [ref(s.waitingForHuman[0])] }, showLog]
        : [showLog];
      return {
        key: `finished:${s.runId}`,
        level: 'needsYou',
        severity: 'info',
        message: `Swarm: the run in ${session.name} ended${s.reason ? ` (${s.reason})` : ''}: ${parts.join(', ')}.`,
        actions,
      };
    }
    default:
      return undefined;
  }
}

/** The reviews waiting in the sessions' snapshots, the longest-waiting first in each repository. */
export function reviewsInSnapshots(sessions: readonly SwarmSession[]): { session: SwarmSession; ref: TaskRef; verdict?: string | null }[] {
  return sessions.flatMap((session) =>
    session.snapshot.needsYou
      .filter((n) => n.kind === 'review')
      .sort((a, b) => a.since.localeCompare(b.since))
      .map((n) => ({ session, ref: { root: session.root, taskId: n.taskId, sha: n.sha }, verdict: n.approvable?.verdict })),
  );
}

/** A `command:` link with its arguments, for a notification's message. */
function commandUri(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** Is the review of this task on screen (the review panel shows it)? Then no notification for it. */
export type OnScreen = (root: string, taskId: string) => boolean;

export class Notifier implements vscode.Disposable {
  private readonly shown = new Set<string>();
  private readonly lastFailure = new Map<string, { kind?: string; message: string }>();
  private readonly subscription: vscode.Disposable;
  private readonly inFlight = new Set<Promise<void>>();
  /** Reviews requested since the review toast last showed (root \0 taskId → ref). */
  private readonly newReviews = new Map<string, { session: SwarmSession; ref: TaskRef; verdict: string | null }>();
  /** The open review toast: the reviews it counts, and how to close it. */
  private reviewToast: { reviews: { root: string; taskId: string }[]; end(): void } | undefined;
  /** The review the open review toast offers (the snapshot may not list it yet). */
  private toastReview: { session: SwarmSession; ref: TaskRef } | undefined;

  constructor(
    private readonly registry: SessionRegistry,
    private readonly level: () => NotificationLevel,
    private readonly onScreen: OnScreen = () => false,
  ) {
    this.subscription = registry.onEvent(({ session, event }) => this.handle(session, event));
  }

  /** Resolves when every shown notification has been answered or dismissed (tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  dispose(): void {
    this.subscription.dispose();
    this.reviewToast?.end();
  }

  /** Reviews waiting across the window, the longest-waiting first (the next one to do), none on screen. */
  waitingReviews(): { session: SwarmSession; ref: TaskRef; title: string; verdict?: string | null }[] {
    const out: { session: SwarmSession; ref: TaskRef; title: string; verdict?: string | null }[] = [];
    const seen = new Set<string>();
    const add = (session: SwarmSession, ref: TaskRef, verdict?: string | null) => {
      const key = `${session.root}\u0000${ref.taskId}`;
      if (seen.has(key) || this.onScreen(session.root, ref.taskId)) return;
      seen.add(key);
      const task = findTask(session.snapshot.tasks, ref.taskId);
      out.push({ session, ref, title: task?.title ? `"${task.title}" (${ref.taskId})` : ref.taskId, verdict });
    };
    for (const { session, ref, verdict } of reviewsInSnapshots(this.registry.sessions))
      add(session, ref, this.newReviews.get(`${session.root}\u0000${ref.taskId}`)?.verdict ?? verdict);
    // Requested just now, not in the snapshot yet: the newest.
    for (const r of this.newReviews.values()) add(r.session, r.ref, r.verdict);
    return out;
  }

  /**
   * The review "Open next review" (the key the toast names) opens: the next one waiting, or the one
   * the toast offers — a review requested a moment ago is in the toast before the snapshot has it.
   */
  nextReview(): { session: SwarmSession; ref: TaskRef } | undefined {
    return this.waitingReviews()[0] ?? this.toastReview;
  }

  private handle(session: SwarmSession, e: SwarmEvent): void {
    if (e.type === 'agent_finished' && e.failure) this.lastFailure.set(e.workerId, { kind: e.failureKind, message: e.failure });
    if (e.type === 'run_recovered') {
      // Whatever the notification level: say briefly that work resumed after a restart.
      vscode.window.setStatusBarMessage(
        `$(history) Swarm: recovered the previous run (${e.resumed.length} resumed, ${e.returnedToPending.length} back to pending)`,
        15_000,
      );
    }
    const level = this.level();
    if (level === 'none') return;
    if (e.type === 'human_review_requested') {
      if (this.onScreen(session.root, e.taskId)) return;
      this.newReviews.set(`${session.root}\u0000${e.taskId}`, { session, ref: { root: session.root, taskId: e.taskId, sha: e.sha }, verdict: e.agentVerdict });
      this.showReviews();
      return;
    }
    const spec = notificationFor(session, e, this.lastFailure);
    if (!spec || (spec.level === 'all' && level !== 'all')) return;
    // Nothing about the task whose review the user is looking at.
    const taskId = (e as { taskId?: string }).taskId;
    if (taskId && e.type !== 'run_finished' && this.onScreen(session.root, taskId)) return;
    const key = `${session.root}\u0000${spec.key}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    if (this.shown.size > 1000) this.shown.delete(this.shown.values().next().value as string);
    this.show(spec);
  }

  /**
   * One review toast at a time: "X is waiting for your review", or "N reviews waiting — Open next".
   * A message toast cannot be closed by the extension, and one left open after its review was
   * opened (by the key it names, the tree, the panel's "Next review") stacks over the panel. So it
   * is a notification with progress, which ends when the extension says: its action is a link in
   * the message, Cancel dismisses it, and it closes once a review it offers is on screen
   * (reviewOnScreen). Its bar stays still: nothing runs, the swarm waits for you.
   */
  private showReviews(): void {
    if (this.reviewToast) return;
    const waiting = this.waitingReviews();
    this.newReviews.clear();
    if (!waiting.length) return;
    const [next] = waiting;
    const message =
      waiting.length === 1
        ? `Swarm: ${next.title} is waiting for your review${next.verdict ? ` (reviewer agent: ${next.verdict})` : ''}. ${OPEN_NEXT_REVIEW_KEY.label} opens it.`
        : `Swarm: ${waiting.length} reviews waiting — next: ${next.title}. ${OPEN_NEXT_REVIEW_KEY.label} opens it.`;
    // "Open next": the one that waits longest when clicked (Open next review), which may have changed since.
    const link =
      waiting.length === 1 ? `[Open review](${commandUri(Commands.openReview, [next.ref])})` : `[Open next](${commandUri(Commands.openNextReview, [])})`;
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const toast = { reviews: waiting.map((w) => ({ root: w.session.root, taskId: w.ref.taskId })), end };
    this.reviewToast = toast;
    this.toastReview = next;
    const closed = () => {
      if (this.reviewToast !== toast) return;
      this.reviewToast = undefined;
      this.toastReview = undefined;
    };
    void Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `${message} ${link}`, cancellable: true },
        async (progress, token) => {
          progress.report({ increment: 0 });
          token.onCancellationRequested(() => end());
          await ended;
        },
      ),
    ).then(closed, closed);
  }

  /** Close the review toast once a review it offers is on screen, whatever opened it (extension.ts calls this when the tabs change). */
  reviewOnScreen(): void {
    const toast = this.reviewToast;
    if (toast?.reviews.some((r) => this.onScreen(r.root, r.taskId))) {
      toast.end();
      this.reviewToast = undefined;
      this.toastReview = undefined;
    }
  }

  private show(spec: NotificationSpec): void {
    const show =
      spec.severity === 'error'
        ? vscode.window.showErrorMessage
        : spec.severity === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    const p = Promise.resolve(show(spec.message, ...spec.actions.map((a) => a.title)))
      .then(async (picked) => {
        const action = spec.actions.find((a) => a.title === picked);
        if (!action) return;
        await vscode.commands.executeCommand(action.command, ...action.args);
      })
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
