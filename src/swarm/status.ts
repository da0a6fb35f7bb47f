// The life of a task in one table: what each status means (for the engine and for every view) and
// which transitions are allowed. Every status write computes the new status with `transition()`,
// so an illegal move throws instead of leaving a task in a state nothing handles. The views take
// their words and icons from here; the tree's menus match the capability flags derived from it.
// Pure: no I/O, no node imports (the review panel's browser bundle imports it).
// docs/architecture.md draws this table (test/unit/engine-status.test.ts keeps it in step).

import type { TaskFolder, TaskStatus } from './types';

/** The steps of a task's life a worker drives (`drive()` in src/swarm/run.ts). */
export type TaskStep = 'work' | 'review' | 'merge';

export interface StatusInfo {
  /** A run is working on it right now (an agent turn, a review, a merge): a stop interrupts it. */
  inFlight: boolean;
  /** Its change waits, so the user may decide on it (approve, override, request changes, reject). */
  decidable: boolean;
  /** What it waits for from the user (the "Needs you" list), if anything. */
  needsYou?: 'review' | 'question' | 'local_changes' | 'base';
  /** A worker picks it up from `current` and continues it (fix round, answered question, recovery). */
  resumable: boolean;
  /** A human decision or a waiting merge can finish it without any worker. */
  endsWithoutWorker: boolean;
  /** The step it is at (in flight) or continues at (a fix round): see TaskStep. */
  step?: TaskStep;
  /** The review panel has something to show (a change under or after review). */
  reviewable: boolean;
  /** "Retry" is offered: back to pending for a fresh attempt with the branch kept. */
  retryable: boolean;
  /** "Move back to pending" is offered. */
  movable: boolean;
  /** Approve is the natural decision (a review waiting for the user). */
  approvable: boolean;
  /** Words in the Tasks and Worktrees views; `round` is the review round in progress or last finished. */
  label: (round?: number) => string;
  /** The review panel's badge. */
  heading: string;
  /** Codicon id and theme color id. */
  icon: { id: string; color?: string };
}

const NONE = {
  inFlight: false,
  decidable: false,
  resumable: false,
  endsWithoutWorker: false,
  reviewable: false,
  retryable: false,
  movable: false,
  approvable: false,
} as const;

export const STATUS: Readonly<Record<TaskStatus, Readonly<StatusInfo>>> = {
  pending: { ...NONE, label: () => 'pending', heading: 'Pending', icon: { id: 'circle-large-outline' } },
  running: {
    ...NONE,
    inFlight: true,
    step: 'work',
    movable: true,
    label: (round) => (round && round > 1 ? `fix round ${round}` : 'running'),
    heading: 'Agent working',
    icon: { id: 'sync~spin', color: 'charts.blue' },
  },
  reviewing: {
    ...NONE,
    inFlight: true,
    step: 'review',
    reviewable: true,
    movable: true,
    label: (round) => `in review round ${round ?? 1}`,
    heading: 'Reviewer working',
    icon: { id: 'eye', color: 'charts.purple' },
  },
  awaiting_human: {
    ...NONE,
    decidable: true,
    needsYou: 'review',
    endsWithoutWorker: true,
    reviewable: true,
    movable: true,
    approvable: true,
    label: () => 'waiting for you',
    heading: 'Waiting for you',
    icon: { id: 'bell-dot', color: 'charts.yellow' },
  },
  needs_fix: {
    ...NONE,
    decidable: true,
    resumable: true,
    step: 'work',
    reviewable: true,
    retryable: true,
    movable: true,
    label: () => 'changes requested',
    heading: 'Fix requested',
    icon: { id: 'wrench', color: 'charts.orange' },
  },
  blocked: {
    ...NONE,
    decidable: true,
    needsYou: 'question',
    retryable: true,
    movable: true,
    label: () => 'question for you',
    heading: 'Blocked on a question',
    icon: { id: 'question', color: 'charts.yellow' },
  },
  merging: {
    ...NONE,
    inFlight: true,
    step: 'merge',
    reviewable: true,
    label: () => 'merging',
    heading: 'Merging',
    icon: { id: 'git-merge', color: 'charts.blue' },
  },
  waiting_local_changes: {
    ...NONE,
    decidable: true,
    needsYou: 'local_changes',
    endsWithoutWorker: true,
    reviewable: true,
    movable: true,
    label: () => 'waiting for your local changes',
    heading: 'Merge waits for your local changes',
    icon: { id: 'warning', color: 'charts.yellow' },
  },
  waiting_base: {
    ...NONE,
    decidable: true,
    needsYou: 'base',
    endsWithoutWorker: true,
    reviewable: true,
    movable: true,
    label: () => 'waiting for the base branch',
    heading: 'Waits for the base branch',
    icon: { id: 'warning', color: 'charts.yellow' },
  },
  interrupted: {
    ...NONE,
    resumable: true,
    retryable: true,
    movable: true,
    label: () => 'interrupted',
    heading: 'Interrupted',
    icon: { id: 'debug-pause', color: 'charts.orange' },
  },
  waiting_budget: {
    ...NONE,
    retryable: true,
    movable: true,
    label: () => 'budget reached',
    heading: 'Budget reached',
    icon: { id: 'credit-card', color: 'charts.orange' },
  },
  queued: { ...NONE, resumable: true, label: () => 'queued', heading: 'Queued for a worker', icon: { id: 'circle-filled' } },
  complete: { ...NONE, label: () => 'merged', heading: 'Merged', icon: { id: 'pass-filled', color: 'charts.green' } },
};

export const STATUSES = Object.keys(STATUS) as TaskStatus[];

/** The status a task file in each folder has when its frontmatter says none. */
export const FOLDER_STATUS: Readonly<Record<TaskFolder, TaskStatus>> = { pending: 'pending', current: 'running', complete: 'complete' };

/** Every status a task in `current` can have (all but pending and complete). */
const IN_CURRENT: readonly TaskStatus[] = STATUSES.filter((s) => s !== FOLDER_STATUS.pending && s !== FOLDER_STATUS.complete);
const DECIDABLE = STATUSES.filter((s) => STATUS[s].decidable);
const IN_FLIGHT = STATUSES.filter((s) => STATUS[s].inFlight);

/**
 * The allowed transitions, by name: from which statuses, to which one. The name is what happened
 * (the caller says `claim`, `review`, `merge`, ...), so no status literal is needed at the call site.
 */
export const TRANSITIONS = {
  /** A worker claims a pending task (the file moves to current). */
  claim: { from: ['pending'], to: 'running' },
  /** An agent turn starts: a new claim, a continued task, a fix round. */
  work: { from: ['running', 'queued', 'needs_fix', 'interrupted', 'reviewing'], to: 'running' },
  /** The policy gate and the reviewer judge the turn's head (again, when the branch moved). */
  review: { from: ['running', 'reviewing'], to: 'reviewing' },
  /** The review hands the decision to the user (review mode human / agent+human, no verdict, max rounds). */
  askHuman: { from: ['reviewing'], to: 'awaiting_human' },
  /** The user asked for changes: a worker runs a fix round. */
  requestChanges: { from: DECIDABLE, to: 'needs_fix' },
  /** The merge conflicts: an integration round brings the base in, the agent resolves it. */
  conflict: { from: ['merging'], to: 'needs_fix' },
  /** The merge check failed on the merge result: an integration round brings the base in and fixes it (README, "Merge checks"). */
  checkFailed: { from: ['merging'], to: 'needs_fix' },
  /** Waiting for the user: a question, repeated failures or rejections, a security finding, a conflict that keeps coming back. */
  block: { from: IN_CURRENT, to: 'blocked' },
  /** The reviewed (or decided) head goes into the merge queue. */
  merge: { from: ['running', 'reviewing', 'merging', 'interrupted', ...DECIDABLE], to: 'merging' },
  /** The user's own uncommitted changes on the base checkout are in the way: retried when they change. */
  mergeWaits: { from: ['merging'], to: 'waiting_local_changes' },
  /** No approval the swarm issued covers the head (approval.ts: a forged or stale approval): the user decides again. */
  mergeUnauthorized: { from: ['running', 'reviewing', 'merging', 'interrupted', ...DECIDABLE], to: 'awaiting_human' },
  /** Its merge (or the review of work built on the base) waits for the base: the user's rebase/merge/... in progress, or a base move outside the swarm to accept (base.ts). */
  waitForBase: { from: ['running', 'reviewing', 'merging'], to: 'waiting_base' },
  /** The user accepted the base as it is: a review held for it goes on with a worker. */
  baseAccepted: { from: ['waiting_base'], to: 'queued' },
  /** The merge failed for another reason: the user looks at it. */
  mergeFailed: { from: ['merging'], to: 'awaiting_human' },
  /** Its cost budget is spent before a new turn (src/swarm/budget.ts): it waits for you to raise max_cost_usd and retry. */
  overBudget: { from: ['running', 'reviewing'], to: 'waiting_budget' },
  /** The run stopped while working on it: the next run resumes it. */
  interrupt: { from: IN_FLIGHT, to: 'interrupted' },
  /** Recovery found work in its worktree: a worker continues it. */
  requeue: { from: ['running', 'reviewing', 'interrupted'], to: 'queued' },
  /** The user answered its question: a worker continues it. */
  answer: { from: ['blocked'], to: 'queued' },
  /** Merged (or nothing to merge, confirmed by the reviewer or the user): the file moves to complete. */
  complete: { from: ['running', 'reviewing', 'merging', 'interrupted', ...DECIDABLE], to: 'complete' },
  /** Back to pending (retry, rejection, a failed turn, recovery with no work saved). */
  unclaim: { from: IN_CURRENT, to: 'pending' },
} as const satisfies Record<string, { from: readonly TaskStatus[]; to: TaskStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

export class IllegalTransition extends Error {
  constructor(
    readonly from: TaskStatus,
    readonly transitionName: TransitionName,
    taskId?: string,
  ) {
    super(
      `illegal status transition: ${transitionName} from ${from}${taskId ? ` (task ${taskId})` : ''}; allowed from ${(TRANSITIONS[transitionName] as { from?: readonly string[] } | undefined)?.from?.join(', ') ?? 'nowhere (no such transition)'}`,
    );
    this.name = 'IllegalTransition';
  }
}

/** The status after `name` happened to a task that is `from`; throws IllegalTransition when the table does not allow it. */
export function transition(from: TaskStatus, name: TransitionName, taskId?: string): TaskStatus {
  const t = TRANSITIONS[name] as { from: readonly TaskStatus[]; to: TaskStatus } | undefined;
  if (!t || !t.from.includes(from)) throw new IllegalTransition(from, name, taskId);
  return t.to;
}

/** Where a task that was (or was left) in flight stands: its status's step, or for an interrupted one where it stopped. */
export function stepOf(status: TaskStatus, resumeStep: TaskStep | undefined): TaskStep | undefined {
  const s = STATUS[status];
  if (s.inFlight) return s.step;
  return TRANSITIONS.interrupt.to === status ? (resumeStep ?? 'work') : undefined;
}

/** A merge waits outside any worker (the user's local changes, the base) and is retried when that changes. */
export function mergeWaits(status: TaskStatus, resumeStep: TaskStep | undefined): boolean {
  const n = STATUS[status].needsYou;
  return n === 'local_changes' || (n === 'base' && resumeStep !== 'review');
}

/** A task blocked after failing (or being rejected) limits.max_attempts times: "failed", not a question. */
export function hasFailed(attempts: number | undefined, maxAttempts: number): boolean {
  return !!attempts && attempts >= maxAttempts;
}

/** Statuses a task reaches right after its worker's turn (and the swarm's commit of what it left): the conflict watch re-checks then (src/swarm/conflicts.ts). */
export const AFTER_WORK_TURN: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['reviewing', 'awaiting_human', 'blocked']);
