// One swarm start: the run's lifecycle (lock, recovery, workers, the end of the run), the worker
// loops (take a task — claims.ts chooses it —, drive it, back off after errors) and the planners. The steps of
// a task's life are in drive.ts (work.ts, review.ts, the merge in flow.ts); pools and back-off in
// pools.ts; one agent turn in turn.ts; recovery in recovery.ts; decisions and waiting merges in
// waitingMerges.ts. Every status change goes through TaskFlow (flow.ts) and the table in status.ts.

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { SwarmRun, StartRunOptions } from './api';
import type { WorkerSpec } from './config';
import { createHarness } from './harness';
import type { AgentUsage, Harness } from './harness/types';
import { Journal, storageFailureReason } from './state';
import { WorktreeChangedError } from './errors';
import { endOfWorkReason } from './tasks';
import { TaskFlow } from './flow';
import { STATUS, TRANSITIONS, IllegalTransition } from './status';
import { branchFor } from './worktrees';
import { setAsideStrayBranch } from './strayBranch';
import type { SwarmEvent, Task, TaskRuntimeState, WorkerInfo, WorkerMetrics, RunSummary } from './types';
import { Signal, sleep, nowIso } from './util';
import { StopWorker, type RunContext, type RunDeps, type TaskOutcome } from './runContext';
import { Pools } from './pools';
import { AgentTurns } from './turn';
import { drive } from './drive';
import { failTask } from './work';
import { markInterrupted, recover } from './recovery';
import { plannerLoop } from './planner';
import { WaitingMerges } from './waitingMerges';
import { agentsOfRepo, killMarkedProcesses } from './procKill';
import { PortAllocator } from './ports';
import { ConflictWatch } from './conflicts';
import { Budget, taskBudgetAtClaim } from './budget';
import { FolderWatch, SAFETY_POLL_MS, WRITE_GRACE_MS, watchRunFolders } from './watch';
import { preflight, problemText } from './preflight';
import { WorkerControl, workerScope } from './workerControl';
import { TaskChooser } from './claims';

export type { RunDeps } from './runContext';
export { capDiff } from './review';

export class Run implements SwarmRun, RunContext {
  readonly runId: string;
  readonly done: Promise<RunSummary>;
  readonly runDir: string;
  readonly wake = new Signal();
  readonly flow: TaskFlow;
  readonly infos = new Map<string, WorkerInfo>();
  readonly metrics = new Map<string, WorkerMetrics>();
  readonly owned = new Set<string>();
  readonly mergeWaiters = new Set<string>();
  readonly summary: RunSummary;
  readonly pools: Pools;
  readonly turns: AgentTurns;
  readonly ports: PortAllocator;
  private readonly conflicts: ConflictWatch;
  /** Which task a worker takes next, and its claim (claims.ts). */
  private readonly chooser: TaskChooser;
  readonly budget: Budget;
  private readonly waiting: WaitingMerges;
  private readonly journal: Journal;
  private readonly abort = new AbortController();
  /** Pause, resume and stop one worker (workerControl.ts). */
  readonly control = new WorkerControl(this);
  /** Workers that stopped on errors or a security violation (not __DONE__ / iterations). */
  private readonly abnormalStops: string[] = [];
  /** Tasks a planner's task_created event was emitted for. */
  private readonly announced = new Set<string>();
  private busy = 0;
  private plannersAlive = 0;
  private pausedFlag = false;
  private budgetStopping = false;
  private stopReason: string | undefined;
  private readonly waitForHumans: boolean;
  /** The task folders and the decision inbox, watched (watch.ts); undefined before the run starts. */
  private folders?: FolderWatch;

  constructor(
    runId: string,
    readonly deps: RunDeps,
    private readonly options: StartRunOptions = {},
  ) {
    this.runId = runId;
    this.runDir = deps.state.runDir(runId);
    this.journal = new Journal(this.runDir, runId, (e, file) => void this.stop(storageFailureReason(e, file))); // a full disk ends the run cleanly (docs/security.md, bad files)
    this.flow = new TaskFlow({ ...deps, runId, emit: (e) => this.emit(e), signal: this.abort.signal });
    this.budget = new Budget(deps.config.limits, (e) => this.emit(e));
    this.pools = new Pools(this, deps.maxConcurrentWorkers);
    this.turns = new AgentTurns(this);
    this.waiting = new WaitingMerges(this);
    this.ports = new PortAllocator(deps.config.worktree, async () =>
      Promise.all((await deps.tasks.list()).current.map(async (t) => ({ id: t.id, ports: (await deps.state.readTask(t.id))?.ports }))),
    );
    this.conflicts = new ConflictWatch({ git: deps.git, base: deps.base, tasks: deps.tasks, state: deps.state, emit: (e) => this.emit(e) });
    this.chooser = new TaskChooser(this, this.conflicts);
    this.waitForHumans = options.waitForHumans ?? true;
    this.summary = { runId, startedAt: nowIso(), workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [], completedWithoutChange: [] };
    this.done = this.main().catch((e) => this.finish(`error: ${(e as Error).message}`));
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  usage(): AgentUsage {
    return this.budget.runUsage;
  }

  workers(): WorkerInfo[] {
    return [...this.infos.values()].map((w) => ({ ...w }));
  }

  pause(): void {
    if (this.pausedFlag) return;
    this.pausedFlag = true;
    this.emit({ type: 'run_paused' });
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.emit({ type: 'run_resumed' });
    this.wake.notify();
  }

  pauseWorker(id: string): boolean {
    return this.control.pause(id);
  }
  resumeWorker(id: string): boolean {
    return this.control.resume(id);
  }
  stopWorker(id: string, reason?: string): boolean {
    return this.control.stop(id, reason);
  }

  async stop(reason = 'stopped'): Promise<RunSummary> {
    if (!this.stopReason) this.stopReason = reason;
    this.abort.abort();
    this.wake.notify();
    return this.done;
  }

  /**
   * The run's budget is spent (pools.ts gate): the run waits, like a paused one, for the user to
   * stop it; a run that is not to wait for people (`swarm run --no-wait`) ends once no turn runs
   * (nothing in flight is cut; tasks left in the middle resume in the next run).
   */
  budgetWait(reason: string): void {
    if (this.waitForHumans || this.budgetStopping) return;
    this.budgetStopping = true;
    void (async () => {
      while (this.turns.running > 0 && !this.signal.aborted) await this.wake.wait(this.deps.config.limits.pollMs, this.signal);
      await this.stop(reason);
    })();
  }

  /** Wake idle workers: a decision, an answer, or a new task may have made work. */
  poke(): void {
    this.wake.notify();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** A human decision while this run is active (workspace.ts routes decide() here). */
  applyDecision(...args: Parameters<WaitingMerges['applyDecision']>): ReturnType<WaitingMerges['applyDecision']> {
    return this.waiting.applyDecision(...args);
  }

  emit(e: SwarmEvent): void {
    this.waiting.observe(e);
    this.conflicts.observe(e);
    this.journal.append(e);
    this.deps.publish(e);
  }

  // --- main ------------------------------------------------------------------------------

  private async main(): Promise<RunSummary> {
    const { state, tasks, worktrees } = this.deps;
    const lock = state.acquireLock(this.runId);
    if (!lock.ok) {
      this.emit({ type: 'log', level: 'error', message: `another swarm (pid ${lock.holder.pid}, run ${lock.holder.runId}) is running on this repository` });
      return this.finish(`another swarm is running (pid ${lock.holder.pid})`, false);
    }
    try {
      // Before any claim (preflight.ts): no task is taken, no worktree made, for a run that cannot work.
      const problems = await preflight({
        root: this.deps.root,
        config: this.deps.config,
        ctx: this.deps.harnessCtx,
        base: this.deps.base,
        git: this.deps.git,
        sandbox: this.deps.harnessCtx.sandbox?.status,
      });
      if (problems.length) {
        for (const p of problems) this.emit({ type: 'log', level: 'error', message: problemText(p) });
        return await this.finish(`error: cannot start: ${problems.map(problemText).join('; ')}`);
      }
      await worktrees.ensureExcluded();
      await tasks.ensureDirs();
      await recover(this);
      const specs = this.deps.config.workers.filter((w) => !this.options.workers || this.options.workers.includes(w.id));
      for (const w of specs) {
        this.infos.set(w.id, { id: w.id, role: w.role, harness: w.harness, model: w.model, state: 'idle', iteration: 0, iterations: w.iterations });
        this.metrics.set(w.id, { workerId: w.id, merges: 0, rejections: 0, errors: 0, reviewRounds: 0, wallMs: 0, usage: {} });
      }
      const sb = this.deps.harnessCtx.sandbox?.status; // whether agents are sandboxed, said at start; a warning when not
      this.emit({
        type: 'run_started',
        runId: this.runId,
        workers: this.workers(),
        base: this.deps.base,
        ...(sb ? { sandbox: { sandboxed: sb.sandboxed, reason: sb.reason } } : {}),
      });
      if (sb && !sb.sandboxed) this.emit({ type: 'log', level: 'warn', message: sb.reason });
      const stopWatching = await this.watchFolders();
      const timers = [setInterval(() => void this.waiting.retry(), Math.max(1000, this.deps.config.limits.pollMs * 4))];
      try {
        this.plannersAlive = specs.filter((s) => s.role === 'planner').length;
        await Promise.all(specs.map((w) => this.workerMain(w)));
        // Workers are done; keep going while merges wait for the user's checkout or, when asked,
        // while tasks wait for a human decision that needs no worker (approve/override merge here).
        while (
          !this.signal.aborted &&
          (this.mergeWaiters.size > 0 ||
            this.owned.size > 0 ||
            (this.waitForHumans && (await this.chooser.humanWaiting()) && !(await this.chooser.onlyFixesLeft())))
        ) {
          await this.wake.wait(this.idleMs(), this.signal);
        }
      } finally {
        for (const t of timers) clearInterval(t);
        stopWatching();
      }
      if (!this.stopReason && this.abnormalStops.length && (await this.chooser.available(true))) {
        // Not a normal end: work is left that no worker could take because they stopped on errors.
        return await this.finish(`error: work is left, but workers stopped: ${this.abnormalStops.join('; ')}`);
      }
      return await this.finish(this.stopReason ?? (await endOfWorkReason(this.deps.tasks))); // tasks that can never start are named
    } finally {
      state.releaseLock(this.runId);
    }
  }

  private async finish(reason: string, tookLock = true): Promise<RunSummary> {
    // A decision or a waiting merge being applied finishes its merge first (a merge is never cut
    // in half, and its task must not be marked interrupted under it); bounded.
    if (tookLock) await this.waiting.settled(30_000); // nothing of this run writes after it ended
    for (let i = 0; tookLock && this.owned.size > 0 && i < 600; i++) await sleep(50);
    if (tookLock) for (const id of this.owned) await markInterrupted(this, id, this.stopReason ?? 'stopped');
    if (tookLock) await killMarkedProcesses(agentsOfRepo(this.deps.tasks.dir, this.runId)); // nothing of this run's agents outlives it (setsid daemons too)
    await this.conflicts.idle(); // its predictions are in the journal before the run's end
    const listing = await this.deps.tasks.list().catch(() => undefined);
    const states = await Promise.all((listing?.current ?? []).map((t) => this.deps.state.readTask(t.id)));
    this.summary.finishedAt = nowIso();
    this.summary.reason = reason;
    this.summary.workers = [...this.metrics.values()];
    this.summary.usage = this.budget.runUsage;
    this.summary.waitingForBudget = states.filter((s) => s && s.status === TRANSITIONS.overBudget.to).map((s) => s!.id);
    this.summary.waitingForHuman = states.filter((s) => s && STATUS[s.status].needsYou === 'review').map((s) => s!.id);
    this.summary.blocked = states.filter((s) => s && STATUS[s.status].needsYou === 'question').map((s) => s!.id);
    for (const w of this.infos.values()) if (w.state !== 'stopped') this.setWorker(w, { state: 'stopped', stoppedReason: reason });
    await fs.writeFile(join(this.runDir, 'summary.json'), `${JSON.stringify(this.summary, null, 2)}\n`).catch(() => undefined);
    this.emit({ type: 'run_finished', summary: this.summary });
    return this.summary;
  }

  /** How long an idle worker waits before it looks again without being woken (watch.ts). */
  private idleMs(): number {
    const poll = this.deps.config.limits.pollMs;
    return this.folders?.healthy ? Math.max(poll, SAFETY_POLL_MS) : poll;
  }

  /** Wake idle workers when a task folder changes; decision files are taken as they land (watch.ts). */
  private async watchFolders(): Promise<() => void> {
    const inbox = join(this.deps.state.dir, 'decisions');
    await fs.mkdir(inbox, { recursive: true });
    const w = watchRunFolders(
      [...(['pending', 'current', 'complete'] as const).map((f) => this.deps.tasks.folder(f))],
      inbox,
      () => void this.waiting.applyDecisionFiles(),
      () => this.wake.notify(),
      () => this.idleMs(),
    );
    this.folders = w.folders;
    return w.close;
  }

  // --- workers -----------------------------------------------------------------------------

  setWorker(w: WorkerInfo, patch: Partial<WorkerInfo>): void {
    // Idle workers poll: only a real change is worth an event (and a journal line).
    if ((Object.keys(patch) as (keyof WorkerInfo)[]).every((k) => w[k] === patch[k])) return;
    if (patch.state && patch.state !== w.state) patch = { waitReason: undefined, waitUntil: undefined, ...patch, since: nowIso() }; // a wait's reason ends with it
    Object.assign(w, patch);
    this.emit({ type: 'worker_state', worker: { ...w } });
  }

  private async workerMain(spec: WorkerSpec): Promise<void> {
    const info = this.infos.get(spec.id)!;
    const started = Date.now();
    try {
      if (spec.role === 'planner') await plannerLoop(workerScope(this, this.control.signalFor(spec.id)), spec, info, this.announced);
      else await this.workerLoop(spec, info);
      if (info.state !== 'stopped')
        this.setWorker(info, { state: 'stopped', stoppedReason: this.signal.aborted ? this.stopReason : (this.control.stoppedBecause(spec.id) ?? 'finished') });
    } catch (e) {
      const reason = e instanceof StopWorker ? e.message : `internal error: ${(e as Error).stack ?? e}`;
      this.setWorker(info, { state: 'stopped', stoppedReason: reason, taskId: undefined });
      this.emit({ type: 'worker_stopped', workerId: spec.id, reason });
      this.abnormalStops.push(`${spec.id}: ${reason}`);
    } finally {
      if (spec.role === 'planner') this.plannersAlive--;
      this.metrics.get(spec.id)!.wallMs = Date.now() - started;
      this.wake.notify();
    }
  }

  private async workerLoop(spec: WorkerSpec, info: WorkerInfo): Promise<void> {
    let taken = 0;
    let consecutiveErrors = 0;
    const signal = this.control.signalFor(spec.id); // aborted when the run stops, or this worker
    while (!signal.aborted) {
      await this.pools.gate(info, undefined);
      if (signal.aborted) break;
      // A waiting worker that looks again stays "waiting" (no event) unless it finds work.
      if (info.state !== 'waiting') this.setWorker(info, { state: 'claiming', taskId: undefined });
      const seen = this.wake.seq; // a wake-up while it looks is not lost
      const { item, young } = await this.chooser.next(spec, taken < spec.iterations);
      if (!item) {
        // Work may have appeared since the chooser looked (an answer, a new task): look again before leaving.
        const available = await this.chooser.available(taken < spec.iterations);
        if (!available && taken >= spec.iterations) break;
        if (!available && !(await this.futureWorkPossible())) break;
        this.setWorker(info, { state: 'waiting' });
        await this.wake.wait(available ? Math.min(50, this.deps.config.limits.pollMs) : young ? WRITE_GRACE_MS : this.idleMs(), signal, seen);
        continue;
      }
      if (item.isNew) {
        taken++;
        this.setWorker(info, { iteration: taken });
      }
      this.busy++;
      await this.pools.acquireSlot();
      let outcome: TaskOutcome;
      try {
        outcome = await this.processTask(spec, info, item.task, item.isNew);
      } finally {
        this.pools.releaseSlot();
        this.busy--;
        this.owned.delete(item.task.id);
        this.wake.notify();
      }
      if (outcome === 'error') {
        consecutiveErrors++;
        if (consecutiveErrors >= this.deps.config.limits.maxConsecutiveErrors)
          throw new StopWorker(`${consecutiveErrors} failed turns in a row (limits.max_consecutive_errors)`);
      } else if (outcome !== 'aborted') consecutiveErrors = 0;
      if (outcome === 'retire' && spec.role === 'worker') {
        this.setWorker(info, { state: 'stopped', stoppedReason: 'the agent said __DONE__' });
        break;
      }
    }
  }

  /** Could work still appear? (another worker is busy, a planner runs, a merge waits, a human may decide) */
  private async futureWorkPossible(): Promise<boolean> {
    // owned: a human decision (or a waiting merge) is being applied right now.
    if (this.busy > 0 || this.plannersAlive > 0 || this.mergeWaiters.size > 0 || this.owned.size > 0) return true;
    if (this.waitForHumans && (await this.chooser.humanWaiting())) return true;
    // An answer or a decision may have turned a waiting task into work since the caller looked.
    return this.chooser.available(false);
  }

  // --- one task ----------------------------------------------------------------------------

  private async processTask(spec: WorkerSpec, info: WorkerInfo, task: Task, isNew: boolean): Promise<TaskOutcome> {
    const { state } = this.deps;
    const prev = await state.readTask(task.id);
    const harnessName = task.agent ?? spec.harness;
    const model = task.model ?? spec.model;
    let st: TaskRuntimeState;
    if (isNew) {
      st = {
        id: task.id,
        status: task.status,
        workerId: spec.id,
        harness: harnessName,
        model,
        branch: task.branch ?? branchFor(spec.id, task.id),
        rounds: prev?.rounds ?? [],
        attempts: prev?.attempts ?? 0,
        runId: this.runId,
        pendingFeedback: task.meta.last_feedback ? String(task.meta.last_feedback) : undefined,
        updatedAt: nowIso(),
      };
      // A branch its state does not record is not continued (strayBranch.ts: another turn could have made it).
      const strayKept =
        prev?.branch === st.branch ? undefined : await setAsideStrayBranch(this.deps.git, this.deps.worktrees.pathFor(task.id), task.id, st.branch!);
      if (strayKept)
        this.emit({
          type: 'log',
          level: 'warn',
          message: `task ${task.id}: branch ${st.branch} existed, not made by the swarm for this task; kept at ${strayKept}, the task starts from the base`,
        });
      st.claimed = { title: task.title, body: task.body }; // the reviewer sees the text as claimed, not as the worker left it
      st.usage = prev?.usage; // a task's cost counts every turn it ever had (budget.ts)
      st.budgetUsd = taskBudgetAtClaim(task, this.deps.config.limits); // as claimed: an agent editing its task file changes nothing
      this.budget.claimed(st);
      // Same harness as before: its session continues the earlier conversation.
      if (prev?.sessionId && prev.harness === harnessName && task.branch) st.sessionId = prev.sessionId;
    } else {
      st = prev ?? { id: task.id, status: task.status, rounds: [], attempts: 0, updatedAt: nowIso() };
      st.claimed ??= { title: task.title, body: task.body }; // a task claimed before snapshots existed
      if (st.budgetUsd === undefined) st.budgetUsd = taskBudgetAtClaim(task, this.deps.config.limits);
      st.branch ??= task.branch ?? branchFor(spec.id, task.id);
      if (st.harness !== harnessName) st.sessionId = undefined;
      st.workerId = spec.id;
      st.harness = harnessName;
      st.model = model;
      st.runId = this.runId;
    }
    this.setWorker(info, { state: 'running', taskId: task.id });
    let harness: Harness;
    try {
      harness = createHarness(harnessName, this.deps.config, this.deps.harnessCtx);
    } catch (e) {
      await this.flow.block(st, `Cannot start harness "${harnessName}": ${(e as Error).message}`);
      return 'error';
    }
    const signal = this.control.signalFor(spec.id); // a stopped worker's task is interrupted like a stopped run's
    const why = (): string => this.stopReason ?? this.control.stoppedBecause(spec.id) ?? 'stopped';
    try {
      const outcome = await drive(workerScope(this, signal), spec, info, task, st, harness, isNew);
      if (outcome === 'aborted') await markInterrupted(this, task.id, why());
      return outcome;
    } catch (e) {
      if (signal.aborted) {
        await markInterrupted(this, task.id, why());
        return 'aborted';
      }
      // A worker that must stop (security violation, missing base) stops; the task keeps the state
      // drive() gave it (e.g. blocked with the findings) instead of going back to pending. An
      // illegal status transition is a bug in the engine: the worker stops and says so.
      if (e instanceof StopWorker || e instanceof IllegalTransition) throw e;
      // The worktree is not the one the swarm made (worktrees.verifyWorktree): nothing was committed; the user is told.
      if (e instanceof WorktreeChangedError) {
        this.emit({ type: 'security_violation', workerId: spec.id, taskId: task.id, changes: e.changes });
        await this.flow.block(st, e.message);
        return 'error';
      }
      const message = (e as Error).message;
      this.emit({ type: 'log', level: 'error', message: `task ${task.id}: ${message}` });
      return failTask(this, spec, task, st, { kind: 'crash', message });
    }
  }
}
