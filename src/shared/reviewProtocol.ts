// The review panel's one protocol (after GitLens's per-webview protocol.ts): the messages the
// host (src/extension/reviewPanel.ts) and the page (src/webview) exchange, each with an `is()`
// guard. Both sides validate what they receive: the page is a browser context that renders text
// written by agents, so the host treats every message from it as untrusted input (hazards.md 16),
// and the page checks the host's messages so a bug there shows an error instead of a broken UI.
//
// This module is imported by the browser bundle: type-only imports from the engine, nothing else.

import { isSandboxDenials, type SandboxDenials } from '../swarm/sandboxDenials';
import type { DecisionResult } from '../swarm/api';
import type { HumanDecisionKind, ReviewerKind, TaskStatus, Verdict } from '../swarm/types';
import { STATUSES } from '../swarm/status';
import type { LineComment } from './lineComments';

import {
  DECISION_KINDS,
  PROTOCOL_LIMITS,
  REVIEWER_KINDS,
  VERDICTS,
  hasOnlyKeys,
  isArrayOf,
  isCount,
  isDecisionText,
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
  isLineComments,
  isCommentChanges,
  type CommentChangesView,
} from './protocolGuards';
export { isLineComment, isLineComments, type CommentChangeView, type CommentChangesView } from './protocolGuards';

export { PROTOCOL_LIMITS, SHA_RE, TASK_ID_RE, isDecisionText, isRepoPath, isSha, isStr, isTaskId } from './protocolGuards';

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
const REVIEW_ACTIONS: readonly ReviewAction[] = ['approve', 'override', 'requestChanges', 'reject'];

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
  hasOnlyKeys(v, ['round', 'sha', 'baseSha', 'by', 'verdict', 'feedback', 'feedbackTruncated', 'startedAt', 'finishedAt', 'durationMs', 'decision', 'reason', 'diffTruncated', 'violations', 'sandboxDenied']) &&
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
  isRecord(v) && hasOnlyKeys(v, ['fromSha', 'fromRound', 'files', 'added', 'removed']) && isSha(v.fromSha) && isCount(v.fromRound) && isArrayOf(v.files, isFileView, PROTOCOL_LIMITS.files) && isCount(v.added) && isCount(v.removed);

export function isReviewViewModel(v: unknown): v is ReviewViewModel {
  return (
    isRecord(v) &&
    hasOnlyKeys(v, ['taskId', 'title', 'body', 'bodyTruncated', 'status', 'worker', 'harness', 'model', 'cost', 'base', 'sha', 'reviewedSha', 'baseSha', 'files', 'added', 'removed', 'diffLines', 'rounds', 'agentVerdict', 'agentVerdictSha', 'approvable', 'approveBlocked', 'canDecide', 'mergedCommit', 'conflictFiles', 'lastError', 'mergeCheck', 'question', 'answer', 'failed', 'collapseLines', 'interdiff', 'commentChanges', 'sandboxDenied']) &&
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
  return isRecord(v) && hasOnlyKeys(v, ['action', 'sha', 'outcome', 'at']) && isOneOf(REVIEW_ACTIONS)(v.action) && isSha(v.sha) && isActionOutcome(v.outcome) && isLabel(v.at);
}

// ---------------------------------------------------------------------------------------------
// Message types (GitLens style): a method name plus a params guard; `is()` checks both.

export interface IpcMessage<Method extends string, Params> {
  method: Method;
  params: Params;
}

abstract class IpcType<Method extends string, Params> {
  constructor(
    readonly method: Method,
    private readonly validate: Guard<Params>,
  ) {}

  /** Validates the whole message: the method name and every field of the params. */
  is(msg: unknown): msg is IpcMessage<Method, Params> {
    return isRecord(msg) && hasOnlyKeys(msg, ['method', 'params']) && msg.method === this.method && this.validate(msg.params);
  }

  create(params: Params): IpcMessage<Method, Params> {
    return { method: this.method, params };
  }
}

/** Page → host. */
export class IpcCommand<Method extends string, Params> extends IpcType<Method, Params> {
  readonly direction = 'toHost';
}

/** Host → page. */
export class IpcNotification<Method extends string, Params> extends IpcType<Method, Params> {
  readonly direction = 'toPage';
}

const params =
  <T>(keys: readonly string[], check: (p: Record<string, unknown>) => boolean) =>
  (v: unknown): v is T =>
    isRecord(v) && hasOnlyKeys(v, keys) && check(v);

type Empty = Record<string, never>;
const noParams = params<Empty>([], () => true);

// Page → host commands ------------------------------------------------------------------------

/** The page loaded (or reloaded): send the state. */
export const ReadyCommand = new IpcCommand('review/ready', noParams);
export const RefreshCommand = new IpcCommand('review/refresh', noParams);

export interface PathParams {
  path: string;
}

/**
 * A decision, as a request: the page sends it with a fresh `id` and waits for the `review/decided`
 * response with the same id (no busy flag to keep in step). It carries the sha on screen; text is
 * required for override, and for requestChanges unless there are line comments.
 */
export interface DecideParams {
  id: number;
  action: ReviewAction;
  sha: string;
  text?: string;
  /** Line comments (requestChanges only): sent to the agent as structured feedback. */
  comments?: LineComment[];
}

const isDecideParams = params<DecideParams>(['id', 'action', 'sha', 'text', 'comments'], (p) => {
  if (!isCount(p.id) || !isOneOf(REVIEW_ACTIONS)(p.action) || !isSha(p.sha)) return false;
  if (!optional(p.text, (t): t is string => isDecisionText(t, false)) || !optional(p.comments, isLineComments)) return false;
  const hasText = typeof p.text === 'string' && p.text.trim().length > 0;
  const comments = Array.isArray(p.comments) ? p.comments.length : 0;
  if (comments > 0 && p.action !== 'requestChanges') return false;
  if (p.action === 'override') return hasText;
  if (p.action === 'requestChanges') return hasText || comments > 0;
  return true;
});

export const DecideRequest = new IpcCommand('review/decide', isDecideParams);
/** After a decision: open the next review waiting for the user (this panel goes there). */
export const NextCommand = new IpcCommand('review/next', noParams);
/** Open VS Code's diff editor for one file of the diff on screen. */
export const OpenNativeDiffCommand = new IpcCommand('review/openNativeDiff', params<PathParams>(['path'], (p) => isRepoPath(p.path)));
/** Fetch the diff of a file that was left out of the state because it is large. */
export const LoadFileCommand = new IpcCommand('review/loadFile', params<PathParams>(['path'], (p) => isRepoPath(p.path)));

/** The message an IpcType describes. */
type MessageOf<T> = T extends IpcType<infer M, infer P> ? IpcMessage<M, P> : never;

const COMMANDS = [ReadyCommand, RefreshCommand, DecideRequest, NextCommand, OpenNativeDiffCommand, LoadFileCommand] as const;

/** Every page → host message, derived from the constants above. */
export type ReviewCommand = MessageOf<(typeof COMMANDS)[number]>;

/** The host's single entry point for page messages: a valid command, or undefined (ignore it). */
export function parseReviewCommand(msg: unknown): ReviewCommand | undefined {
  for (const c of COMMANDS) if (c.is(msg)) return msg as ReviewCommand;
  return undefined;
}

// Host → page notifications -------------------------------------------------------------------

export interface StateParams {
  model: ReviewViewModel;
  /** The decision in flight (a page reloaded meanwhile shows it). */
  pending?: ReviewAction;
  lastResult?: ActionResultView;
  /** Other reviews waiting for the user (the "Next review (N waiting)" button). */
  waiting: number;
  /** Put the keyboard on the decision: the review was opened from the keyboard (Swarm: Open next review). */
  focus?: boolean;
}
export interface DecidedParams {
  /** The id of the `review/decide` request this answers. */
  id: number;
  result: ActionResultView;
}
export interface FileDiffParams {
  /** The sha the diff belongs to: the page drops it when another sha is on screen. */
  sha: string;
  path: string;
  diff: string;
}
export interface ErrorParams {
  message: string;
}

export const StateNotification = new IpcNotification(
  'review/state',
  params<StateParams>(['model', 'pending', 'lastResult', 'waiting', 'focus'], (p) => isReviewViewModel(p.model) && optional(p.pending, isOneOf(REVIEW_ACTIONS)) && optional(p.lastResult, isActionResultView) && isCount(p.waiting) && optional(p.focus, (f): f is boolean => typeof f === 'boolean')),
);
/** The response to a `review/decide` request. */
export const DecidedResponse = new IpcNotification('review/decided', params<DecidedParams>(['id', 'result'], (p) => isCount(p.id) && isActionResultView(p.result)));
export const FileDiffNotification = new IpcNotification('review/fileDiff', params<FileDiffParams>(['sha', 'path', 'diff'], (p) => isSha(p.sha) && isRepoPath(p.path) && isStr(p.diff, PROTOCOL_LIMITS.fileDiff)));
/** The panel cannot show the task (no workspace, task gone, engine error). */
export const ErrorNotification = new IpcNotification('review/error', params<ErrorParams>(['message'], (p) => isMarkdown(p.message)));

const NOTIFICATIONS = [StateNotification, DecidedResponse, FileDiffNotification, ErrorNotification] as const;

/** Every host → page message, derived from the constants above. */
export type ReviewNotification = MessageOf<(typeof NOTIFICATIONS)[number]>;

export function parseReviewNotification(msg: unknown): ReviewNotification | undefined {
  for (const n of NOTIFICATIONS) if (n.is(msg)) return msg as ReviewNotification;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Page state kept by VS Code (getState/setState) and handed to the serializer after a reload.

export type DiffLayout = 'unified' | 'split';

export interface PersistedReviewState {
  taskId: string;
  /** Repository root of the task (multi-root windows); given to the page by the host. */
  root?: string;
  layout: DiffLayout;
  /** Files the user opened or closed, by path (the rest follow the size rule). */
  expanded: Record<string, boolean>;
  /** Unsent text in the comment box. */
  draft: string;
  /** Where the page was scrolled to (a hidden panel's page is rebuilt when shown again). */
  scrollY?: number;
  /** Unsent line comments, on the commit `commentsSha`. */
  comments?: LineComment[];
  commentsSha?: string;
  /** Which diff the files section shows in a fix round. */
  view?: DiffView;
}

export type DiffView = 'full' | 'interdiff';

export const REVIEW_STATE_LIMITS = { expandedEntries: 10_000 } as const;

export function isPersistedReviewState(v: unknown): v is PersistedReviewState {
  if (!isRecord(v) || !hasOnlyKeys(v, ['taskId', 'root', 'layout', 'expanded', 'draft', 'scrollY', 'comments', 'commentsSha', 'view'])) return false;
  if (!optional(v.scrollY, isCount) || !optional(v.comments, isLineComments) || !optional(v.commentsSha, isSha)) return false;
  if (!optional(v.view, isOneOf<DiffView>(['full', 'interdiff']))) return false;
  if (!isTaskId(v.taskId) || !optional(v.root, isRepoPath) || (v.layout !== 'unified' && v.layout !== 'split') || !isDecisionText(v.draft, false)) return false;
  if (!isRecord(v.expanded)) return false;
  const entries = Object.entries(v.expanded);
  return entries.length <= REVIEW_STATE_LIMITS.expandedEntries && entries.every(([k, b]) => isRepoPath(k) && typeof b === 'boolean');
}
