// The engine's domain types and the typed events it emits. The extension's views, the review
// panel and the CLI render these; nothing outside src/swarm mutates swarm state directly.

import type { SandboxDenials } from './sandboxDenials';
import type { AgentRole, AgentUsage } from './harness/types';
import type { PortRange } from './ports';

export type TaskFolder = 'pending' | 'current' | 'complete';

/**
 * Where a task is in its life. `pending` and `complete` follow the folder; a task in `current`
 * carries one of the others in its frontmatter `status`.
 */
export type TaskStatus =
  | 'pending'
  | 'running' // an agent turn is in progress (worker or fix round)
  | 'reviewing' // the reviewer agent is judging round N
  | 'awaiting_human' // review mode human / agent+human: the user decides in the panel or CLI
  | 'needs_fix' // waiting for a worker to run a fix round (human request changes, conflict)
  | 'blocked' // the agent asked a question (`question`), waiting for `answer`
  | 'merging' // in the merge queue
  | 'waiting_local_changes' // merge waits: the user's own edits are in the way on the base checkout
  | 'waiting_base' // merge (or review) waits for the base: the user's rebase/merge/... in progress, or a base move to accept (`waiting_for`)
  | 'interrupted' // its run ended (stop, crash); the next run resumes it
  | 'queued' // waiting for a worker to continue it (answered question, recovered after a crash)
  | 'waiting_budget' // its cost budget is spent (max_cost_usd): no new turn starts until you raise it and retry
  | 'complete';

/** A parsed task file. `meta` is the whole frontmatter, as read (YAML only). */
export interface Task {
  id: string;
  title: string;
  folder: TaskFolder;
  status: TaskStatus;
  /** Absolute path of the file. */
  file: string;
  body: string;
  priority: number;
  dependsOn: string[];
  agent?: string;
  model?: string;
  files?: string[];
  /** Frontmatter `max_cost_usd`: no new turn of this task starts once its agents' cost reaches it (src/swarm/budget.ts). */
  maxCostUsd?: number;
  /** Set while claimed / after completion. */
  claimedBy?: string;
  branch?: string;
  worktree?: string;
  question?: string;
  answer?: string;
  completedBy?: string;
  completedAt?: string;
  reviewRounds?: number;
  mergedCommit?: string;
  /** Set by a listing for a pending task that can never start: a dependency cycle or an unknown depends_on id. */
  cannotRun?: string;
  meta: Record<string, unknown>;
}

/** A task file that could not be parsed: moved to the quarantine folder, never deleted. */
export interface QuarantinedTask {
  file: string;
  reason: string;
}

export type Verdict = 'APPROVED' | 'NEEDS_CHANGES' | 'REJECTED';

/** Who decided a round: the reviewer agent, the policy gate, or the user. */
export type ReviewerKind = 'agent' | 'human' | 'policy';

export type HumanDecisionKind = 'approve' | 'override' | 'request_changes' | 'reject';

/** One review round of one task, persisted in `.swarm/tasks/<id>/state.json`. */
export interface ReviewRound {
  round: number;
  /** The exact commit that was reviewed (and that an approval merges). */
  sha: string;
  /** That commit's tree when it was reviewed: the merge queue merges only this content. */
  tree?: string;
  base: string;
  /** Base commit the diff was taken against (merge-base at review time). */
  baseSha: string;
  by: ReviewerKind;
  verdict: Verdict | null;
  /** Reviewer's full feedback (markdown; render as text/safe markdown only). */
  feedback: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** For human decisions: which one, and the reason (override) or requested changes text. */
  decision?: HumanDecisionKind;
  reason?: string;
  /** True when the diff given to the reviewer was cut to its budget. */
  diffTruncated?: boolean;
  /** Policy violations found before review (by: 'policy'). */
  violations?: string[];
  /** Human decisions handed over in a decision file: its nonce (a file is applied once). */
  nonce?: string;
  /** HMAC of the round as the engine recorded it (src/swarm/approval.ts); an edited round does not verify. */
  seal?: string;
  /** What the agent sandbox refused in the turns that made this round's commit (src/swarm/sandboxDenials.ts). */
  sandboxDenied?: SandboxDenials;
}

/** The engine's authorization to merge one commit of one task (src/swarm/approval.ts). */
export interface MergeApproval {
  sha: string;
  /** Who approved: the reviewer agent (review.mode "agent"), the user, or no review needed (only task files changed). */
  by: 'reviewer' | 'user' | 'tasks-only';
  decision?: 'approve' | 'override';
  /** The user's reason for an override. */
  reason?: string;
  at: string;
  /** HMAC over the fields above and the task id. */
  seal: string;
}

/** One run of the merge check (src/swarm/mergeCheck.ts) on an exact merge result. */
export interface MergeCheckRecord {
  /** The merge result checked (SWARM_MERGE_SHA). */
  sha: string;
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The tasks whose changes that result holds (a batch, in merge order). */
  batch: string[];
  /** The last lines of its output. */
  tail: string;
  logFile?: string;
  at: string;
}

/** Runtime state of a task, beside the task file: `.swarm/tasks/<id>/state.json`. */
export interface TaskRuntimeState {
  id: string;
  status: TaskStatus;
  workerId?: string;
  harness?: string;
  model?: string;
  branch?: string;
  worktree?: string;
  sessionId?: string;
  runId?: string;
  /** The sha currently under review / awaiting a human decision / being merged. */
  headSha?: string;
  rounds: ReviewRound[];
  /** Feedback the next fix round gets (accumulated across rounds). */
  pendingFeedback?: string;
  /** Merge outcome, when merged or when it failed. */
  mergedCommit?: string;
  conflictFiles?: string[];
  lastError?: string;
  attempts: number;
  /** Where a queued task continues: the agent's turn, or the review of `headSha`. */
  resumeStep?: 'work' | 'review' | 'merge';
  /** The agent process of the turn in progress (killed by recovery if it outlived its run). */
  agent?: { pid: number; pgid: number; procStart?: string };
  /** Log file of the latest agent turn. */
  logFile?: string;
  /** Tokens and cost of every turn of this task, all rounds and its reviewer's turns (src/swarm/budget.ts). */
  usage?: AgentUsage;
  /** The task's budget in USD as it was when claimed (frontmatter max_cost_usd, else limits.task_max_cost_usd). */
  budgetUsd?: number;
  /** The task's title and body when it was claimed: what its reviewer is shown, whatever the worker
   *  writes in the task file meanwhile (issue 12 rule 4). */
  claimed?: { title: string; body: string };
  /** The reviewed head changes no file (the worker said ready with nothing to merge): an approval
   *  completes the task without a merge (issue 12 rule 16). */
  noChange?: boolean;
  /** Conflict fix rounds so far (bounded by review.max_rounds). */
  conflictRounds?: number;
  /** Merge-check failures so far (bounded by review.max_rounds; README, "Merge checks"). */
  checkRounds?: number;
  /** The latest merge check this task's change was part of (its output's tail: the review panel shows it). */
  mergeCheck?: MergeCheckRecord;
  /** An integration round is due: the next fix round first brings the base into the branch (src/swarm/integration.ts). */
  integrate?: { reason: 'conflict' | 'check'; files?: string[]; output?: string };
  /** What the agent sandbox refused in this task's turns since its last review round (src/swarm/sandboxDenials.ts). */
  sandboxDenied?: SandboxDenials;
  /** What lets `headSha` merge: nothing merges without it (src/swarm/approval.ts). */
  approval?: MergeApproval;
  /** The user's answer to the task's question, sealed (approval.ts): the only answer an agent is given. */
  answer?: { question: string; text: string; at: string; seal: string };
  /** The worktree's port range (SWARM_PORT, SWARM_PORT_COUNT), kept across rounds (src/swarm/ports.ts). */
  ports?: PortRange;
  /** Predicted conflicts of the branch (src/swarm/conflicts.ts). Read from conflicts.json beside
   *  state.json, which only the conflict watcher writes; never stored in state.json. */
  predictedConflicts?: ConflictWarning[];
  updatedAt: string;
}

/** "May conflict with <with> in <files>": a live branch against the base or another live branch (src/swarm/conflicts.ts). */
export interface ConflictWarning {
  /** The other task's id, or the base branch's name. */
  with: string;
  kind: 'task' | 'base';
  files: string[];
  /** When it was first predicted. */
  at: string;
}

export type WorkerState = 'idle' | 'claiming' | 'running' | 'reviewing' | 'merging' | 'waiting' | 'paused' | 'stopped';

export interface WorkerInfo {
  id: string;
  role: AgentRole;
  harness: string;
  model?: string;
  state: WorkerState;
  taskId?: string;
  iteration: number;
  iterations: number;
  stoppedReason?: string;
  /** Why a paused or waiting worker waits: "rate limited until 14:05", "run budget reached". */
  waitReason?: string;
  /** Until when it waits (epoch ms), when known: a pool paused after a rate limit. */
  waitUntil?: number;
  /** When the worker entered its state (ISO time): the Workers view shows how long. */
  since?: string;
  /** Paused by the user (SwarmRun.pauseWorker): it takes no new task or turn after its current one. */
  paused?: boolean;
}

export interface WorktreeInfo {
  path: string;
  branch: string;
  head: string;
  taskId?: string;
  workerId?: string;
  status?: TaskStatus;
  /** Commits on the branch that the base does not have. */
  ahead: number;
  /** Files changed against the merge-base with the base (committed and uncommitted). */
  changedFiles: { path: string; status: string }[];
  dirty: boolean;
  /** Not owned by a live run and not tied to a task in `current`. */
  orphaned: boolean;
  diskBytes?: number;
  /** The live worktree's port range (src/swarm/ports.ts). */
  ports?: PortRange;
  /** Predicted conflicts of its branch (src/swarm/conflicts.ts). */
  conflicts?: ConflictWarning[];
}

export interface WorkerMetrics {
  workerId: string;
  merges: number;
  rejections: number;
  errors: number;
  reviewRounds: number;
  wallMs: number;
  usage: AgentUsage;
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  reason?: string;
  workers: WorkerMetrics[];
  merged: string[];
  waitingForHuman: string[];
  blocked: string[];
  failed: string[];
  /** Tasks completed without a merge: their worker changed nothing and a review confirmed none was needed. */
  completedWithoutChange?: string[];
  /** Tokens and cost of every agent turn of the run (workers, reviewers, planners). */
  usage?: AgentUsage;
  /** Tasks whose cost budget is spent (status waiting_budget). */
  waitingForBudget?: string[];
}

/** Everything the engine emits; also the lines of `.swarm/runs/<run-id>/events.jsonl`. */
export type SwarmEvent =
  | {
      type: 'run_started';
      runId: string;
      workers: WorkerInfo[];
      base: string;
      /** Are agents sandboxed (src/swarm/sandbox.ts), and why not. */ sandbox?: { sandboxed: boolean; reason: string };
    }
  | { type: 'run_recovered'; resumed: string[]; returnedToPending: string[]; completed: string[]; killedPids: number[]; orphanedWorktrees: string[] }
  | { type: 'run_finished'; summary: RunSummary }
  | { type: 'run_paused' }
  | { type: 'run_resumed' }
  | { type: 'worker_state'; worker: WorkerInfo }
  | { type: 'worker_stopped'; workerId: string; reason: string }
  | { type: 'task_claimed'; taskId: string; workerId: string; branch: string }
  | { type: 'task_status'; taskId: string; status: TaskStatus; workerId?: string; detail?: string }
  | { type: 'task_quarantined'; file: string; reason: string }
  | { type: 'task_created'; taskId: string; by: string }
  | { type: 'worktree_created'; taskId: string; path: string; branch: string }
  | { type: 'worktree_removed'; path: string; branch: string; archivedRef?: string }
  | { type: 'agent_started'; taskId?: string; workerId: string; role: AgentRole; round: number; pid: number; pgid: number; logFile: string }
  | {
      type: 'agent_finished';
      taskId?: string;
      workerId: string;
      role: AgentRole;
      round: number;
      exitCode: number | null;
      durationMs: number;
      failure?: string;
      failureKind?: string;
      usage?: AgentUsage;
    }
  /** `failed`: blocked because it failed (or was rejected) limits.max_attempts times, not because it asks something. */
  | { type: 'task_blocked'; taskId: string; question: string; failed?: boolean }
  | { type: 'task_answered'; taskId: string; answer: string }
  | { type: 'review_started'; taskId: string; round: number; sha: string }
  | { type: 'review_finished'; taskId: string; round: ReviewRound }
  | { type: 'human_review_requested'; taskId: string; sha: string; agentVerdict: Verdict | null }
  | { type: 'human_decision'; taskId: string; decision: HumanDecisionKind; sha: string; text?: string; applied: boolean; detail?: string }
  | { type: 'merge_started'; taskId: string; sha: string }
  | { type: 'merge_waiting'; taskId: string; reason: string; files: string[] }
  | { type: 'merge_conflict'; taskId: string; files: string[] }
  /** A merge check this task's change was part of finished (README, "Merge checks"). */
  /** The merge check started on the merge of these tasks' changes (a batch), at `sha`. */
  | { type: 'merge_check_started'; taskIds: string[]; sha: string }
  | { type: 'merge_check'; taskId: string; check: MergeCheckRecord }
  /** The swarm brought the base into the task's branch before a fix round (src/swarm/integration.ts). */
  | { type: 'integration_round'; taskId: string; base: string; commit?: string; conflicts: string[]; reason: 'conflict' | 'check' }
  /** Two live branches (or a branch and the base) would conflict in `files` if merged now (src/swarm/conflicts.ts). */
  | { type: 'conflict_predicted'; taskId: string; with: string; kind: 'task' | 'base'; files: string[] }
  | { type: 'task_merged'; taskId: string; sha: string; commit: string }
  | { type: 'task_returned'; taskId: string; reason: string }
  | { type: 'task_failed'; taskId: string; reason: string }
  | { type: 'pool_paused'; pool: string; untilMs: number; reason: string }
  | { type: 'pool_resumed'; pool: string }
  /** A budget (limits.max_cost_usd for the run; max_cost_usd / limits.task_max_cost_usd for a task) is spent: no new turn starts. */
  | { type: 'budget_reached'; scope: 'run' | 'task'; taskId?: string; spentUsd: number; limitUsd: number; reason: string }
  | { type: 'security_violation'; workerId: string; taskId?: string; changes: string[] }
  /** A decision or approval the swarm did not issue (a forged or replayed decision file, an edited state.json) was refused. */
  | { type: 'decision_refused'; taskId?: string; source: string; reason: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type SwarmEventType = SwarmEvent['type'];

/** A journal line: the event plus when it happened. */
export type JournalEntry = SwarmEvent & { ts: string; runId: string };
