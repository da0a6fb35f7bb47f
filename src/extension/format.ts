// How engine states read in the views, the status bar and notifications: one table each, so the
// Tasks view, the Worktrees view and the notifications never describe the same state twice.

import type { TaskStatus, TaskRuntimeState } from '../swarm/types';

/** Words for a task's state; `round` is the review round in progress or last finished. */
export function describeTaskStatus(status: TaskStatus, round?: number): string {
  switch (status as TaskStatus) {
    case 'pending': return 'pending';
    case 'running': return round && round > 1 ? `fix round ${round}` : 'running';
    case 'reviewing': return `in review round ${round ?? 1}`;
    case 'awaiting_human': return 'waiting for you';
    case 'needs_fix': return 'changes requested';
    case 'blocked': return 'question for you';
    case 'merging': return 'merging';
    case 'waiting_local_changes': return 'waiting for your local changes';
    case 'waiting_base': return 'waiting for the base branch';
    case 'interrupted': return 'interrupted';
    case 'complete': return 'merged';
    // A state added to the engine later still reads as something.
    default: return String(status);
  }
}

/** Codicon name and theme color id for a task's state. */
export function taskStatusIcon(status: TaskStatus): { id: string; color?: string } {
  switch (status) {
    case 'pending': return { id: 'circle-large-outline' };
    case 'running': return { id: 'sync~spin', color: 'charts.blue' };
    case 'reviewing': return { id: 'eye', color: 'charts.purple' };
    case 'awaiting_human': return { id: 'bell-dot', color: 'charts.yellow' };
    case 'needs_fix': return { id: 'wrench', color: 'charts.orange' };
    case 'blocked': return { id: 'question', color: 'charts.yellow' };
    case 'merging': return { id: 'git-merge', color: 'charts.blue' };
    case 'waiting_local_changes': return { id: 'warning', color: 'charts.yellow' };
    case 'waiting_base': return { id: 'warning', color: 'charts.yellow' };
    case 'interrupted': return { id: 'debug-pause', color: 'charts.orange' };
    case 'complete': return { id: 'pass-filled', color: 'charts.green' };
    default: return { id: 'circle-filled' };
  }
}

/** The review round to show: the one under review, else the number of finished rounds. */
export function currentRound(state: TaskRuntimeState | undefined, fallback?: number): number | undefined {
  if (!state) return fallback;
  const rounds = state.rounds.length;
  if (state.status === 'reviewing') return Math.max(1, state.rounds.filter((r) => r.finishedAt).length + 1);
  if (state.status === 'running') return rounds + 1;
  return rounds || fallback;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return 'size unknown';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Frontmatter as YAML-ish lines for the tooltip (values as JSON so nothing is interpreted). */
export function formatFrontmatter(meta: Record<string, unknown>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
