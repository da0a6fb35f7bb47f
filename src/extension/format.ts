// How engine states read in the views, the status bar and notifications. A task status's words and
// icon are in the status table (src/swarm/status.ts); this file only shapes them for the views.

import type { TaskStatus, TaskRuntimeState } from '../swarm/types';
import { STATUS } from '../swarm/status';

/** Words for a task's state (from the table in src/swarm/status.ts); `round` is the review round in progress or last finished. */
export function describeTaskStatus(status: TaskStatus, round?: number): string {
  // A state added to the engine later still reads as something.
  return STATUS[status]?.label(round) ?? String(status);
}

/** Codicon name and theme color id for a task's state. */
export function taskStatusIcon(status: TaskStatus): { id: string; color?: string } {
  return STATUS[status]?.icon ?? { id: 'circle-filled' };
}

/** The review round to show: the one under review, else the number of finished rounds. */
export function currentRound(state: TaskRuntimeState | undefined, fallback?: number): number | undefined {
  if (!state) return fallback;
  const rounds = state.rounds.length;
  const s = STATUS[state.status];
  if (s?.inFlight && s.step === 'review') return Math.max(1, state.rounds.filter((r) => r.finishedAt).length + 1);
  if (s?.inFlight && s.step === 'work') return rounds + 1;
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
