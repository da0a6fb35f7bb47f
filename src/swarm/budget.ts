// Budgets (README "Cost and budgets"): `limits.max_cost_usd` for a run, `max_cost_usd` in a task's
// frontmatter (else `limits.task_max_cost_usd`) for a task, all its rounds and its reviewer's turns.
// Every agent turn's usage is counted here (turn.ts); before a new turn starts, the pause gate
// (pools.ts) asks for the run and the work and review steps ask for their task. A turn already
// running is never cut: a budget stops the next turn, so at most one turn per worker goes over it.
//
// The counts the checks use live in this process's memory. state.json carries a task's usage too
// (shown by the views, carried across runs), but an agent able to write it (sandbox off) cannot
// buy budget back in a running swarm by lowering it: the count here only grows. The budget of a
// task is read when it is claimed (an agent raising max_cost_usd in its task file afterwards
// changes nothing); to give a waiting task more, raise it and Retry (docs/security.md).
//
// A turn that reports no cost (a `command` harness without a SWARM_USAGE line, a CLI whose output
// was cut) would otherwise be free, and a budget could be evaded for ever with such turns. Where a
// budget applies (the run's, or the task's), it counts as `limits.unpriced_turn_usd` when that is
// set; else no new turn of that run or task starts, with the reason "cost unknown". A turn the
// provider refused (rate limit) or that never started (missing CLI) is not such a turn.

import type { ResolvedConfig } from './config';
import { budgetReached, budgetReason, sumUsage } from './cost';
import type { AgentFailureKind, AgentUsage } from './harness/types';
import type { SwarmEvent, Task, TaskRuntimeState } from './types';

export class Budget {
  private run: AgentUsage = {};
  private readonly tasks = new Map<string, AgentUsage>();
  /** Each task's limit as this run first saw it (a claim resets it: budget raised, then Retry). */
  private readonly taskLimits = new Map<string, number | undefined>();
  private runAnnounced = false;
  /** Why the run's or a task's cost is unknown (an unpriced turn with no estimate configured). */
  private runUnknown: string | undefined;
  private readonly taskUnknown = new Map<string, string>();

  constructor(
    private readonly limits: Pick<ResolvedConfig['limits'], 'maxCostUsd' | 'taskMaxCostUsd' | 'unpricedTurnUsd'>,
    private readonly emit: (e: SwarmEvent) => void,
  ) {}

  /** The run's total so far. */
  get runUsage(): AgentUsage {
    return { ...this.run };
  }

  /** Count one finished turn: the run, and the task's state (all its turns, across runs). */
  count(usage: AgentUsage | undefined, st: TaskRuntimeState | undefined, turn: { harness?: string; failure?: AgentFailureKind } = {}): void {
    usage = this.priced(usage, st, turn);
    if (!usage) return;
    this.run = sumUsage(this.run, usage);
    if (!st) return;
    const before = this.tasks.get(st.id) ?? st.usage; // memory wins: state.json may have been edited meanwhile
    const after = sumUsage(before, usage);
    this.tasks.set(st.id, after);
    st.usage = after;
  }

  /**
   * `usage`, or — for a turn that reported no cost where a budget applies — `usage` at
   * limits.unpriced_turn_usd, or unchanged with the run or task marked "cost unknown".
   */
  private priced(
    usage: AgentUsage | undefined,
    st: TaskRuntimeState | undefined,
    turn: { harness?: string; failure?: AgentFailureKind },
  ): AgentUsage | undefined {
    const cost = usage?.costUsd;
    if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) return usage;
    if (turn.failure === 'rate_limit' || turn.failure === 'missing_cli' || turn.failure === 'aborted') return usage;
    const runBudget = this.limits.maxCostUsd !== undefined;
    const taskBudget = st !== undefined && this.taskLimit(st) !== undefined;
    if (!runBudget && !taskBudget) return usage;
    if (this.limits.unpricedTurnUsd !== undefined) return { ...usage, costUsd: this.limits.unpricedTurnUsd };
    const why = `cost unknown: a turn of "${turn.harness ?? 'an agent'}" reported no cost, so the budget cannot be kept (set limits.unpriced_turn_usd to count such turns at an estimate, or have it print SWARM_USAGE); no new turn starts`;
    if (runBudget) this.runUnknown ??= why;
    if (taskBudget) this.taskUnknown.set(st.id, why);
    return usage;
  }

  private taskLimit(st: TaskRuntimeState): number | undefined {
    if (!this.taskLimits.has(st.id)) this.taskLimits.set(st.id, st.budgetUsd ?? this.limits.taskMaxCostUsd);
    return this.taskLimits.get(st.id) ?? this.limits.taskMaxCostUsd;
  }

  /** What the task has cost, as far as the checks are concerned. */
  taskUsage(st: TaskRuntimeState): AgentUsage | undefined {
    return this.tasks.get(st.id) ?? st.usage;
  }

  /** Why no new turn of the run may start, or undefined. Announced once with a budget_reached event. */
  runReached(): string | undefined {
    const limit = this.limits.maxCostUsd;
    if (!budgetReached(this.run, limit) && !this.runUnknown) return undefined;
    const reason =
      this.runUnknown && !budgetReached(this.run, limit) ? `run budget: ${this.runUnknown}` : budgetReason('run', this.run, limit!, 'limits.max_cost_usd');
    if (!this.runAnnounced) {
      this.runAnnounced = true;
      this.emit({ type: 'budget_reached', scope: 'run', spentUsd: this.run.costUsd ?? 0, limitUsd: limit!, reason });
    }
    return reason;
  }

  /** A worker claimed the task: its budget is the one it was claimed with. */
  claimed(st: TaskRuntimeState): void {
    this.taskLimits.set(st.id, st.budgetUsd);
    this.taskUnknown.delete(st.id); // claimed again (Retry): the user let it go on
  }

  /** Why no new turn of this task may start, or undefined (the caller moves it to waiting_budget and says so). */
  taskReached(st: TaskRuntimeState): { reason: string; spentUsd: number; limitUsd: number } | undefined {
    const limit = this.taskLimit(st);
    const spent = this.taskUsage(st);
    const unknown = this.taskUnknown.get(st.id);
    if (!budgetReached(spent, limit))
      return unknown && limit !== undefined ? { reason: `task budget: ${unknown}`, spentUsd: spent?.costUsd ?? 0, limitUsd: limit } : undefined;
    const setting = limit !== this.limits.taskMaxCostUsd ? 'max_cost_usd in the task file' : 'limits.task_max_cost_usd';
    return { reason: budgetReason('task', spent, limit!, setting), spentUsd: spent?.costUsd ?? 0, limitUsd: limit! };
  }
}

/** The task's budget when a worker claims it: its frontmatter, else the config's default for tasks. */
export function taskBudgetAtClaim(task: Task, limits: Pick<ResolvedConfig['limits'], 'taskMaxCostUsd'>): number | undefined {
  return task.maxCostUsd ?? limits.taskMaxCostUsd;
}
