// Field rules shared by the review panel's message guards (reviewProtocol.ts): small, pure type
// guards. Imported by the browser bundle: type-only imports from the engine, nothing else.

import type { HumanDecisionKind, ReviewerKind, Verdict } from '../swarm/types';
import { LINE_COMMENT_LIMITS, type LineComment } from './lineComments';

// ---------------------------------------------------------------------------------------------
// Field rules shared by the guards

/** Git object names as the engine reports them (abbreviated or full, SHA-1 or SHA-256). */
export const SHA_RE = /^[0-9a-f]{7,64}$/;
/** Task ids as design.md defines them (the file stem). */
export const TASK_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const PROTOCOL_LIMITS = {
  /** Override reason / requested changes / reject note typed by the user. */
  decisionText: 20_000,
  /** A repository path inside a diff. */
  path: 4_096,
  /** Short labels: title, worker, harness, model, status, base branch, dates. */
  label: 1_000,
  /** Markdown shown in the panel (task body, one round's feedback). The view model cuts longer text. */
  markdown: 500_000,
  /** One file's diff text sent to the page (inline or on loadFile). */
  fileDiff: 64 * 1024 * 1024,
  files: 100_000,
  rounds: 1_000,
} as const;

export const VERDICTS: readonly Verdict[] = ['APPROVED', 'NEEDS_CHANGES', 'REJECTED'];
export const REVIEWER_KINDS: readonly ReviewerKind[] = ['agent', 'human', 'policy'];
export const DECISION_KINDS: readonly HumanDecisionKind[] = ['approve', 'override', 'request_changes', 'reject'];

export type Guard<T> = (v: unknown) => v is T;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` is a plain object with exactly these keys allowed (optional ones may be absent). */
export function hasOnlyKeys(v: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) return false;
  return true;
}

export function isStr(v: unknown, max: number, min = 0): v is string {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

export function isSha(v: unknown): v is string {
  return typeof v === 'string' && SHA_RE.test(v);
}

export function isTaskId(v: unknown): v is string {
  return typeof v === 'string' && TASK_ID_RE.test(v);
}

/**
 * A repository-relative path from a diff. Git allows any byte but NUL in a path (tabs and newlines
 * included), and the page only ever shows paths as text, so only NUL and length are refused here;
 * the host separately checks that a path it is asked about is one of the diff's files.
 */
export function isRepoPath(v: unknown): v is string {
  return isStr(v, PROTOCOL_LIMITS.path, 1) && !v.includes('\u0000');
}

/** Text the user typed for a decision: bounded, and (when required) not just whitespace. */
export function isDecisionText(v: unknown, required: boolean): v is string {
  if (!isStr(v, PROTOCOL_LIMITS.decisionText)) return false;
  return !required || v.trim().length > 0;
}

export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function isOneOf<T extends string>(list: readonly T[]): Guard<T> {
  return (v): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);
}

export function isArrayOf<T>(v: unknown, guard: Guard<T>, max: number): v is T[] {
  return Array.isArray(v) && v.length <= max && v.every((x) => guard(x));
}

export function optional<T>(v: unknown, guard: Guard<T>): v is T | undefined {
  return v === undefined || guard(v);
}

export const isLabel: Guard<string> = (v): v is string => isStr(v, PROTOCOL_LIMITS.label);
export const isMarkdown: Guard<string> = (v): v is string => isStr(v, PROTOCOL_LIMITS.markdown);

/** A failed merge check's facts as the review page shows them (README, "Merge checks"). */
export interface MergeCheckView {
  sha: string;
  timedOut: boolean;
  exitCode: number | null;
  tail: string;
}
export const isMergeCheckView: Guard<MergeCheckView> = (c): c is MergeCheckView =>
  isRecord(c) &&
  hasOnlyKeys(c, ['sha', 'timedOut', 'exitCode', 'tail']) &&
  isSha(c.sha) &&
  typeof c.timedOut === 'boolean' &&
  (c.exitCode === null || Number.isInteger(c.exitCode)) &&
  isMarkdown(c.tail);

// Line comments (src/shared/lineComments.ts) and which of them a fix round changed.

export interface CommentChangeView extends LineComment {
  /** Did the interdiff change the commented line? null: cannot tell (a removed line of the base). */
  changed: boolean | null;
}

export interface CommentChangesView {
  /** The round that asked for the changes, and the commit its comments are on. */
  round: number;
  sha: string;
  items: CommentChangeView[];
}

const SIDES = ['new', 'old'] as const;

export const isLineComment: Guard<LineComment> = (v): v is LineComment =>
  isRecord(v) &&
  hasOnlyKeys(v, ['path', 'line', 'side', 'lineText', 'body']) &&
  isRepoPath(v.path) &&
  isCount(v.line) &&
  v.line > 0 &&
  isOneOf(SIDES)(v.side) &&
  isStr(v.lineText, LINE_COMMENT_LIMITS.lineText) &&
  isStr(v.body, LINE_COMMENT_LIMITS.body) &&
  v.body.trim().length > 0;

export const isLineComments = (v: unknown): v is LineComment[] => isArrayOf(v, isLineComment, LINE_COMMENT_LIMITS.comments);

const isCommentChange: Guard<CommentChangeView> = (v): v is CommentChangeView => {
  if (!isRecord(v) || !(v.changed === null || typeof v.changed === 'boolean')) return false;
  const { changed: _changed, ...rest } = v;
  return isLineComment(rest);
};

export const isCommentChanges: Guard<CommentChangesView> = (v): v is CommentChangesView =>
  isRecord(v) &&
  hasOnlyKeys(v, ['round', 'sha', 'items']) &&
  isCount(v.round) &&
  isSha(v.sha) &&
  isArrayOf(v.items, isCommentChange, LINE_COMMENT_LIMITS.comments);
