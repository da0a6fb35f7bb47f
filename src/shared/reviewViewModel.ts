// The review panel's view model: everything the page shows, serializable, with the guards both
// sides check it with. The messages that carry it are in reviewProtocol.ts.
//
// This module is imported by the browser bundle: type-only imports from the engine, nothing else.

import { isSandboxDenials, type SandboxDenials } from '../swarm/sandboxDenials';
import type { DecisionResult } from '../swarm/api';
import type { HumanDecisionKind, ReviewerKind, TaskStatus, Verdict } from '../swarm/types';
import { STATUSES } from '../swarm/status';

import {
  DECISION_KINDS,
  PROTOCOL_LIMITS,
  REVIEWER_KINDS,
  VERDICTS,
  hasOnlyKeys,
  isArrayOf,
  isCount,
  isLabel,
  isMarkdown,
  isMergeCheckView,
  isOneOf,
  isRecord,
  isRepoPath,
  isSha,
  isStr,
  isTaskId,
  optional,
  type Guard,
  type MergeCheckView,
  isCommentChanges,
  type CommentChangesView,
} from './protocolGuards';

// ---------------------------------------------------------------------------------------------
// The view model: everything the page shows, serializable, derived from ReviewDetails on the host
// (see reviewModel.ts). No engine objects cross the boundary; only these plain fields.

export type FileChangeStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'mode';
const FILE_STATUSES: readonly FileChangeStatus[] = ['added', 'deleted', 'modified', 'renamed', 'copied', 'mode'];

export interface ReviewFileView {
  /** Path after the change (before it, for deleted files). The key for openNativeDiff / loadFile. */
  path: string;
  /** Path before a rename or copy. */
  oldPath?: string;
  status: FileChangeStatus;
  binary: boolean;
  added: number;
  removed: number;
  /** Lines of this file's part of the unified diff. */
  lines: number;
  /** This file's unified diff; absent when the file is large and loads on expand (loadFile). */
  diff?: string;
}

export interface ReviewRoundView {
  round: number;
  /** The commit this round judged (absent if the engine recorded something that is not a sha). */
  sha?: string;
  baseSha?: string;
  by: ReviewerKind;
  verdict: Verdict | null;
  /** Markdown from an agent or a person: rendered as safe markdown, never as HTML. */
  feedback: string;
  feedbackTruncated: boolean;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  decision?: HumanDecisionKind;
  reason?: string;
  diffTruncated: boolean;
  violations: string[];
  /** What the agent sandbox refused in the turns that made this round's commit. */
  sandboxDenied?: SandboxDenials;
}

export interface ReviewViewModel {
  taskId: string;
  title: string;
  /** Task body (markdown). */
  body: string;
  bodyTruncated: boolean;
  status: TaskStatus;
  worker?: string;
  harness?: string;
  model?: string;
  /** Tokens and cost of every turn of the task so far, and its budget ("$0.42 · 12k in / 2k out (budget $1.00)"). */
  cost?: string;
  base: string;
  /** The commit on screen; every action carries it back. Absent when the task has no commit yet. */
  sha?: string;
  /**
   * The commit the engine submitted for review (state.headSha). When the branch moved after that,
   * `sha` is the newer tip: the diff on screen includes the newer commits, the reviewer has not
   * seen them, and a decision applies to `sha` (the engine records and merges the head shown).
   */
  reviewedSha?: string;
  baseSha?: string;
  files: ReviewFileView[];
  added: number;
  removed: number;
  diffLines: number;
  rounds: ReviewRoundView[];
  /** The latest verdict of the reviewer agent or policy gate (null: none). NEEDS_CHANGES / REJECTED: merging needs Override. */
  agentVerdict: Verdict | null;
  /** The commit that verdict was given on (may be older than `sha`). */
  agentVerdictSha?: string;
  /** May a plain Approve merge `sha`? The engine's rule (src/swarm/approval.ts); false: only Override. */
  approvable: boolean;
  /** Why a plain Approve does not merge it, in the engine's words (when not approvable). */
  approveBlocked?: string;
  canDecide: boolean;
  mergedCommit?: string;
  conflictFiles: string[];
  lastError?: string;
  /** The last merge check this change was part of, when it failed (README, "Merge checks"): the output's tail. */
  mergeCheck?: MergeCheckView;
  /** A blocked task's question to the user, and the answer once given (markdown from the agent / user). */
  question?: string;
  /** The task failed `limits.max_attempts` times: its question is why, not something to answer. */
  failed?: true;
  answer?: string;
  /** Files with more diff lines than this start collapsed on the page. */
  collapseLines: number;
  /**
   * A fix round: what changed since the last reviewed round (`fromSha`, reviewed in `fromRound`)
   * up to `sha` — the interdiff shown beside the full diff. Files over the size limits are listed
   * without their diff (the full diff has them).
   */
  interdiff?: InterdiffView;
  /** The line comments of the last request for changes, and whether the fix changed each line. */
  commentChanges?: CommentChangesView;
  /** What the agent sandbox refused in the turns that made the commit on screen (src/swarm/sandboxDenials.ts). */
  sandboxDenied?: SandboxDenials;
}

export interface InterdiffView {
  fromSha: string;
  fromRound: number;
  files: ReviewFileView[];
  added: number;
  removed: number;
}

/** The outcome of a decision as the page shows it: the engine's DecisionResult, or a host-side failure. */
export type ActionOutcome = DecisionResult | { ok: false; reason: 'error' | 'busy'; detail: string };

export type ReviewAction = 'approve' | 'override' | 'requestChanges' | 'reject';
export const REVIEW_ACTIONS: readonly ReviewAction[] = ['approve', 'override', 'requestChanges', 'reject'];

/** Page action → engine decision kind. */
export const ACTION_TO_DECISION: Readonly<Record<ReviewAction, HumanDecisionKind>> = {
  approve: 'approve',
  override: 'override',
  requestChanges: 'request_changes',
  reject: 'reject',
};

export interface ActionResultView {
  action: ReviewAction;
  /** The sha the action was taken on. */
  sha: string;
  outcome: ActionOutcome;
  at: string;
}

const isFileView: Guard<ReviewFileView> = (v): v is ReviewFileView =>
  isRecord(v) &&
  hasOnlyKeys(v, ['path', 'oldPath', 'status', 'binary', 'added', 'removed', 'lines', 'diff']) &&
  isRepoPath(v.path) &&
  optional(v.oldPath, isRepoPath) &&
  isOneOf(FILE_STATUSES)(v.status) &&
  typeof v.binary === 'boolean' &&
  isCount(v.added) &&
  isCount(v.removed) &&
  isCount(v.lines) &&
  optional(v.diff, (d): d is string => isStr(d, PROTOCOL_LIMITS.fileDiff));

const isRoundView: Guard<ReviewRoundView> = (v): v is ReviewRoundView =>
  isRecord(v) &&
  hasOnlyKeys(v, [
    'round',
    'sha',
    'baseSha',
    'by',
    'verdict',
    'feedback',
    'feedbackTruncated',
    'startedAt',
    'finishedAt',
    'durationMs',
    'decision',
    'reason',
    'diffTruncated',
    'violations',
    'sandboxDenied',
  ]) &&
  isCount(v.round) &&
  optional(v.sha, isSha) &&
  optional(v.baseSha, isSha) &&
  isOneOf(REVIEWER_KINDS)(v.by) &&
  (v.verdict === null || isOneOf(VERDICTS)(v.verdict)) &&
  isMarkdown(v.feedback) &&
  typeof v.feedbackTruncated === 'boolean' &&
  isLabel(v.startedAt) &&
  optional(v.finishedAt, isLabel) &&
  optional(v.durationMs, isCount) &&
  optional(v.decision, isOneOf(DECISION_KINDS)) &&
  optional(v.reason, isMarkdown) &&
  typeof v.diffTruncated === 'boolean' &&
  isArrayOf(v.violations, isLabel, 1_000) &&
  optional(v.sandboxDenied, isSandboxDenials);

const isInterdiff: Guard<InterdiffView> = (v): v is InterdiffView =>
  isRecord(v) &&
  hasOnlyKeys(v, ['fromSha', 'fromRound', 'files', 'added', 'removed']) &&
  isSha(v.fromSha) &&
  isCount(v.fromRound) &&
  isArrayOf(v.files, isFileView, PROTOCOL_LIMITS.files) &&
  isCount(v.added) &&
  isCount(v.removed);

export function isReviewViewModel(v: unknown): v is ReviewViewModel {
  return (
    isRecord(v) &&
    hasOnlyKeys(v, [
      'taskId',
      'title',
      'body',
      'bodyTruncated',
      'status',
      'worker',
      'harness',
      'model',
      'cost',
      'base',
      'sha',
      'reviewedSha',
      'baseSha',
      'files',
      'added',
      'removed',
      'diffLines',
      'rounds',
      'agentVerdict',
      'agentVerdictSha',
      'approvable',
      'approveBlocked',
      'canDecide',
      'mergedCommit',
      'conflictFiles',
      'lastError',
      'mergeCheck',
      'question',
      'answer',
      'failed',
      'collapseLines',
      'interdiff',
      'commentChanges',
      'sandboxDenied',
    ]) &&
    isTaskId(v.taskId) &&
    isLabel(v.title) &&
    isMarkdown(v.body) &&
    typeof v.bodyTruncated === 'boolean' &&
    isOneOf(STATUSES)(v.status) &&
    optional(v.worker, isLabel) &&
    optional(v.harness, isLabel) &&
    optional(v.model, isLabel) &&
    optional(v.cost, isLabel) &&
    isLabel(v.base) &&
    optional(v.sha, isSha) &&
    optional(v.reviewedSha, isSha) &&
    optional(v.baseSha, isSha) &&
    isArrayOf(v.files, isFileView, PROTOCOL_LIMITS.files) &&
    isCount(v.added) &&
    isCount(v.removed) &&
    isCount(v.diffLines) &&
    isArrayOf(v.rounds, isRoundView, PROTOCOL_LIMITS.rounds) &&
    (v.agentVerdict === null || isOneOf(VERDICTS)(v.agentVerdict)) &&
    optional(v.agentVerdictSha, isSha) &&
    typeof v.approvable === 'boolean' &&
    optional(v.approveBlocked, isMarkdown) &&
    typeof v.canDecide === 'boolean' &&
    optional(v.mergedCommit, isSha) &&
    isArrayOf(v.conflictFiles, isRepoPath, PROTOCOL_LIMITS.files) &&
    optional(v.lastError, isMarkdown) &&
    optional(v.mergeCheck, isMergeCheckView) &&
    optional(v.question, isMarkdown) &&
    optional(v.failed, (b: unknown): b is true => b === true) &&
    optional(v.answer, isMarkdown) &&
    isCount(v.collapseLines) &&
    optional(v.interdiff, isInterdiff) &&
    optional(v.commentChanges, isCommentChanges) &&
    optional(v.sandboxDenied, isSandboxDenials)
  );
}

const isStringList = (v: unknown): v is string[] => isArrayOf(v, isRepoPath, PROTOCOL_LIMITS.files);

export function isActionOutcome(v: unknown): v is ActionOutcome {
  if (!isRecord(v) || typeof v.ok !== 'boolean') return false;
  if (v.ok) {
    switch (v.applied) {
      case 'merged':
        return hasOnlyKeys(v, ['ok', 'applied', 'commit']) && isSha(v.commit);
      case 'queued':
        return hasOnlyKeys(v, ['ok', 'applied', 'detail']) && isMarkdown(v.detail);
      case 'fix_requested':
      case 'returned_to_pending':
      case 'rejected':
      case 'completed_without_change':
        return hasOnlyKeys(v, ['ok', 'applied']);
      default:
        return false;
    }
  }
  switch (v.reason) {
    case 'stale_sha':
      return hasOnlyKeys(v, ['ok', 'reason', 'currentSha']) && isSha(v.currentSha);
    case 'not_awaiting':
    case 'not_found':
    case 'invalid':
    case 'needs_override':
    case 'error':
    case 'busy':
    case 'waiting_base':
      return hasOnlyKeys(v, ['ok', 'reason', 'detail']) && isMarkdown(v.detail);
    case 'conflict':
    case 'waiting_local_changes':
      return hasOnlyKeys(v, ['ok', 'reason', 'files']) && isStringList(v.files);
    default:
      return false;
  }
}

/**
 * Does the outcome of an earlier decision still apply to the model on screen? Only while that
 * commit (or none: a task back in pending) is on screen: once the fix round brings another one,
 * it was about an older round. A
 * stale_sha refusal that led to the commit on screen still explains why the panel changed.
 */
export function resultStillApplies(r: ActionResultView, m: ReviewViewModel): boolean {
  if (r.sha === m.sha || m.sha === undefined) return true;
  return !r.outcome.ok && r.outcome.reason === 'stale_sha' && r.outcome.currentSha === m.sha;
}

export function isActionResultView(v: unknown): v is ActionResultView {
  return (
    isRecord(v) &&
    hasOnlyKeys(v, ['action', 'sha', 'outcome', 'at']) &&
    isOneOf(REVIEW_ACTIONS)(v.action) &&
    isSha(v.sha) &&
    isActionOutcome(v.outcome) &&
    isLabel(v.at)
  );
}
