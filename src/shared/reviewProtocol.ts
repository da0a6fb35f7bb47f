// The review panel's one protocol (after GitLens's per-webview protocol.ts): the messages the
// host (src/extension/reviewPanel.ts) and the page (src/webview) exchange, each with an `is()`
// guard. Both sides validate what they receive: the page is a browser context that renders text
// written by agents, so the host treats every message from it as untrusted input (hazards.md 16),
// and the page checks the host's messages so a bug there shows an error instead of a broken UI.
//
// This module is imported by the browser bundle: type-only imports from the engine, nothing else.

import type { LineComment } from './lineComments';
import { REVIEW_ACTIONS, isActionResultView, isReviewViewModel, type ActionResultView, type ReviewAction, type ReviewViewModel } from './reviewViewModel';

import {
  PROTOCOL_LIMITS,
  hasOnlyKeys,
  isCount,
  isDecisionText,
  isMarkdown,
  isOneOf,
  isRecord,
  isRepoPath,
  isSha,
  isStr,
  isTaskId,
  optional,
  type Guard,
  isLineComments,
} from './protocolGuards';
export { isLineComment, isLineComments, type CommentChangeView, type CommentChangesView } from './protocolGuards';

export { PROTOCOL_LIMITS, SHA_RE, TASK_ID_RE, isDecisionText, isRepoPath, isSha, isStr, isTaskId } from './protocolGuards';

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
export const OpenNativeDiffCommand = new IpcCommand(
  'review/openNativeDiff',
  params<PathParams>(['path'], (p) => isRepoPath(p.path)),
);
/** Fetch the diff of a file that was left out of the state because it is large. */
export const LoadFileCommand = new IpcCommand(
  'review/loadFile',
  params<PathParams>(['path'], (p) => isRepoPath(p.path)),
);

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
  params<StateParams>(
    ['model', 'pending', 'lastResult', 'waiting', 'focus'],
    (p) =>
      isReviewViewModel(p.model) &&
      optional(p.pending, isOneOf(REVIEW_ACTIONS)) &&
      optional(p.lastResult, isActionResultView) &&
      isCount(p.waiting) &&
      optional(p.focus, (f): f is boolean => typeof f === 'boolean'),
  ),
);
/** The response to a `review/decide` request. */
export const DecidedResponse = new IpcNotification(
  'review/decided',
  params<DecidedParams>(['id', 'result'], (p) => isCount(p.id) && isActionResultView(p.result)),
);
export const FileDiffNotification = new IpcNotification(
  'review/fileDiff',
  params<FileDiffParams>(['sha', 'path', 'diff'], (p) => isSha(p.sha) && isRepoPath(p.path) && isStr(p.diff, PROTOCOL_LIMITS.fileDiff)),
);
/** The panel cannot show the task (no workspace, task gone, engine error). */
export const ErrorNotification = new IpcNotification(
  'review/error',
  params<ErrorParams>(['message'], (p) => isMarkdown(p.message)),
);

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
