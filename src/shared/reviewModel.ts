// Builds the review panel's view model from the engine's ReviewDetails: plain, bounded,
// serializable fields only. Pure (no vscode, no DOM) so it is unit-tested directly.
//
// Large diffs: every file's diff text is kept on the host (`fileDiffs`), but only files under the
// size limits travel inline in the state; the rest are sent when the page expands them
// (loadFile), so a huge change does not freeze the page on open.

import { addDenials, isSandboxDenials, type SandboxDenials } from '../swarm/sandboxDenials';
import { costWords } from '../swarm/cost';
import type { ReviewDetails } from '../swarm/api';
import type { ReviewRound, Verdict } from '../swarm/types';
import { readDiffFileHeader, splitDiffFiles } from './diffFiles';
import { commentedLineChanged, parseLineComments } from './lineComments';
import { PROTOCOL_LIMITS, isLineComment, isRepoPath, isSha, type CommentChangesView } from './reviewProtocol';
import { type ReviewFileView, type ReviewRoundView, type ReviewViewModel } from './reviewViewModel';

export interface ReviewRenderLimits {
  /** A file whose diff has more lines than this is loaded only when expanded. */
  lazyFileLines: number;
  /** Files after this many are loaded only when expanded. */
  inlineFiles: number;
  /** Once the inline files add up to this many diff lines, the remaining files load on expand. */
  inlineLines: number;
  /** Files with more diff lines than this start collapsed on the page. */
  collapseLines: number;
}

export const DEFAULT_RENDER_LIMITS: Readonly<ReviewRenderLimits> = {
  lazyFileLines: 2_000,
  inlineFiles: 200,
  inlineLines: 20_000,
  collapseLines: 400,
};

export interface BuiltReview {
  model: ReviewViewModel;
  /** Every file's diff by path, including the ones left out of the model (answers loadFile). */
  fileDiffs: Map<string, string>;
}

function cut(text: string, max: number): { text: string; truncated: boolean } {
  return text.length <= max ? { text, truncated: false } : { text: text.slice(0, max), truncated: true };
}

function label(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  return v.length <= PROTOCOL_LIMITS.label ? v : `${v.slice(0, PROTOCOL_LIMITS.label - 1)}…`;
}

function sha(v: unknown): string | undefined {
  return isSha(v) ? v : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/**
 * What the sandbox refused in the turns behind the commit on screen: the rounds of that commit,
 * plus the turns since the last round (the task's state keeps those until a round takes them).
 */
export function sandboxDeniedOnScreen(
  rounds: readonly ReviewRound[],
  state: { sandboxDenied?: unknown } | undefined,
  onScreen: string | undefined,
): SandboxDenials | undefined {
  let out: SandboxDenials | undefined;
  const add = (d: unknown) => {
    if (isSandboxDenials(d)) out = { ...addDenials(out, d.sample)!, count: (out?.count ?? 0) + d.count };
  };
  for (const r of rounds) if (onScreen && r.sha === onScreen) add(r.sandboxDenied);
  add(state?.sandboxDenied);
  return out;
}

export function roundView(r: ReviewRound): ReviewRoundView {
  const feedback = cut(typeof r.feedback === 'string' ? r.feedback : '', PROTOCOL_LIMITS.markdown);
  const view: ReviewRoundView = {
    round: count(r.round) ?? 0,
    by: r.by,
    verdict: r.verdict ?? null,
    feedback: feedback.text,
    feedbackTruncated: feedback.truncated,
    startedAt: label(r.startedAt) ?? '',
    diffTruncated: r.diffTruncated === true,
    violations: Array.isArray(r.violations)
      ? r.violations
          .filter((x): x is string => typeof x === 'string')
          .slice(0, 1_000)
          .map((x) => label(x) ?? '')
      : [],
  };
  const s = sha(r.sha);
  if (s) view.sha = s;
  const b = sha(r.baseSha);
  if (b) view.baseSha = b;
  const finished = label(r.finishedAt);
  if (finished) view.finishedAt = finished;
  const duration = count(r.durationMs);
  if (duration !== undefined) view.durationMs = duration;
  if (r.decision) view.decision = r.decision;
  if (typeof r.reason === 'string' && r.reason.length > 0) view.reason = cut(r.reason, PROTOCOL_LIMITS.markdown).text;
  if (isSandboxDenials(r.sandboxDenied)) view.sandboxDenied = r.sandboxDenied;
  return view;
}

/**
 * The latest verdict of the reviewer agent (or the policy gate) and the commit it was given on.
 * It stays relevant when the branch moved since: a reviewer that asked for changes still asked for
 * them, and the page says which commit the verdict was about.
 */
export function latestAgentVerdict(rounds: readonly ReviewRound[]): { verdict: Verdict | null; sha?: string } {
  for (let i = rounds.length - 1; i >= 0; i--) {
    const r = rounds[i];
    if (r.by === 'human') continue;
    return { verdict: r.verdict ?? null, sha: sha(r.sha) };
  }
  return { verdict: null };
}

interface BuiltFiles {
  files: ReviewFileView[];
  fileDiffs: Map<string, string>;
  added: number;
  removed: number;
  diffLines: number;
}

/** One entry per file of a diff; small files carry their diff inline (see the header comment). */
function buildFiles(diff: string, limits: ReviewRenderLimits): BuiltFiles {
  const fileDiffs = new Map<string, string>();
  const files: ReviewFileView[] = [];
  let inlineLines = 0;
  let added = 0;
  let removed = 0;
  let diffLines = 0;

  for (const chunk of splitDiffFiles(diff)) {
    const h = readDiffFileHeader(chunk.text);
    let path = isRepoPath(h.path) ? h.path : '(unreadable path)';
    // Two entries with one path cannot happen in one git diff; keep both visible if it does.
    for (let n = 2; fileDiffs.has(path); n++) path = `${h.path} (${n})`;
    fileDiffs.set(path, chunk.text);
    added += h.added;
    removed += h.removed;
    diffLines += chunk.lines;
    const view: ReviewFileView = { path, status: h.status, binary: h.binary, added: h.added, removed: h.removed, lines: chunk.lines };
    if (h.oldPath !== undefined && isRepoPath(h.oldPath)) view.oldPath = h.oldPath;
    const inline =
      chunk.lines <= limits.lazyFileLines &&
      files.length < limits.inlineFiles &&
      inlineLines + chunk.lines <= limits.inlineLines &&
      chunk.text.length <= PROTOCOL_LIMITS.fileDiff;
    if (inline) {
      view.diff = chunk.text;
      inlineLines += chunk.lines;
    }
    files.push(view);
  }
  return { files, fileDiffs, added, removed, diffLines };
}

/**
 * The line comments of the latest request for changes on an earlier commit, each with whether the
 * fix changed its line (on the interdiff from that commit; null when the interdiff starts elsewhere).
 */
export function commentChanges(rounds: readonly ReviewRound[], sha: string | undefined, interdiff: ReviewDetails['interdiff']): CommentChangesView | undefined {
  for (let i = rounds.length - 1; i >= 0; i--) {
    const r = rounds[i];
    if (r.by !== 'human' || r.decision !== 'request_changes') continue;
    const comments = parseLineComments(r.reason).filter((c) => isLineComment(c));
    if (comments.length === 0 || !isSha(r.sha) || r.sha === sha) return undefined;
    const from = interdiff && interdiff.fromSha === r.sha ? interdiff.diff : undefined;
    return {
      round: count(r.round) ?? 0,
      sha: r.sha,
      items: comments.map((c) => ({ ...c, changed: from === undefined ? null : commentedLineChanged(from, c) })),
    };
  }
  return undefined;
}

export function buildReviewViewModel(details: ReviewDetails, limits: ReviewRenderLimits = DEFAULT_RENDER_LIMITS): BuiltReview {
  const { task, state } = details;
  const { files, fileDiffs, added, removed, diffLines } = buildFiles(details.diff ?? '', limits);

  const body = cut(typeof task.body === 'string' ? task.body : '', PROTOCOL_LIMITS.markdown);
  const onScreen = sha(details.sha);
  const rounds = Array.isArray(details.rounds) ? details.rounds : [];
  const agent = latestAgentVerdict(rounds);
  const model: ReviewViewModel = {
    taskId: task.id,
    title: label(task.title) ?? task.id,
    body: body.text,
    bodyTruncated: body.truncated,
    status: state?.status ?? task.status,
    base: label(details.base) ?? '',
    files,
    added,
    removed,
    diffLines,
    rounds: rounds.slice(-PROTOCOL_LIMITS.rounds).map(roundView),
    agentVerdict: agent.verdict,
    // The engine's rule decides, not the page: approval.ts (rule 6 of the integrity issue).
    approvable: details.approvable?.approvable !== false,
    // Nothing to decide on without a commit.
    canDecide: details.canDecide === true && onScreen !== undefined,
    conflictFiles: (state?.conflictFiles ?? []).filter(isRepoPath).slice(0, PROTOCOL_LIMITS.files),
    collapseLines: limits.collapseLines,
  };
  const worker = label(state?.workerId ?? task.claimedBy ?? task.completedBy);
  if (worker) model.worker = worker;
  const harness = label(state?.harness ?? task.agent);
  if (harness) model.harness = harness;
  const modelName = label(state?.model ?? task.model);
  if (modelName) model.model = modelName;
  const cost = label(costWords(state?.usage, state?.budgetUsd)); // every turn of the task, reviewers' too (src/swarm/cost.ts)
  if (cost) model.cost = cost;
  if (onScreen) model.sha = onScreen;
  const reviewed = sha(state?.headSha);
  if (reviewed) model.reviewedSha = reviewed;
  if (agent.sha) model.agentVerdictSha = agent.sha;
  if (details.approvable?.approvable === false)
    model.approveBlocked = cut(details.approvable.message ?? 'Only Override merges this change.', PROTOCOL_LIMITS.markdown).text;
  const baseSha = sha(details.baseSha);
  if (baseSha) model.baseSha = baseSha;
  const merged = sha(state?.mergedCommit ?? task.mergedCommit);
  if (merged) model.mergedCommit = merged;
  if (state?.lastError) model.lastError = cut(state.lastError, PROTOCOL_LIMITS.markdown).text;
  const check = state?.mergeCheck;
  const checkSha = sha(check?.sha);
  if (check && !check.ok && checkSha)
    model.mergeCheck = {
      sha: checkSha,
      timedOut: check.timedOut === true,
      exitCode: Number.isInteger(check.exitCode) ? check.exitCode : null,
      tail: cut(String(check.tail ?? ''), PROTOCOL_LIMITS.markdown).text,
    };
  if (typeof task.question === 'string' && task.question.trim()) model.question = cut(task.question, PROTOCOL_LIMITS.markdown).text;
  if (details.failed === true) model.failed = true;
  if (typeof task.answer === 'string' && task.answer.trim()) model.answer = cut(task.answer, PROTOCOL_LIMITS.markdown).text;
  const inter = details.interdiff;
  if (inter && isSha(inter.fromSha) && onScreen) {
    const built = buildFiles(inter.diff, limits);
    model.interdiff = { fromSha: inter.fromSha, fromRound: count(inter.fromRound) ?? 0, files: built.files, added: built.added, removed: built.removed };
  }
  const changes = commentChanges(rounds, onScreen, inter);
  if (changes) model.commentChanges = changes;
  const denied = sandboxDeniedOnScreen(rounds, state, onScreen);
  if (denied) model.sandboxDenied = denied;
  return { model, fileDiffs };
}
