// Tokens and cost: adding usages, totals per task, per worker and per run from a run's journal
// (`agent_finished` events carry each turn's usage), the budget rule, and the words every view
// uses ("$0.42 · 12.3k in / 1.9k out"). Pure: no I/O, no node imports (the review panel's host,
// the trees, the CLI and the webview may all import it). Budgets are enforced in budget.ts.

import type { AgentUsage } from './harness/types';
import type { SwarmEvent } from './types';

/** `a` plus `b`; a field stays undefined only when neither has it. */
export function sumUsage(a: AgentUsage | undefined, b: AgentUsage | undefined): AgentUsage {
  const out: AgentUsage = {};
  for (const k of ['inputTokens', 'outputTokens', 'costUsd'] as const) {
    const x = finite(a?.[k]);
    const y = finite(b?.[k]);
    if (x !== undefined || y !== undefined) out[k] = (x ?? 0) + (y ?? 0);
  }
  return out;
}

/** A reported number the swarm can add: finite and not negative (a negative cost would buy budget back). */
function finite(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

export interface UsageTotals {
  run: AgentUsage;
  /** Per task id: every turn of the task (worker rounds and reviewer turns). */
  tasks: Record<string, AgentUsage>;
  /** Per worker id: every turn the worker ran (its reviewers' turns included). */
  workers: Record<string, AgentUsage>;
  /** Agent turns seen (finished). */
  turns: number;
}

/** Totals from a run's events (the lines of events.jsonl, or the events a front end received). */
export function usageTotals(events: Iterable<SwarmEvent>): UsageTotals {
  const t: UsageTotals = { run: {}, tasks: {}, workers: {}, turns: 0 };
  for (const e of events) {
    if (e.type !== 'agent_finished') continue;
    t.turns++;
    if (!e.usage) continue;
    t.run = sumUsage(t.run, e.usage);
    t.workers[e.workerId] = sumUsage(t.workers[e.workerId], e.usage);
    if (e.taskId) t.tasks[e.taskId] = sumUsage(t.tasks[e.taskId], e.usage);
  }
  return t;
}

/**
 * The budget rule: a limit is reached when what was spent is at or above it. No limit, no stop;
 * nothing reported counts as nothing spent here (a turn with no reported cost is priced, or marks
 * the cost unknown, in budget.ts before it is added).
 */
export function budgetReached(spent: AgentUsage | undefined, limitUsd: number | undefined): boolean {
  if (limitUsd === undefined) return false;
  return (finite(spent?.costUsd) ?? 0) >= limitUsd;
}

/** "$0.4213" for small amounts, "$12.40" above a dollar. */
export function formatUsd(n: number): string {
  return n < 1 ? `$${n.toFixed(4).replace(/0{1,2}$/, '')}` : `$${n.toFixed(2)}`;
}

/** 950 → "950", 12_345 → "12.3k", 2_500_000 → "2.5M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
}

/** "$0.42 · 12.3k in / 1.9k out", or undefined when nothing was reported. */
export function formatUsage(u: AgentUsage | undefined): string | undefined {
  if (!u) return undefined;
  const parts: string[] = [];
  if (u.costUsd !== undefined) parts.push(formatUsd(u.costUsd));
  if (u.inputTokens !== undefined || u.outputTokens !== undefined)
    parts.push(`${formatTokens(u.inputTokens ?? 0)} in / ${formatTokens(u.outputTokens ?? 0)} out`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** The words a budget stop is explained with. */
export function budgetReason(scope: 'run' | 'task', spent: AgentUsage | undefined, limitUsd: number, setting: string): string {
  return `${scope === 'run' ? 'run' : 'task'} budget reached: ${formatUsd(finite(spent?.costUsd) ?? 0)} spent of ${formatUsd(limitUsd)} (${setting}); no new turn starts`;
}

/** A task's cost with its budget: "$0.70 · 2k in / 205 out of $0.50 budget", or undefined when neither is known. */
export function costWords(usage: AgentUsage | undefined, budgetUsd?: number): string | undefined {
  const u = formatUsage(usage);
  const b = budgetUsd !== undefined ? `budget ${formatUsd(budgetUsd)}` : undefined;
  return u && b ? `${u} (${b})` : (u ?? b);
}
