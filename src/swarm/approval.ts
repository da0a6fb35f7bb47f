// What the engine trusts before it merges, and which change a plain Approve may merge.
//
//   signDecision / verifyDecision   a human decision handed to a swarm running in another process
//                                   (.swarm/decisions/<id>.json): signed by the extension or the CLI
//   sealRound / roundIntact         a review round as the engine recorded it (state.json is
//                                   writable by agents: an edited verdict no longer verifies)
//   authorizeMerge / mergeAuthorized the one record that lets flow.merge merge a commit: minted when
//                                   the reviewer approves (review.mode "agent"), for a tasks-only
//                                   change, or from the user's approve / override
//   approvability                   may a plain Approve merge this change? (else: Override…)
//
// Every seal is an HMAC with the key of decisionKey.ts. Threat model: docs/security.md, "Human decisions".

import { randomBytes } from 'node:crypto';
import { loadDecisionKey, mac, macEqual } from './decisionKey';
import { TASK_ID_RE } from './taskFile';
import type { HumanDecisionKind, MergeApproval, ReviewRound, TaskRuntimeState, Verdict } from './types';
import { nowIso } from './util';

// --- decisions handed to another process ------------------------------------------------------

export interface PendingDecision {
  taskId: string;
  kind: HumanDecisionKind;
  sha: string;
  text?: string;
  by?: string;
  at: string;
  /** Random, once per decision: a decision file is applied at most once. */
  nonce: string;
  /** HMAC over every field above. */
  mac: string;
}

/** A decision file older than this is refused (the running swarm takes files within its poll interval). */
export const DECISION_MAX_AGE_MS = 10 * 60_000;
const CLOCK_SKEW_MS = 60_000;
const KINDS: readonly HumanDecisionKind[] = ['approve', 'override', 'request_changes', 'reject'];

function decisionFields(d: Omit<PendingDecision, 'mac'>): (string | undefined)[] {
  return [d.taskId, d.kind, d.sha, d.text, d.by, d.at, d.nonce];
}

export function signDecision(d: { taskId: string; kind: HumanDecisionKind; sha: string; text?: string; by?: string }): PendingDecision {
  const unsigned = { taskId: d.taskId, kind: d.kind, sha: d.sha, text: d.text, by: d.by, at: nowIso(), nonce: randomBytes(16).toString('hex') };
  return { ...unsigned, mac: mac('decision', decisionFields(unsigned)) };
}

/** Nonces this process has applied (with when they stop mattering). */
const usedNonces = new Map<string, number>();

/**
 * Check a decision file's content: signed with the decision key, every field as signed, recent,
 * and not applied before by this process. Only a verified decision is ever applied.
 */
export function verifyDecision(raw: unknown, now = Date.now()): { ok: true; decision: PendingDecision } | { ok: false; why: string } {
  if (typeof raw !== 'object' || raw === null) return { ok: false, why: 'not a JSON object' };
  const d = raw as Record<string, unknown>;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  if (!str('mac') || !str('nonce')) return { ok: false, why: 'not signed by the extension or the CLI (no mac)' };
  const taskId = str('taskId');
  const kind = str('kind') as HumanDecisionKind | undefined;
  const sha = str('sha');
  const at = str('at');
  if (!taskId || !TASK_ID_RE.test(taskId) || !kind || !KINDS.includes(kind) || !sha || !at)
    return { ok: false, why: 'a field is missing or malformed (taskId, kind, sha, at)' };
  for (const k of ['text', 'by']) if (d[k] !== undefined && typeof d[k] !== 'string') return { ok: false, why: `${k} is not a string` };
  const decision: PendingDecision = { taskId, kind, sha, text: str('text'), by: str('by'), at, nonce: str('nonce')!, mac: str('mac')! };
  let expected: string;
  try {
    expected = mac('decision', decisionFields(decision));
  } catch (e) {
    return { ok: false, why: `cannot read the decision key: ${(e as Error).message}` };
  }
  if (!macEqual(decision.mac, expected)) return { ok: false, why: 'not signed by the extension or the CLI (the mac does not match its fields)' };
  const t = Date.parse(at);
  if (!Number.isFinite(t) || t > now + CLOCK_SKEW_MS || now - t > DECISION_MAX_AGE_MS)
    return { ok: false, why: `signed at ${at}, outside the ${DECISION_MAX_AGE_MS / 60_000} minutes a decision file is valid` };
  for (const [n, until] of usedNonces) if (until < now) usedNonces.delete(n);
  if (usedNonces.has(decision.nonce)) return { ok: false, why: 'already applied once (a replay)' };
  usedNonces.set(decision.nonce, t + DECISION_MAX_AGE_MS + CLOCK_SKEW_MS);
  return { ok: true, decision };
}

// --- review rounds ----------------------------------------------------------------------------

function roundFields(taskId: string, r: ReviewRound): (string | number | undefined | null)[] {
  return [
    taskId,
    r.round,
    r.sha,
    r.base,
    r.baseSha,
    r.by,
    r.verdict,
    r.feedback,
    r.startedAt,
    r.finishedAt,
    r.durationMs,
    r.decision,
    r.reason,
    r.diffTruncated === undefined ? undefined : String(r.diffTruncated),
    Array.isArray(r.violations) ? r.violations.join('\n') : undefined,
    r.nonce,
  ];
}

/** Seal a round the engine records (call once its fields are final). Returns the round. */
export function sealRound<R extends ReviewRound>(taskId: string, r: R): R {
  r.seal = mac('round', roundFields(taskId, r));
  return r;
}

/** Is this round exactly as the engine recorded it for this task? */
export function roundIntact(taskId: string, r: ReviewRound): boolean {
  try {
    return macEqual(r.seal, mac('round', roundFields(taskId, r)));
  } catch {
    return false;
  }
}

// --- the authorization to merge ------------------------------------------------------------------

function approvalFields(taskId: string, a: Omit<MergeApproval, 'seal'>): (string | undefined)[] {
  return [taskId, a.sha, a.by, a.decision, a.reason, a.at];
}

/** Record that st.headSha may merge (the caller decided so just now). Written with the state. */
export function authorizeMerge(
  taskId: string,
  st: TaskRuntimeState,
  by: MergeApproval['by'],
  decision?: 'approve' | 'override',
  reason?: string,
): MergeApproval {
  if (!st.headSha) throw new Error(`task ${taskId}: nothing to authorize (no head sha)`);
  const a: Omit<MergeApproval, 'seal'> = { sha: st.headSha, by, at: nowIso() };
  if (decision) a.decision = decision;
  if (reason) a.reason = reason;
  st.approval = { ...a, seal: mac('merge', approvalFields(taskId, a)) };
  return st.approval;
}

/** May st.headSha merge? Only with an intact authorization for exactly that commit of this task. */
export function mergeAuthorized(taskId: string, st: TaskRuntimeState): { ok: true } | { ok: false; why: string } {
  const a = st.approval;
  if (!a || typeof a !== 'object') return { ok: false, why: `no approval of ${st.headSha?.slice(0, 12) ?? 'its head'} was recorded by the swarm` };
  if (a.sha !== st.headSha) return { ok: false, why: `the recorded approval is for ${String(a.sha).slice(0, 12)}, not for ${st.headSha?.slice(0, 12)}` };
  try {
    if (macEqual(a.seal, mac('merge', approvalFields(taskId, a)))) return { ok: true };
  } catch (e) {
    return { ok: false, why: `cannot check the approval: ${(e as Error).message}` };
  }
  return { ok: false, why: 'the recorded approval was not issued by the swarm (its seal does not match; state.json was edited outside the swarm?)' };
}

// --- answers ---------------------------------------------------------------------------------------

/** The user's answer to a task's question, sealed to keep in its state (Workspace.answer). */
export function sealAnswer(taskId: string, question: string, text: string): NonNullable<TaskRuntimeState['answer']> {
  const at = nowIso();
  return { question, text, at, seal: mac('answer', [taskId, question, text, at]) };
}

/** The answer to give the task's agent: only one the user gave (sealed), never one written into the task file. */
export function verifiedAnswer(taskId: string, st: TaskRuntimeState | undefined): { question: string; text: string } | undefined {
  const a = st?.answer;
  if (!a || typeof a !== 'object') return undefined;
  try {
    return macEqual(a.seal, mac('answer', [taskId, a.question, a.text, a.at])) ? { question: a.question, text: a.text } : undefined;
  } catch {
    return undefined;
  }
}

// --- may a plain Approve merge it? -----------------------------------------------------------------

export interface Approvability {
  /** True: a plain Approve may merge `sha`. False: only Override (with a reason) may. */
  approvable: boolean;
  /** Why not, and what to do instead (shown by the panel, the tree and the CLI as is). */
  message?: string;
  /** The verdict that decides it: the latest round of the reviewer agent or the policy gate. */
  verdict: Verdict | null;
  /** The commit that verdict was given on (may be older than the head shown). */
  verdictSha?: string;
}

/**
 * The one rule every surface follows (engine, CLI, tree, panel): a plain Approve never merges what
 * the reviewer (or the policy gate) said NEEDS_CHANGES or REJECTED; that takes Override with a
 * reason. The latest reviewer round decides, unless the user already approved or overrode `sha`
 * itself later (e.g. a merge that waited for local changes). A reviewer round that does not verify
 * (edited in state.json, or recorded before rounds were sealed) cannot make a change approvable.
 */
export function approvability(taskId: string, rounds: readonly ReviewRound[] | undefined, sha?: string): Approvability {
  const list = Array.isArray(rounds) ? rounds : [];
  if (list.length) {
    try {
      loadDecisionKey();
    } catch (e) {
      return {
        approvable: false,
        verdict: null,
        message: `The review record cannot be checked: ${(e as Error).message}. A plain Approve does not merge it: fix the key, or use Override… and give a reason.`,
      };
    }
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i];
    if (r.by === 'human') {
      if (sha && r.sha === sha && (r.decision === 'approve' || r.decision === 'override') && roundIntact(taskId, r))
        return { approvable: true, verdict: r.verdict ?? null, verdictSha: r.sha };
      continue;
    }
    const verdict = r.verdict ?? null;
    const on = typeof r.sha === 'string' ? ` on ${r.sha.slice(0, 12)}` : '';
    if (!roundIntact(taskId, r)) {
      return {
        approvable: false,
        verdict,
        verdictSha: r.sha,
        message: `The record of review round ${r.round}${on} was changed outside the swarm (or predates sealed records), so it cannot count as an approval. A plain Approve does not merge it: use Override… and give a reason.`,
      };
    }
    if (verdict === 'NEEDS_CHANGES' || verdict === 'REJECTED') {
      const who = r.by === 'policy' ? 'The policy gate' : 'The reviewer';
      return {
        approvable: false,
        verdict,
        verdictSha: r.sha,
        message: `${who} said ${verdict} in round ${r.round}${on}. A plain Approve does not merge it: use Override… and give a reason (it is recorded with the task), or Request changes.`,
      };
    }
    return { approvable: true, verdict, verdictSha: r.sha };
  }
  return { approvable: true, verdict: null };
}
