// Contract 3 (worker signals) and contract 4 (verdicts). Each signal counts only alone on its own
// line; a verdict only as the exact last non-empty line. Text that merely quotes a signal or a
// verdict (in a diff, in an explanation) never triggers anything.

import type { Verdict } from './types';

export const READY_SIGNAL = 'COMPLETE_AND_READY_FOR_MERGE';
export const DONE_SIGNAL = '__DONE__';

export interface WorkerSignals {
  ready: boolean;
  done: boolean;
  /** Question from a `BLOCKED: <question>` line. */
  blocked?: string;
}

export function parseWorkerReply(reply: string): WorkerSignals {
  const lines = reply.split(/\r?\n/).map((l) => l.trim());
  const blockedLine = lines.find((l) => /^BLOCKED:\s*\S/.test(l));
  return {
    ready: lines.includes(READY_SIGNAL),
    done: lines.includes(DONE_SIGNAL),
    blocked: blockedLine ? blockedLine.replace(/^BLOCKED:\s*/, '').trim() : undefined,
  };
}

const VERDICTS: Verdict[] = ['APPROVED', 'NEEDS_CHANGES', 'REJECTED'];

/** The verdict on the last non-empty line, exactly; anything else is no verdict (never an approval). */
export function parseVerdict(reply: string): Verdict | null {
  const lines = reply
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const last = lines[lines.length - 1];
  const m = last ? /^VERDICT: (APPROVED|NEEDS_CHANGES|REJECTED)$/.exec(last) : null;
  return m && VERDICTS.includes(m[1] as Verdict) ? (m[1] as Verdict) : null;
}

/** The reviewer's feedback without the verdict line. */
export function feedbackOf(reply: string): string {
  const lines = reply.replace(/\s+$/, '').split(/\r?\n/);
  if (lines.length && parseVerdict(lines[lines.length - 1])) lines.pop();
  return lines.join('\n').trim();
}
