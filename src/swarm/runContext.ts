// What the parts of a run share (docs/architecture.md, "A run"): the Run class in run.ts holds it;
// the step modules (drive.ts, work.ts, review.ts), the planner, recovery, pools and waiting merges
// read it; and the shape of a step of a task's life (drive.ts). Types, the StopWorker signal and
// the three constructors of a step's result.

import type { WorkerSpec } from './config';
import type { FlowContext, TaskFlow } from './flow';
import type { HarnessContext } from './harness/context';
import type { Harness } from './harness/types';
import type { TaskStep } from './status';
import type { SwarmEvent, Task, TaskRuntimeState, WorkerInfo, WorkerMetrics, RunSummary } from './types';
import type { Signal } from './util';
import type { Pools } from './pools';
import type { AgentTurns } from './turn';
import type { PortAllocator } from './ports';
import type { Budget } from './budget';

export interface RunDeps extends Omit<FlowContext, 'runId' | 'emit'> {
  harnessCtx: HarnessContext;
  maxConcurrentWorkers?: number;
  publish(e: SwarmEvent): void;
}

/** Thrown to stop a worker (a security violation, too many errors): not the task's fault. */
export class StopWorker extends Error {}

/** How one task's drive ended for its worker. */
export type TaskOutcome = 'ok' | 'error' | 'retire' | 'aborted';

export interface RunContext {
  readonly runId: string;
  readonly runDir: string;
  readonly deps: RunDeps;
  readonly flow: TaskFlow;
  /** Aborted when the run stops. */
  readonly signal: AbortSignal;
  /** Wakes idle workers: a decision, an answer, a new task may have made work. */
  readonly wake: Signal;
  readonly infos: ReadonlyMap<string, WorkerInfo>;
  readonly metrics: ReadonlyMap<string, WorkerMetrics>;
  readonly summary: RunSummary;
  /** Tasks this run is working on right now (a worker's drive, a decision or a waiting merge being applied). */
  readonly owned: Set<string>;
  /** Tasks whose merge waits for the user's checkout (retried by WaitingMerges). */
  readonly mergeWaiters: Set<string>;
  readonly pools: Pools;
  readonly turns: AgentTurns;
  /** Port ranges of live worktrees (ports.ts). */
  readonly ports: PortAllocator;
  /** Cost so far and the budgets (budget.ts). */
  readonly budget: Budget;
  emit(e: SwarmEvent): void;
  /** End the run (agents killed, state saved), e.g. when its journal or a log cannot be written. */
  stop(reason?: string): Promise<RunSummary>;
  setWorker(w: WorkerInfo, patch: Partial<WorkerInfo>): void;
}

/** One task being driven by one worker. */
export interface TaskDrive {
  readonly spec: WorkerSpec;
  readonly info: WorkerInfo;
  readonly task: Task;
  readonly st: TaskRuntimeState;
  readonly harness: Harness;
  /** The task's worktree. */
  readonly worktree: string;
  /** The base branch's head when the drive started. */
  readonly baseSha: string;
  /** The back-off pool of the task's harness and model (pools.ts). */
  readonly pool: string;
  readonly metrics: WorkerMetrics;
  /** The worker said __DONE__: it retires once this task is settled. */
  retire: boolean;
}

/** What a step says: go on with another step, or the drive ends with an outcome. */
export type StepResult = { next: TaskStep } | { end: TaskOutcome };
export type Step = (ctx: RunContext, d: TaskDrive) => Promise<StepResult>;

export const next = (step: TaskStep): StepResult => ({ next: step });
export const end = (outcome: TaskOutcome): StepResult => ({ end: outcome });
/** The task is settled for now (merged, waiting for the user, back in pending): the worker takes the next one, or retires. */
export const settled = (d: TaskDrive): StepResult => end(d.retire ? 'retire' : 'ok');
