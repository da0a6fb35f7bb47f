// Words of the review page: labels, verdicts, durations, and what the page says about the outcome
// of a decision. Pure functions of the protocol's types (no DOM), so they are tested directly.

import type { ActionOutcome, ActionResultView, ReviewAction, ReviewViewModel } from '../shared/reviewViewModel';

export const ACTION_LABELS: Record<ReviewAction, string> = {
  approve: 'Approve',
  override: 'Override',
  requestChanges: 'Request changes',
  reject: 'Reject',
};

export const VERDICT_UI: Record<string, { text: string; icon: string; cls: string }> = {
  APPROVED: { text: 'Approved', icon: 'pass', cls: 'ok' },
  NEEDS_CHANGES: { text: 'Needs changes', icon: 'warning', cls: 'warn' },
  REJECTED: { text: 'Rejected', icon: 'error', cls: 'bad' },
  none: { text: 'No verdict', icon: 'circle-slash', cls: 'none' },
};

export const DECISION_LABELS: Record<string, string> = {
  approve: 'approved',
  override: 'overrode the reviewer',
  request_changes: 'requested changes',
  reject: 'rejected',
};

/** The tip on screen is newer than the commit that was submitted for review. */
export function moved(m: ReviewViewModel | undefined): boolean {
  return !!m?.sha && !!m.reviewedSha && m.sha !== m.reviewedSha;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 8) : '—';
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** What the page says about the outcome of an action. Plain text, shown with textContent. */
export function describeOutcome(result: ActionResultView): { text: string; ok: boolean; files: string[] } {
  const o: ActionOutcome = result.outcome;
  const label = ACTION_LABELS[result.action];
  if (o.ok) {
    switch (o.applied) {
      case 'merged':
        return { text: `${label}: merged as commit ${shortSha(o.commit)}.`, ok: true, files: [] };
      case 'queued':
        return { text: `${label}: queued — ${o.detail}`, ok: true, files: [] };
      case 'fix_requested':
        return { text: `${label}: sent to the worker for a fix round.`, ok: true, files: [] };
      case 'returned_to_pending':
        return { text: `${label}: the task went back to pending.`, ok: true, files: [] };
      case 'rejected':
        return { text: `${label}: the change was rejected.`, ok: true, files: [] };
      case 'completed_without_change':
        return { text: `${label}: completed; the task needed no change.`, ok: true, files: [] };
    }
  }
  switch (o.reason) {
    case 'stale_sha':
      return {
        text: `Not done: the branch moved since this diff was shown (it is now at ${shortSha(o.currentSha)}). The panel was refreshed — review the new commit, then decide again.`,
        ok: false,
        files: [],
      };
    case 'conflict':
      return { text: `${label}: the merge conflicts; nothing was merged. Conflicting files:`, ok: false, files: o.files };
    case 'waiting_local_changes':
      return { text: `${label}: the merge waits — your own uncommitted changes on the base checkout are in the way:`, ok: false, files: o.files };
    case 'waiting_base':
      return { text: `${label}: the merge waits for the base branch: ${o.detail}`, ok: false, files: [] };
    case 'busy':
      return { text: `Not done: another action is still running. ${o.detail}`, ok: false, files: [] };
    case 'not_awaiting':
      return { text: `Not done: the task is not waiting for a decision. ${o.detail}`, ok: false, files: [] };
    case 'not_found':
      return { text: `Not done: the task was not found. ${o.detail}`, ok: false, files: [] };
    case 'invalid':
      return { text: `Not done: ${o.detail}`, ok: false, files: [] };
    case 'needs_override':
      return { text: `Not merged: ${o.detail}`, ok: false, files: [] };
    case 'error':
      return { text: `${label} failed: ${o.detail}`, ok: false, files: [] };
  }
}
