// The life of one task after its agent turn: review, human decisions, merge, completion, return to
// pending. Shared by a running swarm and by decisions applied while no swarm runs, so a reader
// finds every state change of a task here (the worker loop in run.ts drives it).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from './config';
import type { Git } from './git';
import type { TaskStore } from './tasks';
import type { StateStore } from './state';
import type { WorktreeManager } from './worktrees';
import type { MergeQueue } from './merge';
import type { SwarmEvent, Task, TaskRuntimeState, ReviewRound, HumanDecisionKind, Verdict } from './types';
import type { DecisionResult } from './api';
import { nowIso } from './util';
import { STATUS, FOLDER_STATUS, hasFailed, transition, type TransitionName } from './status';
import { approvability, authorizeMerge, mergeAuthorized, sealRound } from './approval';
import { dropConflictsOf } from './conflicts';

export interface FlowContext {
  root: string;
  config: ResolvedConfig;
  git: Git;
  tasks: TaskStore;
  state: StateStore;
  worktrees: WorktreeManager;
  merges: MergeQueue;
  base: string;
  runId: string;
  emit(e: SwarmEvent): void;
  /** The run's stop (a merge check in progress is killed; the merge stays to do). */
  signal?: AbortSignal;
}

/** Frontmatter a task carries only while in current/ (removed when it leaves). */
const WHILE_CLAIMED = { status: undefined, claimed_at: undefined, run_id: undefined, worktree: undefined, waiting_for: undefined };

/**
 * `unapproved`: no authorization the swarm issued covers the head (approval.ts); the task went to the user.
 * `no_change`: the approved head changes no file; the task completed without a merge.
 */
export type MergeStepResult = 'merged' | 'no_change' | 'conflict' | 'check_failed' | 'waiting' | 'moved' | 'error' | 'unapproved' | 'aborted';

/** A worker that says ready with nothing changed is reviewed with this note (docs/security.md). */
export const NO_CHANGE_NOTE = 'no change: confirm the task needs none';

/** Feedback of every round that asked for changes, oldest first: what the next fix round gets. */
export function accumulatedFeedback(rounds: ReviewRound[]): string {
  return rounds
    .filter((r) => r.verdict !== 'APPROVED' && r.feedback.trim())
    .map((r) => `## Round ${r.round} (${r.by === 'human' ? 'the user' : r.by === 'policy' ? 'policy gate' : 'reviewer'})\n${r.feedback.trim()}`)
    .join('\n\n');
}

/**
 * The tree recorded when `sha` was last reviewed or decided on: what may merge (undefined when no
 * round recorded one, e.g. a tasks-only change that merges without review).
 */
export function reviewedTree(rounds: ReviewRound[], sha: string): string | undefined {
  for (let i = rounds.length - 1; i >= 0; i--) if (rounds[i].sha === sha && rounds[i].tree) return rounds[i].tree;
  return undefined;
}

export class TaskFlow {
  constructor(readonly ctx: FlowContext) {}

  async stateOf(id: string): Promise<TaskRuntimeState> {
    return (await this.ctx.state.readTask(id)) ?? { id, status: FOLDER_STATUS.pending, rounds: [], attempts: 0, updatedAt: nowIso() };
  }

  /**
   * The one status write of a task in current/: the new status comes from the table in status.ts
   * (an illegal transition throws), then the runtime state and the task file, then the event.
   */
  async transition(st: TaskRuntimeState, name: TransitionName, fm: Record<string, unknown> = {}, detail?: string): Promise<void> {
    const status = transition(st.status, name, st.id);
    st.status = status;
    await this.ctx.state.writeTask(st);
    if (existsSync(this.ctx.tasks.fileFor(st.id, 'current'))) await this.ctx.tasks.update(st.id, 'current', { status, ...fm });
    this.ctx.emit({ type: 'task_status', taskId: st.id, status, workerId: st.workerId, detail });
  }

  /**
   * Merge the task's reviewed sha (st.headSha) and complete it, or say why not. Only with an
   * authorization the swarm issued for exactly that commit (approval.ts): state.json and the task
   * file are writable by agents, so a status or round edited there never merges anything.
   */
  async merge(task: Task, st: TaskRuntimeState): Promise<MergeStepResult> {
    const sha = st.headSha;
    if (!sha) return 'error';
    const authorized = mergeAuthorized(task.id, st);
    if (!authorized.ok) {
      this.ctx.emit({ type: 'decision_refused', taskId: task.id, source: this.ctx.state.stateFile(task.id), reason: `not merged: ${authorized.why}` });
      await this.transition(st, 'mergeUnauthorized', {}, `the approval could not be verified (${authorized.why}); decide again`);
      this.ctx.emit({ type: 'human_review_requested', taskId: task.id, sha, agentVerdict: approvability(task.id, st.rounds, sha).verdict });
      return 'unapproved';
    }
    if (st.noChange) {
      // Approved with nothing to merge: complete it, and say so (never a merge, never silent).
      await this.complete(task, st, undefined, 'no change: the review confirmed the task needs none');
      return 'no_change';
    }
    if (st.branch) {
      const tip = await this.ctx.git.readBranch(st.branch);
      if (tip && tip !== sha && !(await this.ctx.git.isAncestor(tip, sha))) return 'moved';
    }
    await this.transition(st, 'merge');
    this.ctx.emit({ type: 'merge_started', taskId: task.id, sha });
    const run = {
      id: this.ctx.runId,
      logDir: join(this.ctx.state.runDir(this.ctx.runId), 'logs'),
      signal: this.ctx.signal,
      onCheck: (taskIds: string[], sha: string) => this.ctx.emit({ type: 'merge_check_started', taskIds, sha }),
    };
    const out = await this.ctx.merges.merge({ taskId: task.id, title: task.title, sha, branch: st.branch, tree: reviewedTree(st.rounds, sha), run });
    if ('check' in out && out.check) {
      st.mergeCheck = out.check;
      this.ctx.emit({ type: 'merge_check', taskId: task.id, check: out.check });
    }
    switch (out.kind) {
      case 'merged':
      case 'already_merged':
        await this.complete(task, st, out.commit);
        return 'merged';
      case 'aborted':
        await this.ctx.state.writeTask(st);
        return 'aborted'; // still merging: the run's stop marks it interrupted, the next run merges it
      case 'conflict': {
        st.conflictFiles = out.files;
        st.conflictRounds = (st.conflictRounds ?? 0) + 1;
        this.ctx.emit({ type: 'merge_conflict', taskId: task.id, files: out.files });
        if (st.conflictRounds > this.ctx.config.review.maxRounds) {
          await this.block(
            st,
            `The change conflicts with ${this.ctx.base} in ${out.files.join(', ')} after ${st.conflictRounds - 1} fix rounds. Resolve it on branch ${st.branch} and retry.`,
          );
          return 'conflict';
        }
        // An integration round (integration.ts): the next fix round starts by bringing the base in.
        st.integrate = { reason: 'conflict', files: out.files };
        st.pendingFeedback = `Merging into ${this.ctx.base} conflicts in: ${out.files.join(', ')}.`;
        await this.transition(st, 'conflict', {}, `conflict: ${out.files.join(', ')}`);
        return 'conflict';
      }
      case 'check_failed': {
        st.checkRounds = (st.checkRounds ?? 0) + 1;
        const what = out.check.timedOut ? 'timed out' : `failed (exit ${out.check.exitCode})`;
        if (st.checkRounds > this.ctx.config.review.maxRounds) {
          await this.block(
            st,
            `The merge check ${what} on the merge of this change into ${this.ctx.base} (${out.check.sha.slice(0, 10)}) after ${st.checkRounds - 1} fix rounds; ${this.ctx.base} was not moved. Its output ends with:\n${out.check.tail}\nFull output: ${out.check.logFile}. Fix it on branch ${st.branch} and retry.`,
          );
          return 'check_failed';
        }
        st.integrate = { reason: 'check', output: out.check.tail };
        st.pendingFeedback = `The merge check ${what} on the merge of your change into ${this.ctx.base}.`;
        await this.transition(st, 'checkFailed', {}, `merge check ${what}`);
        return 'check_failed';
      }
      case 'waiting_local_changes':
        this.ctx.emit({ type: 'merge_waiting', taskId: task.id, reason: `your uncommitted changes in ${out.checkout} are in the way`, files: out.files });
        await this.transition(st, 'mergeWaits', {}, `blocked by your local changes${out.files.length ? `: ${out.files.join(', ')}` : ''}`);
        return 'waiting';
      case 'waiting_base':
        this.ctx.emit({ type: 'merge_waiting', taskId: task.id, reason: out.reason, files: [] });
        await this.waitForBase(st, out.reason, 'merge');
        return 'waiting';
      case 'error':
        st.lastError = out.message;
        await this.transition(st, 'mergeFailed', {}, `merge failed: ${out.message}`);
        this.ctx.emit({ type: 'log', level: 'error', message: `merge of ${task.id} failed: ${out.message}` });
        return 'error';
    }
  }

  /**
   * The task's next step (its merge, or the review of work built on the base) waits for the base:
   * the user's git operation in progress, or a move outside the swarm the user has to accept
   * (issue 12 rules 2 and 9). `waiting_for` in the task file says why.
   */
  async waitForBase(st: TaskRuntimeState, reason: string, step: 'merge' | 'review'): Promise<void> {
    st.resumeStep = step;
    await this.transition(st, 'waitForBase', { waiting_for: reason }, `${step} waits: ${reason}`);
  }

  /** Merged: annotate, move to complete, remove the worktree and branch (nothing left to keep). */
  async complete(task: Task, st: TaskRuntimeState, commit: string | undefined, note?: string): Promise<void> {
    if (st.worktree || st.branch) {
      try {
        await this.removeWorktree(task, st, commit ? st.headSha : undefined);
      } catch (e) {
        this.ctx.emit({ type: 'log', level: 'warn', message: `could not remove the worktree of ${task.id}: ${(e as Error).message}` });
      }
    }
    st.status = transition(st.status, 'complete', st.id);
    st.mergedCommit = commit;
    await this.ctx.state.writeTask(st);
    await this.ctx.tasks.move(task.id, 'current', 'complete', {
      ...WHILE_CLAIMED,
      completed_by: st.workerId ?? 'user',
      completed_at: nowIso(),
      review_rounds: st.rounds.length,
      merged_commit: commit ?? null,
      ...(note ? { note } : {}),
    });
    await dropConflictsOf(this.ctx, task.id).catch(() => undefined); // its conflict warnings, and others' about it (conflicts.ts)
    if (commit) this.ctx.emit({ type: 'task_merged', taskId: task.id, sha: st.headSha ?? commit, commit });
    this.ctx.emit({ type: 'task_status', taskId: task.id, status: st.status, workerId: st.workerId, detail: note });
  }

  /** Remove the task's worktree and branch; work not on the base is archived first. Returns the archive ref. */
  private async removeWorktree(task: Task, st: TaskRuntimeState, mergedSha?: string): Promise<string | undefined> {
    const r = await this.ctx.worktrees.removeSafely(task.id, st.worktree, st.branch, `refs/heads/${this.ctx.base}`, false, mergedSha);
    this.ctx.emit({ type: 'worktree_removed', path: st.worktree ?? '', branch: st.branch ?? '', archivedRef: r.archivedRef });
    return r.archivedRef;
  }

  /** Wait for the user: the task stays in current with its question. */
  async block(st: TaskRuntimeState, question: string): Promise<void> {
    st.answer = undefined;
    await this.transition(st, 'block', { question, answer: undefined, blocked_at: nowIso() });
    const failed = hasFailed(st.attempts, this.ctx.config.limits.maxAttempts);
    this.ctx.emit({ type: 'task_blocked', taskId: st.id, question, ...(failed ? { failed } : {}) });
  }

  /**
   * Back to pending. With `fresh`, work on the branch is archived and the branch dropped (the
   * next worker starts over); otherwise the branch stays for the next worker to continue.
   */
  async returnToPending(task: Task, st: TaskRuntimeState, reason: string, opts: { fresh: boolean; feedback?: string }): Promise<void> {
    let archived: string | undefined;
    if (opts.fresh && (st.worktree || st.branch)) {
      archived = await this.removeWorktree(task, st);
      st.branch = undefined;
      st.worktree = undefined;
      st.sessionId = undefined;
      st.headSha = undefined;
    }
    st.status = transition(st.status, 'unclaim', st.id);
    st.pendingFeedback = opts.feedback ?? st.pendingFeedback;
    st.resumeStep = undefined;
    st.agent = undefined;
    st.answer = undefined;
    await this.ctx.state.writeTask(st);
    await this.ctx.tasks.move(task.id, 'current', 'pending', {
      ...WHILE_CLAIMED,
      claimed_by: undefined,
      branch: st.branch,
      question: undefined,
      answer: undefined,
      last_feedback: opts.feedback ?? task.meta.last_feedback,
      archived_ref: archived ?? task.meta.archived_ref,
    });
    this.ctx.emit({ type: 'task_returned', taskId: task.id, reason: archived ? `${reason} (earlier work kept at ${archived})` : reason });
  }

  /** REJECTED by the reviewer, the policy gate or the user. */
  async reject(task: Task, st: TaskRuntimeState, feedback: string): Promise<void> {
    st.attempts++;
    const limit = this.ctx.config.limits.maxAttempts;
    if (this.ctx.config.review.onReject === 'blocked' || st.attempts >= limit) {
      const why = st.attempts >= limit ? ` ${st.attempts} times (limits.max_attempts)` : '';
      await this.block(st, `The change was rejected${why}:\n${feedback}\nEdit the task and Retry, or Override.`);
      return;
    }
    await this.returnToPending(task, st, 'rejected', { fresh: true, feedback });
  }

  /**
   * A human decision on the sha shown to the user. Applied here directly (approve/override merge
   * now); `request_changes` queues a fix round for the next free worker.
   */
  async decide(taskId: string, kind: HumanDecisionKind, sha: string, text: string | undefined, by = 'user', nonce?: string): Promise<DecisionResult> {
    const task = await this.ctx.tasks.read(taskId, 'current').catch(() => undefined);
    if (!task) return { ok: false, reason: 'not_found', detail: `no task "${taskId}" in ${this.ctx.config.tasksDir}/current` };
    const st = await this.stateOf(taskId);
    if (!STATUS[st.status].decidable || !st.headSha)
      return { ok: false, reason: 'not_awaiting', detail: `task ${taskId} is ${st.status}; there is no change waiting for a decision` };
    const tip = st.branch ? await this.ctx.git.readBranch(st.branch) : st.headSha;
    const current = tip && tip !== st.headSha ? tip : st.headSha;
    // The sha the user was shown: in full, or an abbreviation of at least 7 characters (as git shows it).
    if (!sha || (current !== sha && !(sha.length >= 7 && current.startsWith(sha)))) return { ok: false, reason: 'stale_sha', currentSha: current };
    if ((kind === 'override' || kind === 'request_changes') && !text?.trim())
      return { ok: false, reason: 'invalid', detail: kind === 'override' ? 'an override needs a reason' : 'say what should change' };
    if (kind === 'approve') {
      const a = approvability(taskId, st.rounds, current);
      if (!a.approvable) return { ok: false, reason: 'needs_override', detail: a.message ?? 'only Override merges this change' };
    }
    if (nonce && st.rounds.some((r) => r.nonce === nonce))
      return { ok: false, reason: 'invalid', detail: 'this decision was applied before (a replayed decision file)' };
    // The user decided on the head they were shown (the branch tip when it moved since the last
    // review): that sha is what this round records and what an approval merges.
    if (current !== st.headSha) st.noChange = undefined; // new commits: merged as usual
    st.headSha = current;

    const verdict: Verdict = kind === 'approve' || kind === 'override' ? 'APPROVED' : kind === 'request_changes' ? 'NEEDS_CHANGES' : 'REJECTED';
    const baseSha = (await this.ctx.git.mergeBase(`refs/heads/${this.ctx.base}`, st.headSha)) ?? '';
    const round: ReviewRound = {
      round: st.rounds.length + 1,
      sha: st.headSha,
      tree: await this.ctx.git.treeOf(st.headSha),
      base: this.ctx.base,
      baseSha,
      by: 'human',
      verdict,
      feedback: kind === 'override' ? `Override: ${text}` : (text ?? ''),
      startedAt: nowIso(),
      finishedAt: nowIso(),
      // No durationMs: a decision is not a timed review round (the views showed "0 ms").
      decision: kind,
      reason: text,
    };
    if (nonce) round.nonce = nonce;
    st.rounds.push(sealRound(taskId, round));
    if (kind === 'approve' || kind === 'override') authorizeMerge(taskId, st, 'user', kind, kind === 'override' ? text : undefined);
    else st.approval = undefined; // asked for changes or rejected: an earlier approval no longer stands
    await this.ctx.state.writeTask(st);
    this.ctx.emit({ type: 'review_finished', taskId, round });
    const decidedSha = st.headSha;
    const decided = (applied: boolean, detail?: string) =>
      this.ctx.emit({ type: 'human_decision', taskId, decision: kind, sha: decidedSha, text, applied, detail });

    if (kind === 'request_changes') {
      st.pendingFeedback = accumulatedFeedback(st.rounds);
      st.resumeStep = 'work';
      await this.transition(st, 'requestChanges', { question: undefined }, 'changes requested by you');
      decided(true, 'fix round queued');
      return { ok: true, applied: 'fix_requested' };
    }
    if (kind === 'reject') {
      await this.returnToPending(task, st, `rejected by ${by}`, { fresh: true, feedback: text });
      decided(true, 'returned to pending');
      return { ok: true, applied: 'returned_to_pending' };
    }
    const r = await this.merge(task, st);
    if (r === 'no_change') {
      decided(true, 'completed: no change was needed');
      return { ok: true, applied: 'completed_without_change' };
    }
    if (r === 'merged') {
      const done = await this.ctx.state.readTask(taskId);
      decided(true, `merged as ${done?.mergedCommit}`);
      return { ok: true, applied: 'merged', commit: done?.mergedCommit ?? '' };
    }
    decided(false, r);
    if (r === 'conflict') return { ok: false, reason: 'conflict', files: st.conflictFiles ?? [] };
    if (r === 'check_failed')
      return { ok: false, reason: 'invalid', detail: `the merge check failed; ${STATUS[st.status].label()}: ${st.mergeCheck?.tail.split('\n').pop() ?? ''}` };
    if (r === 'waiting' && STATUS[st.status].needsYou === 'base')
      return {
        ok: false,
        reason: 'waiting_base',
        detail: String((await this.ctx.tasks.read(taskId, 'current').catch(() => undefined))?.meta.waiting_for ?? 'the base is busy'),
      };
    if (r === 'waiting') return { ok: false, reason: 'waiting_local_changes', files: [] };
    if (r === 'moved') return { ok: false, reason: 'stale_sha', currentSha: tip ?? '' };
    return { ok: false, reason: 'invalid', detail: st.lastError ?? 'merge failed' };
  }
}
