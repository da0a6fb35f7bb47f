// The review page's state and its one reducer: every host message and every user intent is an
// event, `reduce(state, event)` returns the next state, and the views render from it. Pure (no
// DOM, no postMessage), so the page's rules are unit-tested here: what a decision needs, why a
// button is unavailable, which result still applies, when the side-by-side view falls back.
//
// The page holds no swarm logic: the host says what can be decided (`canDecide`, `approvable`) and
// the engine decides whether a decision applies (a moved branch comes back as `stale_sha`).

import {
  DecideRequest,
  PROTOCOL_LIMITS,
  isPersistedReviewState,
  type DiffLayout,
  type DiffView,
  type PersistedReviewState,
  type ReviewNotification,
} from '../shared/reviewProtocol';
import { resultStillApplies, type ActionResultView, type ReviewAction, type ReviewViewModel } from '../shared/reviewViewModel';
import { LINE_COMMENT_LIMITS, type LineComment } from '../shared/lineComments';
import { shortSha, moved } from './format';

export interface PageState {
  model?: ReviewViewModel;
  /** The decision this page sent and waits for (request id and action). */
  pending?: { id: number; action: ReviewAction };
  /** A decision in flight according to the host (e.g. sent before a reload). */
  hostPending?: ReviewAction;
  lastResult?: ActionResultView;
  /** Other reviews waiting for the user. */
  waiting: number;
  /** Counts the host's requests to put the keyboard on the decision (StateParams.focus). */
  focusRequests?: number;
  error?: string;
  /** What VS Code keeps across reloads (layout, open files, draft, comments, view). */
  ui: PersistedReviewState;
  /** The next decision request id. */
  nextId: number;
  /** The panel is too narrow for side by side. */
  narrow: boolean;
}

export type PageEvent =
  | { type: 'host'; msg: ReviewNotification }
  | { type: 'invalidMessage' }
  | { type: 'draft'; text: string }
  | { type: 'layout'; layout: DiffLayout }
  | { type: 'view'; view: DiffView }
  | { type: 'expand'; paths: string[]; open: boolean }
  | { type: 'sent'; id: number; action: ReviewAction }
  | { type: 'addComment'; comment: LineComment }
  | { type: 'removeComment'; index: number }
  | { type: 'narrow'; narrow: boolean }
  | { type: 'scroll'; y: number };

/** Below this panel width the side-by-side view is shown unified. */
export const SPLIT_MIN_WIDTH = 800;

export function initialState(saved: unknown, hints: { taskId?: string; root?: string } = {}): PageState {
  const ui: PersistedReviewState = isPersistedReviewState(saved)
    ? { ...saved }
    : { taskId: hints.taskId ?? 'unknown', layout: 'unified', expanded: {}, draft: '' };
  // The serializer reopens the panel after a reload from this state, so it names the repository too.
  if (hints.root !== undefined && ui.root === undefined) ui.root = hints.root;
  return { ui, waiting: 0, nextId: 1, narrow: false };
}

function withModel(s: PageState, model: ReviewViewModel): PageState {
  let ui = s.ui;
  if (model.taskId !== ui.taskId) {
    // Another task's saved UI state (should not happen: one panel per task). Start fresh.
    ui = { taskId: model.taskId, layout: ui.layout, expanded: {}, draft: '' };
    if (s.ui.root !== undefined) ui.root = s.ui.root;
  }
  // Line comments are on one commit's line numbers: a new commit makes them meaningless.
  if (ui.comments?.length && ui.commentsSha !== model.sha) ui = { ...ui, comments: [], commentsSha: undefined };
  if (ui.view === 'interdiff' && !model.interdiff) ui = { ...ui, view: 'full' };
  return { ...s, model, ui };
}

export function reduce(s: PageState, e: PageEvent): PageState {
  switch (e.type) {
    case 'host': {
      const msg = e.msg;
      switch (msg.method) {
        case 'review/state': {
          const next = withModel(
            {
              ...s,
              error: undefined,
              waiting: msg.params.waiting,
              hostPending: msg.params.pending,
              focusRequests: (s.focusRequests ?? 0) + (msg.params.focus ? 1 : 0),
            },
            msg.params.model,
          );
          if (msg.params.lastResult) next.lastResult = msg.params.lastResult;
          // A result about an older commit no longer applies once a newer one waits for a decision.
          if (next.lastResult && next.model && !resultStillApplies(next.lastResult, next.model)) next.lastResult = undefined;
          return next;
        }
        case 'review/decided': {
          if (s.pending && s.pending.id !== msg.params.id) return s; // an answer to an earlier page
          const ok = msg.params.result.outcome.ok;
          const ui = ok ? { ...s.ui, draft: '', comments: [], commentsSha: undefined } : s.ui;
          return { ...s, pending: undefined, lastResult: msg.params.result, ui };
        }
        case 'review/error':
          return { ...s, pending: undefined, error: msg.params.message };
        case 'review/fileDiff':
          return s; // rendered by the files view; no state of its own
      }
      return s;
    }
    case 'invalidMessage':
      return { ...s, error: 'The panel received a message it does not understand; try Refresh.' };
    case 'draft':
      return { ...s, ui: { ...s.ui, draft: e.text.slice(0, PROTOCOL_LIMITS.decisionText) } };
    case 'layout':
      return { ...s, ui: { ...s.ui, layout: e.layout } };
    case 'view':
      return { ...s, ui: { ...s.ui, view: e.view } };
    case 'expand': {
      const expanded = { ...s.ui.expanded };
      for (const p of e.paths) expanded[p] = e.open;
      return { ...s, ui: { ...s.ui, expanded } };
    }
    case 'sent':
      return { ...s, pending: { id: e.id, action: e.action }, nextId: Math.max(s.nextId, e.id + 1) };
    case 'addComment': {
      if (!s.model?.sha) return s;
      const comments = [...(s.ui.comments ?? []), e.comment].slice(0, LINE_COMMENT_LIMITS.comments);
      return { ...s, ui: { ...s.ui, comments, commentsSha: s.model.sha } };
    }
    case 'removeComment':
      return { ...s, ui: { ...s.ui, comments: (s.ui.comments ?? []).filter((_, i) => i !== e.index) } };
    case 'narrow':
      return { ...s, narrow: e.narrow };
    case 'scroll':
      return { ...s, ui: { ...s.ui, scrollY: Math.max(0, Math.round(e.y)) } };
  }
}

// Selectors ------------------------------------------------------------------------------------

export function working(s: PageState): boolean {
  return s.pending !== undefined || s.hostPending !== undefined;
}

/** The layout the diff is drawn in: side by side falls back to unified in a narrow panel. */
export function effectiveLayout(s: PageState): DiffLayout {
  return s.ui.layout === 'split' && s.narrow ? 'unified' : s.ui.layout;
}

/** Why each action is unavailable right now (undefined: available). */
export function blockers(s: PageState): Record<ReviewAction, string | undefined> {
  const m = s.model;
  const text = s.ui.draft.trim();
  const comments = s.ui.comments?.length ?? 0;
  const common = !m
    ? 'Loading…'
    : !m.sha
      ? 'There is no commit to decide on yet.'
      : working(s)
        ? 'Working…'
        : !m.canDecide
          ? 'This task is not waiting for a decision.'
          : undefined;
  // The engine says whether a plain Approve may merge (approvable); the page only shows it.
  const disagrees = m ? !m.approvable : false;
  return {
    approve: common ?? (disagrees ? (m?.approveBlocked ?? 'The reviewer did not approve: use Override with a reason.') : undefined),
    override:
      common ??
      (!disagrees
        ? 'only for merging what the reviewer did not approve.'
        : !text
          ? 'write the reason in the comment.'
          : comments
            ? 'line comments go with Request changes.'
            : undefined),
    requestChanges: common ?? (!text && !comments ? 'write what should change, or comment on lines of the diff.' : undefined),
    reject: common ?? (comments ? 'line comments go with Request changes.' : undefined),
  };
}

/** The request a click on `action` sends, or undefined when the action is unavailable. */
export function decisionRequest(s: PageState, action: ReviewAction): ReturnType<typeof DecideRequest.create> | undefined {
  if (blockers(s)[action] !== undefined || !s.model?.sha) return undefined;
  const text = s.ui.draft.trim();
  const params: Parameters<typeof DecideRequest.create>[0] = { id: s.nextId, action, sha: s.model.sha };
  if (text) params.text = text;
  if (action === 'requestChanges' && s.ui.comments?.length) params.comments = s.ui.comments;
  return DecideRequest.create(params);
}

/** The sentence under the decision bar: what a decision applies to, and what the reviewer said. */
export function decisionHint(s: PageState): string {
  const m = s.model;
  if (!m) return '';
  if (!m.canDecide) return 'Nothing to decide right now.';
  if (!m.sha || working(s)) return '';
  let hint = `Applies to commit ${shortSha(m.sha)} (if the branch moves first, nothing happens).`;
  // The engine merges the head the user was shown; say plainly that the reviewer did not see all of it.
  if (moved(m))
    hint = `The branch moved after it was submitted for review (reviewed ${shortSha(m.reviewedSha)}, now ${shortSha(m.sha)}): the diff includes newer commits the reviewer has not seen. ${hint}`;
  if (m.agentVerdict === 'NEEDS_CHANGES' || m.agentVerdict === 'REJECTED')
    hint += ` The reviewer did not approve${m.agentVerdictSha && m.agentVerdictSha !== m.sha ? ` (on ${shortSha(m.agentVerdictSha)})` : ''}: Override merges anyway and records your reason.`;
  else if (!m.approvable) hint += ` ${m.approveBlocked ?? 'Only Override merges this change.'}`;
  return hint;
}

/** Offer "Next review" when this panel has nothing left to decide and another review waits. */
export function offerNext(s: PageState): boolean {
  return s.waiting > 0 && !!s.model && (!s.model.canDecide || s.lastResult?.outcome.ok === true) && !working(s);
}
