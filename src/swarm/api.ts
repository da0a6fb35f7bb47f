// The engine's public surface: what the extension (src/extension) and the CLI (src/cli) call.
// Both are thin front ends on this; nothing else reaches into the engine's modules.
//
//   const ws = await openWorkspace({ repo });          // throws ConfigError with one issue per bad field
//   ws.onEvent((e) => ...);                             // typed SwarmEvent stream (runs + decisions)
//   const run = ws.startRun();                          // one swarm start; run.done resolves at its end
//   await ws.decide({ taskId, kind: 'approve', sha });  // human review decision tied to a sha
//   await run.stop();                                   // kills agents by process group, journals state

import type { SandboxStatus } from './sandbox';
import type { AgentUsage } from './harness/types';
import type { SwarmEvent, Task, QuarantinedTask, TaskRuntimeState, WorktreeInfo, WorkerInfo, RunSummary, HumanDecisionKind, ReviewRound } from './types';
import type { ResolvedConfig } from './config';
import type { Approvability } from './approval';
import type { PreflightProblem } from './preflight';

export type { PreflightProblem } from './preflight';

export type { Approvability } from './approval';

export interface OpenWorkspaceOptions {
  /** Any folder inside the repository; the repo root is found with git. */
  repo: string;
  /** swarm.json / oompa.json path (absolute or relative to the repo root). Default: swarm.json, else oompa.json. */
  configPath?: string;
  /** Executable paths per harness (VS Code settings `swarm.cli.<harness>`), e.g. { claude: '/opt/claude' }. */
  cliPaths?: Record<string, string>;
  /** PATH to give agent processes (the login shell's PATH when VS Code started from a GUI). */
  agentPath?: string;
  /** Override the review mode of the config (VS Code setting / CLI flag). */
  reviewMode?: ReviewMode;
  /** Cap on concurrently running workers (VS Code setting `swarm.maxConcurrentWorkers`). */
  maxConcurrentWorkers?: number;
  /** Absolute path of the demo agent script (dist/demo-agent.js). Default: beside the running bundle. */
  demoAgentPath?: string;
  /** Node executable to run the demo agent and other node scripts. Default: process.execPath. */
  nodePath?: string;
}

export type ReviewMode = 'agent' | 'human' | 'agent+human';

export interface StartRunOptions {
  /** Keep running while tasks wait for a human decision or an answer (default true). */
  waitForHumans?: boolean;
  /** Only start these workers (ids as in WorkerInfo.id, e.g. "w1"); default all. */
  workers?: string[];
  /** The run's id when the caller made it (the extension's engine process, src/extension/engineChild.ts); default a new one. */
  runId?: string;
}

export interface SwarmRun {
  readonly runId: string;
  /** Resolves when the run has ended (no work left, or stopped); never rejects. */
  readonly done: Promise<RunSummary>;
  workers(): WorkerInfo[];
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** Stop: kill every agent's process group, journal state; tasks are resumed by the next run. */
  stop(reason?: string): Promise<RunSummary>;
  /** Tokens and cost of the run's agent turns so far (src/swarm/cost.ts). */
  usage?(): AgentUsage;
  /**
   * One worker (src/swarm/workerControl.ts): pause — it finishes its current turn, then takes no
   * new task or turn (state "paused", WorkerInfo.paused); resume; stop — its turn is ended like a
   * run stop, for it only: its task is interrupted and resumed by another worker or the next run.
   * False when there was nothing to do; throws for an unknown worker id.
   */
  pauseWorker?(workerId: string): boolean;
  resumeWorker?(workerId: string): boolean;
  stopWorker?(workerId: string, reason?: string): boolean;
}

export interface TaskList {
  pending: Task[];
  current: Task[];
  complete: Task[];
  quarantined: QuarantinedTask[];
}

export interface DecisionRequest {
  taskId: string;
  kind: HumanDecisionKind;
  /** The sha the user was shown. If the task's head moved since, the decision is refused. */
  sha: string;
  /** Required for override (reason) and request_changes (what to change); optional for reject. */
  text?: string;
  by?: string;
}

export type DecisionResult =
  | { ok: true; applied: 'merged'; commit: string }
  | { ok: true; applied: 'queued'; detail: string } // a running swarm (maybe in another process) will act on it
  | { ok: true; applied: 'fix_requested' | 'returned_to_pending' | 'rejected' | 'completed_without_change' }
  | { ok: false; reason: 'stale_sha'; currentSha: string }
  | { ok: false; reason: 'not_awaiting' | 'not_found' | 'invalid'; detail: string }
  /** A plain approve of a change the reviewer did not approve: only Override (with a reason) merges it. */
  | { ok: false; reason: 'needs_override'; detail: string }
  | { ok: false; reason: 'conflict'; files: string[] }
  | { ok: false; reason: 'waiting_local_changes'; files: string[] }
  | { ok: false; reason: 'waiting_base'; detail: string };

export type AcceptBaseResult = { ok: true; sha: string; resumed: string[]; merged: string[] } | { ok: false; detail: string };

/** Everything the review panel shows for one task. */
export interface ReviewDetails {
  task: Task;
  state: TaskRuntimeState | undefined;
  base: string;
  /** The sha on screen (state.headSha or the branch tip). */
  sha: string | undefined;
  /** Merge-base of base and sha. */
  baseSha: string | undefined;
  /** Full unified diff `base...sha` (never truncated here; the panel decides how to show it). */
  diff: string;
  rounds: ReviewRound[];
  /** True when the user can decide now (awaiting_human, or any round with an agent verdict). */
  canDecide: boolean;
  /** May a plain Approve merge `sha`? (the engine's rule, approval.ts; else only Override). */
  approvable: Approvability;
  /**
   * A fix round: `git diff <fromSha> <sha>`, what changed since the last round that reviewed
   * another commit (`fromRound`). Absent when no earlier round reviewed another commit.
   */
  interdiff?: { fromSha: string; fromRound: number; diff: string };
  /** Blocked because it failed `limits.max_attempts` times (status.ts hasFailed): not a question. */
  failed?: boolean;
}

export interface NeedsYouItem {
  kind: 'review' | 'question' | 'local_changes' | 'base' | 'failed';
  taskId: string;
  title: string;
  /** The sha to decide on (reviews). */
  sha?: string;
  question?: string;
  since: string;
  /** Reviews: may a plain Approve merge `sha`? (approval.ts; else Override…) */
  approvable?: Approvability;
}

export interface CleanupAction {
  worktree?: string;
  branch?: string;
  action: 'remove' | 'archive_and_remove' | 'keep';
  reason: string;
  archivedRef?: string;
  diskBytes?: number;
}

export interface CleanupReport {
  dryRun: boolean;
  actions: CleanupAction[];
  freedBytes: number;
}

export interface NewTaskInput {
  title: string;
  body?: string;
  id?: string;
  priority?: number;
  dependsOn?: string[];
}

export interface Workspace {
  readonly root: string;
  readonly config: ResolvedConfig;
  /** The branch approved changes merge into. */
  readonly base: string;
  /** Subscribe to every event of this workspace (runs and decisions). Returns the unsubscribe. */
  onEvent(listener: (e: SwarmEvent) => void): () => void;
  /** Do agents run in the sandbox (src/swarm/sandbox.ts), and if not, why (status bar, `swarm status`). */
  readonly sandbox?: SandboxStatus;
  /** The run started from this workspace object, if one is going. */
  readonly activeRun: SwarmRun | undefined;
  /** Is a swarm running on this repo, in this or another process (run lock held by a live pid)? */
  runningElsewhere(): Promise<{ pid: number; runId: string } | undefined>;
  /** Everything that would stop a start, checked before any claim (src/swarm/preflight.ts); empty = go. */
  preflight(): Promise<PreflightProblem[]>;
  startRun(options?: StartRunOptions): SwarmRun;

  listTasks(): Promise<TaskList>;
  taskState(taskId: string): Promise<TaskRuntimeState | undefined>;
  createTask(input: NewTaskInput): Promise<Task>;
  /** A quarantined task file the user fixed goes back to pending (quarantine.ts); refused, file untouched, while it still cannot be read. */
  restoreQuarantined(file: string): Promise<Task>;
  answer(taskId: string, text: string): Promise<void>;
  /** Move a task (current, blocked, failed) back to pending; its branch is kept for the next worker. */
  retry(taskId: string): Promise<void>;
  needsYou(): Promise<NeedsYouItem[]>;

  reviewDetails(taskId: string): Promise<ReviewDetails>;
  decide(req: DecisionRequest): Promise<DecisionResult>;
  /**
   * The user accepts the base branch as it is now, after it moved outside the swarm (issue 12 rule
   * 2). `sha`: the base commit the user looked at (refused when the base moved again). Reviews held
   * for it go on; merges waiting for it are retried (here when no swarm runs).
   */
  acceptBase(sha?: string): Promise<AcceptBaseResult>;
  /** File content at a revision (for native diff editors); undefined when absent there. */
  showFile(rev: string, path: string): Promise<string | undefined>;

  listWorktrees(): Promise<WorktreeInfo[]>;
  cleanup(options: { dryRun: boolean; worktree?: string }): Promise<CleanupReport>;
  /** Log file of the latest agent turn of a task (or worker), if any. */
  agentLog(taskId: string): Promise<string | undefined>;
  /** Directory of the latest run's journal. */
  latestRunDir(): Promise<string | undefined>;
  dispose(): void;
}
