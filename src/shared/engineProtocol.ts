// The messages between the extension host and the swarm engine running in a child process
// (setting `swarm.engineProcess`: "child", docs/architecture.md "The engine process"). The host
// forks dist/engine-child.js with an IPC channel (src/engineChild/serve.ts is the child's half,
// src/extension/engineChild.ts the host's). Each side checks every message it receives with the
// guards below and drops what does not match (the child's messages carry data that agents wrote:
// task ids, questions, log lines; an agent cannot reach the channel, but nothing is trusted).
// Type-only imports from the engine: this module is loaded by both halves.

import type { DecisionRequest, DecisionResult, OpenWorkspaceOptions, ReviewMode, StartRunOptions } from '../swarm/api';
import type { AgentUsage } from '../swarm/harness/types';
import type { RunSummary, SwarmEvent, SwarmEventType, WorkerInfo, WorkerState, WorktreeInfo } from '../swarm/types';
import { RUN_ID_RE } from '../swarm/util';
import {
  DECISION_KINDS,
  PROTOCOL_LIMITS,
  hasOnlyKeys,
  isArrayOf,
  isCount,
  isOneOf,
  isRecord,
  isSha,
  isStr,
  isTaskId,
  optional,
  type Guard,
} from './protocolGuards';
import { isActionOutcome } from './reviewViewModel';

export const ENGINE_PROTOCOL_LIMITS = {
  /** Paths, PATH, reasons: one string field. */
  text: 64 * 1024,
  /** Any string inside an event (a log line, a question, a review's feedback). */
  eventText: 1024 * 1024,
  /** Nesting of an event's data, and items in one of its arrays. */
  depth: 12,
  items: 100_000,
  workers: 1_000,
} as const;

/** What the child needs to open the workspace and start the run, as the host would have. */
export interface EngineStart {
  workspace: Pick<
    OpenWorkspaceOptions,
    'repo' | 'configPath' | 'cliPaths' | 'agentPath' | 'reviewMode' | 'maxConcurrentWorkers' | 'demoAgentPath' | 'nodePath'
  >;
  run: Pick<StartRunOptions, 'waitForHumans' | 'workers'> & { runId: string };
}

/**
 * The environment of the engine process. Under Electron (desktop VS Code) ELECTRON_RUN_AS_NODE makes
 * the host's binary a plain node; when the host did not have it, a mark says so and the child drops
 * both at its start (restoreHostEnv): agents and git get the host's environment, as in the host.
 */
export const ENGINE_ENV_MARK = 'SWARM_ENGINE_ADDED_ELECTRON_RUN_AS_NODE';
export function engineChildEnv(env: NodeJS.ProcessEnv, electron: boolean): NodeJS.ProcessEnv {
  if (!electron || env.ELECTRON_RUN_AS_NODE) return env;
  return { ...env, ELECTRON_RUN_AS_NODE: '1', [ENGINE_ENV_MARK]: '1' };
}
export function restoreHostEnv(env: NodeJS.ProcessEnv): void {
  if (env[ENGINE_ENV_MARK] === '1') delete env.ELECTRON_RUN_AS_NODE;
  delete env[ENGINE_ENV_MARK];
}

export type WorkerOp = 'pause' | 'resume' | 'stop';

/** Host → child. */
export type HostToEngine =
  | { t: 'start'; start: EngineStart }
  | { t: 'pause' }
  | { t: 'resume' }
  | { t: 'stop'; reason?: string }
  | { t: 'worker'; id: number; op: WorkerOp; workerId: string; reason?: string }
  /** Workspace.retry in the child (the run's process owns the task files: the host's workspace refuses while a run in another process holds the lock). */
  | { t: 'retry'; id: number; taskId: string }
  /** Workspace.decide in the child: the run there applies it at once and says how (merged, conflict…), as in the host. */
  | { t: 'decide'; id: number; request: DecisionRequest }
  /** Workspace.listWorktrees in the child: its git commands are started there, not from the host (docs/decisions.md). */
  | { t: 'worktrees'; id: number };

/** Child → host. */
export type EngineToHost =
  /** The run started (its lock taken, recovery under way); `workers` as run.workers(). */
  | { t: 'started'; runId: string; workers: WorkerInfo[] }
  /** The workspace could not be opened or the run not started (a config error, the lock held). */
  | { t: 'failed'; error: string }
  | { t: 'event'; event: SwarmEvent }
  /** The run's state the host shows between events: paused, workers, usage so far. */
  | { t: 'state'; paused: boolean; workers: WorkerInfo[]; usage?: AgentUsage }
  /** The answer to a `worker` or `retry` request (same id): its boolean, or the error it threw. */
  | { t: 'reply'; id: number; value?: boolean; error?: string }
  /** The answer to a `worktrees` request. */
  | { t: 'worktrees'; id: number; worktrees: WorktreeInfo[] }
  /** The answer to a `decide` request (a throw: a `reply` with its error). */
  | { t: 'decided'; id: number; result: DecisionResult }
  | { t: 'done'; summary: RunSummary };

const isText = (v: unknown): v is string => isStr(v, ENGINE_PROTOCOL_LIMITS.text);
const isNonEmptyText = (v: unknown): v is string => isStr(v, ENGINE_PROTOCOL_LIMITS.text, 1) && !v.includes('\u0000');
const isWorkerId = (v: unknown): v is string => isStr(v, 200, 1) && /^[A-Za-z0-9._-]+$/.test(v);
const isRunId = (v: unknown): v is string => typeof v === 'string' && RUN_ID_RE.test(v);
const REVIEW_MODES: readonly ReviewMode[] = ['agent', 'human', 'agent+human'];
const WORKER_OPS: readonly WorkerOp[] = ['pause', 'resume', 'stop'];
/** Every worker state (types.ts WorkerState); the compiler keeps it complete, as EVENT_TYPES below. */
const WORKER_STATE_SET: Record<WorkerState, true> = {
  idle: true,
  claiming: true,
  running: true,
  reviewing: true,
  merging: true,
  waiting: true,
  paused: true,
  stopped: true,
};
const WORKER_STATES = Object.keys(WORKER_STATE_SET) as WorkerState[];

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.keys(v).length <= 100 && Object.entries(v).every(([k, x]) => isWorkerId(k) && isNonEmptyText(x));
}

const isEngineStart: Guard<EngineStart> = (v): v is EngineStart => {
  if (!isRecord(v) || !hasOnlyKeys(v, ['workspace', 'run']) || !isRecord(v.workspace) || !isRecord(v.run)) return false;
  const w = v.workspace;
  const r = v.run;
  return (
    hasOnlyKeys(w, ['repo', 'configPath', 'cliPaths', 'agentPath', 'reviewMode', 'maxConcurrentWorkers', 'demoAgentPath', 'nodePath']) &&
    isNonEmptyText(w.repo) &&
    optional(w.configPath, isNonEmptyText) &&
    optional(w.cliPaths, isStringMap) &&
    optional(w.agentPath, isText) &&
    optional(w.reviewMode, isOneOf(REVIEW_MODES)) &&
    optional(w.maxConcurrentWorkers, (x): x is number => isCount(x) && x > 0) &&
    optional(w.demoAgentPath, isNonEmptyText) &&
    optional(w.nodePath, isNonEmptyText) &&
    hasOnlyKeys(r, ['waitForHumans', 'workers', 'runId']) &&
    isRunId(r.runId) &&
    optional(r.waitForHumans, (x): x is boolean => typeof x === 'boolean') &&
    optional(r.workers, (x): x is string[] => isArrayOf(x, isWorkerId, ENGINE_PROTOCOL_LIMITS.workers))
  );
};

const isDecisionRequest = (v: unknown): v is DecisionRequest =>
  isRecord(v) &&
  hasOnlyKeys(v, ['taskId', 'kind', 'sha', 'text', 'by']) &&
  isTaskId(v.taskId) &&
  isOneOf(DECISION_KINDS)(v.kind) &&
  isSha(v.sha) &&
  optional(v.text, (x): x is string => isStr(x, PROTOCOL_LIMITS.decisionText)) &&
  optional(v.by, (x): x is string => isStr(x, 100, 1));

/** A message the child accepts from the host, or undefined. */
export function parseHostMessage(m: unknown): HostToEngine | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.t) {
    case 'start':
      return hasOnlyKeys(m, ['t', 'start']) && isEngineStart(m.start) ? (m as HostToEngine) : undefined;
    case 'pause':
    case 'resume':
      return hasOnlyKeys(m, ['t']) ? (m as HostToEngine) : undefined;
    case 'stop':
      return hasOnlyKeys(m, ['t', 'reason']) && optional(m.reason, isText) ? (m as HostToEngine) : undefined;
    case 'worker':
      return hasOnlyKeys(m, ['t', 'id', 'op', 'workerId', 'reason']) &&
        isCount(m.id) &&
        isOneOf(WORKER_OPS)(m.op) &&
        isWorkerId(m.workerId) &&
        optional(m.reason, isText)
        ? (m as HostToEngine)
        : undefined;
    case 'worktrees':
      return hasOnlyKeys(m, ['t', 'id']) && isCount(m.id) ? (m as HostToEngine) : undefined;
    case 'retry':
      return hasOnlyKeys(m, ['t', 'id', 'taskId']) && isCount(m.id) && isTaskId(m.taskId) ? (m as HostToEngine) : undefined;
    case 'decide':
      return hasOnlyKeys(m, ['t', 'id', 'request']) && isCount(m.id) && isDecisionRequest(m.request) ? (m as HostToEngine) : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The child's messages

/** Every event type the engine emits (types.ts SwarmEvent); the compiler keeps it complete. */
const EVENT_TYPES: Record<SwarmEventType, true> = {
  run_started: true,
  run_recovered: true,
  run_finished: true,
  run_paused: true,
  run_resumed: true,
  worker_state: true,
  worker_stopped: true,
  task_claimed: true,
  task_status: true,
  task_quarantined: true,
  task_created: true,
  worktree_created: true,
  worktree_removed: true,
  agent_started: true,
  agent_finished: true,
  task_blocked: true,
  task_answered: true,
  review_started: true,
  review_finished: true,
  human_review_requested: true,
  human_decision: true,
  merge_started: true,
  merge_waiting: true,
  merge_conflict: true,
  merge_check_started: true,
  merge_check: true,
  integration_round: true,
  conflict_predicted: true,
  task_merged: true,
  task_returned: true,
  task_failed: true,
  pool_paused: true,
  pool_resumed: true,
  budget_reached: true,
  security_violation: true,
  decision_refused: true,
  log: true,
};

/** Plain JSON data, bounded in depth, array length and string length. */
function isPlainData(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return v.length <= ENGINE_PROTOCOL_LIMITS.eventText;
  if (depth <= 0) return false;
  if (Array.isArray(v)) return v.length <= ENGINE_PROTOCOL_LIMITS.items && v.every((x) => isPlainData(x, depth - 1));
  if (!isRecord(v)) return false;
  const keys = Object.keys(v);
  return keys.length <= 1000 && keys.every((k) => k !== '__proto__' && isPlainData(v[k], depth - 1));
}

export const isWorkerInfo: Guard<WorkerInfo> = (v): v is WorkerInfo =>
  isRecord(v) &&
  isPlainData(v, 2) &&
  isWorkerId(v.id) &&
  isStr(v.role, 100, 1) &&
  isStr(v.harness, 200, 1) &&
  isOneOf(WORKER_STATES)(v.state) &&
  optional(v.taskId, isTaskId) &&
  isCount(v.iteration) &&
  isCount(v.iterations);

const isWorkers = (v: unknown): v is WorkerInfo[] => isArrayOf(v, isWorkerInfo, ENGINE_PROTOCOL_LIMITS.workers);
const isTaskIds = (v: unknown): v is string[] => isArrayOf(v, isTaskId, ENGINE_PROTOCOL_LIMITS.items);

export const isRunSummary: Guard<RunSummary> = (v): v is RunSummary =>
  isRecord(v) &&
  isPlainData(v, ENGINE_PROTOCOL_LIMITS.depth) &&
  isRunId(v.runId) &&
  isStr(v.startedAt, 100, 1) &&
  Array.isArray(v.workers) &&
  isTaskIds(v.merged) &&
  isTaskIds(v.waitingForHuman) &&
  isTaskIds(v.blocked) &&
  isTaskIds(v.failed) &&
  optional(v.reason, isText);

/**
 * An event as the engine emits it: a known type, plain data, and the fields the views key on
 * well-formed (a task id is a task id, a worker a worker): the views and notifications use them
 * as they use the in-process events.
 */
export const isSwarmEvent: Guard<SwarmEvent> = (v): v is SwarmEvent => {
  if (!isRecord(v) || typeof v.type !== 'string' || !Object.prototype.hasOwnProperty.call(EVENT_TYPES, v.type)) return false;
  if (!isPlainData(v, ENGINE_PROTOCOL_LIMITS.depth)) return false;
  if ('taskId' in v && !optional(v.taskId, isTaskId)) return false;
  if ('workerId' in v && !optional(v.workerId, isWorkerId)) return false;
  switch (v.type) {
    case 'run_started':
      return isRunId(v.runId) && isWorkers(v.workers) && isStr(v.base, 1000);
    case 'run_finished':
      return isRunSummary(v.summary);
    case 'worker_state':
      return isWorkerInfo(v.worker);
    case 'agent_started':
      return isStr(v.logFile, ENGINE_PROTOCOL_LIMITS.text, 1) && isCount(v.pid) && isCount(v.round);
    case 'log':
      return isOneOf(['info', 'warn', 'error'] as const)(v.level) && typeof v.message === 'string';
    default:
      return true;
  }
};

const isChangedFile = (v: unknown): v is { path: string; status: string } => isRecord(v) && isStr(v.path, ENGINE_PROTOCOL_LIMITS.text) && isStr(v.status, 10);

export const isWorktreeInfo: Guard<WorktreeInfo> = (v): v is WorktreeInfo =>
  isRecord(v) &&
  isPlainData(v, 6) &&
  isNonEmptyText(v.path) &&
  isStr(v.branch, 1000, 1) &&
  isStr(v.head, 100) &&
  optional(v.taskId, isTaskId) &&
  optional(v.workerId, isWorkerId) &&
  isCount(v.ahead) &&
  isArrayOf(v.changedFiles, isChangedFile, ENGINE_PROTOCOL_LIMITS.items) &&
  typeof v.dirty === 'boolean' &&
  typeof v.orphaned === 'boolean';

const isUsage = (v: unknown): v is AgentUsage =>
  isRecord(v) &&
  isPlainData(v, 3) &&
  Object.values(v).every((x) => x === undefined || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string');

/** The engine's DecisionResult, as the review panel's guard checks it (without the panel's own 'error' and 'busy'). */
const isDecisionResult = (v: unknown): v is DecisionResult => isActionOutcome(v) && (v.ok || (v.reason !== 'error' && v.reason !== 'busy'));

/** A message the host accepts from the child, or undefined. */
export function parseEngineMessage(m: unknown): EngineToHost | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.t) {
    case 'started':
      return hasOnlyKeys(m, ['t', 'runId', 'workers']) && isRunId(m.runId) && isWorkers(m.workers) ? (m as EngineToHost) : undefined;
    case 'failed':
      return hasOnlyKeys(m, ['t', 'error']) && isText(m.error) ? (m as EngineToHost) : undefined;
    case 'event':
      return hasOnlyKeys(m, ['t', 'event']) && isSwarmEvent(m.event) ? (m as EngineToHost) : undefined;
    case 'state':
      return hasOnlyKeys(m, ['t', 'paused', 'workers', 'usage']) && typeof m.paused === 'boolean' && isWorkers(m.workers) && optional(m.usage, isUsage)
        ? (m as EngineToHost)
        : undefined;
    case 'reply':
      return hasOnlyKeys(m, ['t', 'id', 'value', 'error']) &&
        isCount(m.id) &&
        optional(m.value, (x): x is boolean => typeof x === 'boolean') &&
        optional(m.error, isText)
        ? (m as EngineToHost)
        : undefined;
    case 'worktrees':
      return hasOnlyKeys(m, ['t', 'id', 'worktrees']) && isCount(m.id) && isArrayOf(m.worktrees, isWorktreeInfo, ENGINE_PROTOCOL_LIMITS.workers)
        ? (m as EngineToHost)
        : undefined;
    case 'decided':
      return hasOnlyKeys(m, ['t', 'id', 'result']) && isCount(m.id) && isDecisionResult(m.result) ? (m as EngineToHost) : undefined;
    case 'done':
      return hasOnlyKeys(m, ['t', 'summary']) && isRunSummary(m.summary) ? (m as EngineToHost) : undefined;
    default:
      return undefined;
  }
}
