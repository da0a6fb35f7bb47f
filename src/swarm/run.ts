// One swarm start: worker loops (worker / executor / planner), the agent turn, the review step,
// failure back-off, recovery of an earlier run, and the end of the run. Per-task state changes go
// through TaskFlow (flow.ts).

import { promises as fs, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SwarmRun, StartRunOptions } from './api';
import type { WorkerSpec } from './config';
import { createHarness, harnessTimeoutMs } from './harness';
import type { HarnessContext } from './harness/context';
import type { AgentFailure, AgentRole, AgentTurnResult, Harness } from './harness/types';
import { killProcessGroupAndWait } from './proc';
import { Journal, isSameProcessAlive, processStartTime } from './state';
import { TaskFlow, accumulatedFeedback, IN_FLIGHT, type FlowContext } from './flow';
import { loadPrompt, fillPrompt } from './prompts';
import { parseWorkerReply, parseVerdict, feedbackOf } from './signals';
import { checkPolicy } from './policy';
import { branchFor, diskUsage } from './worktrees';
import type { SwarmEvent, Task, TaskRuntimeState, WorkerInfo, WorkerMetrics, RunSummary, ReviewRound } from './types';
import { Signal, sleep, nowIso } from './util';
import { diffGitGuard, snapshotGitGuard, type GuardSnapshot } from './guard';
import { WorktreeChangedError } from './errors';
import { baseFingerprint } from './base';

const CONTINUE_STATUSES = new Set(['needs_fix', 'queued', 'interrupted']);

interface PoolState {
  failures: number[];
  pausedUntil: number;
  reason?: string;
}

class StopWorker extends Error {}

export interface RunDeps extends Omit<FlowContext, 'runId' | 'emit'> {
  harnessCtx: HarnessContext;
  maxConcurrentWorkers?: number;
  publish(e: SwarmEvent): void;
}

/** Cut a diff to the reviewer's budget at a line boundary, saying so. */
export function capDiff(diff: string, maxBytes: number): { text: string; truncated: boolean; note: string } {
  const size = Buffer.byteLength(diff);
  if (size <= maxBytes) return { text: diff, truncated: false, note: '' };
  let cut = Buffer.from(diff).subarray(0, maxBytes).toString('utf8');
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')));
  const files = (diff.match(/^diff --git /gm) ?? []).length;
  const shown = (cut.match(/^diff --git /gm) ?? []).length;
  return { text: cut, truncated: true, note: `NOTE: the diff is ${size} bytes in ${files} files; only the first ${Buffer.byteLength(cut)} bytes (${shown} files) are shown below. Judge what you see and say that the rest was not reviewed.` };
}

export class Run implements SwarmRun {
  readonly runId: string;
  readonly done: Promise<RunSummary>;
  readonly runDir: string;
  private readonly journal: Journal;
  private readonly abort = new AbortController();
  private readonly wake = new Signal();
  private readonly flow: TaskFlow;
  private readonly infos = new Map<string, WorkerInfo>();
  private readonly metrics = new Map<string, WorkerMetrics>();
  private readonly pools = new Map<string, PoolState>();
  private readonly owned = new Set<string>();
  private readonly mergeWaiters = new Set<string>();
  /** Workers that stopped on errors or a security violation (not __DONE__ / iterations). */
  private readonly abnormalStops: string[] = [];
  /** Files git named as in the way of each waiting merge (from merge_waiting events). */
  private readonly waitingFiles = new Map<string, string[]>();
  /** Tasks a planner's task_created event was emitted for. */
  private readonly announced = new Set<string>();
  private busy = 0;
  private plannersAlive = 0;
  private slotsFree: number;
  private slotWaiters: (() => void)[] = [];
  private pausedFlag = false;
  private stopReason: string | undefined;
  private summary: RunSummary;
  private promptSeq = 0;
  private readonly waitForHumans: boolean;

  constructor(runId: string, private readonly deps: RunDeps, private readonly options: StartRunOptions = {}) {
    this.runId = runId;
    this.runDir = deps.state.runDir(runId);
    this.journal = new Journal(this.runDir, runId);
    this.flow = new TaskFlow({ ...deps, runId, emit: (e) => this.emit(e) });
    this.slotsFree = deps.maxConcurrentWorkers ?? Number.MAX_SAFE_INTEGER;
    this.waitForHumans = options.waitForHumans ?? true;
    this.summary = { runId, startedAt: nowIso(), workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [] };
    this.done = this.main().catch((e) => this.finish(`error: ${(e as Error).message}`));
  }

  get paused(): boolean {
    return this.pausedFlag;
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

  async stop(reason = 'stopped'): Promise<RunSummary> {
    if (!this.stopReason) this.stopReason = reason;
    this.abort.abort();
    this.wake.notify();
    return this.done;
  }

  /** Wake idle workers: a decision, an answer, or a new task may have made work. */
  poke(): void {
    this.wake.notify();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private emit(e: SwarmEvent): void {
    if (e.type === 'merge_waiting') this.waitingFiles.set(e.taskId, e.files);
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
      if (!(await this.deps.git.revParse(`refs/heads/${this.deps.base}`))) {
        // Before any claim: no task may be taken for a base that cannot receive it.
        const message = `the base branch "${this.deps.base}" does not exist (set "base" in swarm.json, or make a first commit)`;
        this.emit({ type: 'log', level: 'error', message });
        return await this.finish(`error: ${message}`);
      }
      await worktrees.ensureExcluded();
      await tasks.ensureDirs();
      await this.recover();
      const specs = this.deps.config.workers.filter((w) => !this.options.workers || this.options.workers.includes(w.id));
      for (const w of specs) {
        this.infos.set(w.id, { id: w.id, role: w.role, harness: w.harness, model: w.model, state: 'idle', iteration: 0, iterations: w.iterations });
        this.metrics.set(w.id, { workerId: w.id, merges: 0, rejections: 0, errors: 0, reviewRounds: 0, wallMs: 0, usage: {} });
      }
      this.emit({ type: 'run_started', runId: this.runId, workers: this.workers(), base: this.deps.base });
      const timers = [setInterval(() => void this.applyDecisionFiles(), this.deps.config.limits.pollMs), setInterval(() => void this.retryWaitingMerges(), Math.max(1000, this.deps.config.limits.pollMs * 4))];
      try {
        this.plannersAlive = specs.filter((s) => s.role === 'planner').length;
        await Promise.all(specs.map((w) => this.workerMain(w)));
        // Workers are done; keep going while merges wait for the user's checkout or, when asked,
        // while tasks wait for a human decision that needs no worker (approve/override merge here).
        while (!this.signal.aborted && (this.mergeWaiters.size > 0 || this.owned.size > 0 || (this.waitForHumans && (await this.humanWaiting()) && !(await this.onlyFixesLeft())))) {
          await this.wake.wait(this.deps.config.limits.pollMs, this.signal);
        }
      } finally {
        for (const t of timers) clearInterval(t);
      }
      if (!this.stopReason && this.abnormalStops.length && (await this.workAvailable(true))) {
        // Not a normal end: work is left that no worker could take because they stopped on errors.
        return await this.finish(`error: work is left, but workers stopped: ${this.abnormalStops.join('; ')}`);
      }
      return await this.finish(this.stopReason ?? 'no work left');
    } finally {
      state.releaseLock(this.runId);
    }
  }

  /** A task this run was working on when it stopped: the next run resumes it. */
  private async markInterrupted(id: string): Promise<void> {
    const st = await this.deps.state.readTask(id);
    if (st && IN_FLIGHT.has(st.status)) {
      st.agent = undefined;
      // Where the next run continues: a change under review (or approved and merging) is not
      // worked on again; its reviewed commit is reviewed (or merged) again.
      st.resumeStep = st.headSha && st.status === 'reviewing' ? 'review' : st.headSha && st.status === 'merging' ? 'merge' : 'work';
      await this.flow.setStatus(st, 'interrupted', {}, this.stopReason ?? 'stopped').catch(() => undefined);
    }
  }

  private async finish(reason: string, tookLock = true): Promise<RunSummary> {
    // A decision or a waiting merge being applied finishes its merge first (a merge is never cut
    // in half, and its task must not be marked interrupted under it); bounded.
    for (let i = 0; tookLock && this.owned.size > 0 && i < 600; i++) await sleep(50);
    if (tookLock) for (const id of this.owned) await this.markInterrupted(id);
    const listing = await this.deps.tasks.list().catch(() => undefined);
    const states = await Promise.all((listing?.current ?? []).map((t) => this.deps.state.readTask(t.id)));
    this.summary.finishedAt = nowIso();
    this.summary.reason = reason;
    this.summary.workers = [...this.metrics.values()];
    this.summary.waitingForHuman = states.filter((s) => s?.status === 'awaiting_human').map((s) => s!.id);
    this.summary.blocked = states.filter((s) => s?.status === 'blocked').map((s) => s!.id);
    for (const w of this.infos.values()) if (w.state !== 'stopped') this.setWorker(w, { state: 'stopped', stoppedReason: reason });
    await fs.writeFile(join(this.runDir, 'summary.json'), `${JSON.stringify(this.summary, null, 2)}\n`).catch(() => undefined);
    this.emit({ type: 'run_finished', summary: this.summary });
    return this.summary;
  }

  // --- recovery ----------------------------------------------------------------------------

  /**
   * Reconcile what an earlier run left (crash, reload, kill): stray agents are killed; tasks in
   * `current` that were in flight resume when their worktree holds work, else go back to pending;
   * a task whose reviewed sha is already on the base is completed, never merged twice.
   */
  private async recover(): Promise<void> {
    const { tasks, git, worktrees } = this.deps;
    for (const id of await tasks.repairHalfMoves()) {
      this.emit({ type: 'log', level: 'warn', message: `task ${id} had a second name in ${this.deps.config.tasksDir}/current after an interrupted move; the stale name was dropped` });
    }
    const listing = await tasks.list();
    for (const u of listing.unparsable.filter((x) => x.folder !== 'complete')) {
      const target = await tasks.quarantine(u.file, u.reason);
      if (target) this.emit({ type: 'task_quarantined', file: relative(this.deps.root, target), reason: u.reason });
    }
    const report = { resumed: [] as string[], returnedToPending: [] as string[], completed: [] as string[], killedPids: [] as number[], orphanedWorktrees: [] as string[] };
    const baseRef = `refs/heads/${this.deps.base}`;
    for (const task of listing.current) {
      const st = await this.flow.stateOf(task.id);
      if (st.agent && isSameProcessAlive(st.agent.pid, st.agent.procStart)) {
        // Wait for it: a dying agent must not write into the worktree while it is inspected below,
        // and a short run must not exit before the SIGKILL of an agent that ignores SIGTERM.
        await killProcessGroupAndWait(st.agent.pgid, 500);
        report.killedPids.push(st.agent.pid);
      }
      st.agent = undefined;
      st.status = task.status;
      st.branch ??= task.branch;
      st.worktree ??= task.worktree;
      if (st.status === 'waiting_local_changes') this.mergeWaiters.add(task.id);
      if (st.status === 'waiting_base' && st.resumeStep !== 'review') this.mergeWaiters.add(task.id); // issue 12 rules 2, 9
      if (st.status === 'merging' || (st.status === 'interrupted' && st.resumeStep === 'merge')) {
        if (st.headSha && (await git.isAncestor(st.headSha, baseRef))) {
          await this.flow.complete(task, st, await this.deps.merges.findMergeOf(st.headSha), 'merged before a restart');
          report.completed.push(task.id);
        } else {
          this.mergeWaiters.add(task.id);
          report.resumed.push(task.id);
        }
        continue;
      }
      if (!IN_FLIGHT.has(st.status) && st.status !== 'interrupted') continue;
      const wt = st.worktree && existsSync(st.worktree) ? st.worktree : undefined;
      const dirty = wt ? (await git.status(wt)).length > 0 : false;
      const ahead = st.branch && (await git.readBranch(st.branch!)) ? await git.countAhead(baseRef, `refs/heads/${st.branch}`) : 0;
      if (dirty || ahead > 0) {
        const wasReviewing = st.status === 'reviewing' || (st.status === 'interrupted' && st.resumeStep === 'review');
        st.resumeStep = wasReviewing && !dirty && st.headSha ? 'review' : 'work';
        await this.flow.setStatus(st, 'queued', {}, 'resumed after an interrupted run');
        report.resumed.push(task.id);
      } else {
        await this.flow.returnToPending(task, st, 'its run ended before any work was saved', { fresh: false });
        report.returnedToPending.push(task.id);
      }
    }
    const after = await tasks.list();
    // A worktree still belongs to a task in current, or to a pending one that keeps its branch.
    const currentIds = new Set([...after.current.map((t) => t.id), ...after.pending.filter((t) => t.branch).map((t) => t.id)]);
    for (const wt of await git.worktrees()) {
      if (!wt.branch?.startsWith('refs/heads/swarm/') && !wt.path.startsWith(worktrees.dir)) continue;
      const id = wt.path.startsWith(worktrees.dir) ? relative(worktrees.dir, wt.path) : wt.branch!.split('/').pop()!;
      if (!currentIds.has(id)) report.orphanedWorktrees.push(`${wt.path} (${Math.round((await diskUsage(wt.path)) / 1024)} KiB)`);
    }
    if (report.resumed.length || report.returnedToPending.length || report.completed.length || report.killedPids.length || report.orphanedWorktrees.length) {
      this.emit({ type: 'run_recovered', ...report });
    }
  }

  // --- workers -----------------------------------------------------------------------------

  private setWorker(w: WorkerInfo, patch: Partial<WorkerInfo>): void {
    // Idle workers poll: only a real change is worth an event (and a journal line).
    if ((Object.keys(patch) as (keyof WorkerInfo)[]).every((k) => w[k] === patch[k])) return;
    Object.assign(w, patch);
    this.emit({ type: 'worker_state', worker: { ...w } });
  }

  private async workerMain(spec: WorkerSpec): Promise<void> {
    const info = this.infos.get(spec.id)!;
    const started = Date.now();
    try {
      if (spec.role === 'planner') await this.plannerLoop(spec, info);
      else await this.workerLoop(spec, info);
      if (info.state !== 'stopped') this.setWorker(info, { state: 'stopped', stoppedReason: this.signal.aborted ? this.stopReason : 'finished' });
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

  private async acquireSlot(): Promise<void> {
    while (this.slotsFree <= 0) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.slotsFree--;
  }

  private releaseSlot(): void {
    this.slotsFree++;
    this.slotWaiters.shift()?.();
  }

  private async workerLoop(spec: WorkerSpec, info: WorkerInfo): Promise<void> {
    let taken = 0;
    let consecutiveErrors = 0;
    while (!this.signal.aborted) {
      await this.gate(info, undefined);
      if (this.signal.aborted) break;
      this.setWorker(info, { state: 'claiming', taskId: undefined });
      const item = await this.nextItem(spec, taken < spec.iterations);
      if (!item) {
        // Work may have appeared since nextItem looked (an answer, a new task): look again before leaving.
        const available = await this.workAvailable(taken < spec.iterations);
        if (!available && taken >= spec.iterations) break;
        if (!available && !(await this.futureWorkPossible())) break;
        this.setWorker(info, { state: 'waiting' });
        await this.wake.wait(available ? Math.min(50, this.deps.config.limits.pollMs) : this.deps.config.limits.pollMs, this.signal);
        continue;
      }
      if (item.isNew) { taken++; this.setWorker(info, { iteration: taken }); }
      this.busy++;
      await this.acquireSlot();
      let outcome: TaskOutcome;
      try {
        outcome = await this.processTask(spec, info, item.task, item.isNew);
      } finally {
        this.releaseSlot();
        this.busy--;
        this.owned.delete(item.task.id);
        this.wake.notify();
      }
      if (outcome === 'error') {
        consecutiveErrors++;
        if (consecutiveErrors >= this.deps.config.limits.maxConsecutiveErrors) throw new StopWorker(`${consecutiveErrors} failed turns in a row (limits.max_consecutive_errors)`);
      } else if (outcome !== 'aborted') consecutiveErrors = 0;
      if (outcome === 'retire' && spec.role === 'worker') { this.setWorker(info, { state: 'stopped', stoppedReason: 'the agent said __DONE__' }); break; }
    }
  }

  /** Tasks in current that wait for a worker (fix rounds, answered questions, recovered work), then new claims. */
  private async nextItem(spec: WorkerSpec, mayClaim: boolean): Promise<{ task: Task; isNew: boolean } | undefined> {
    const { tasks } = this.deps;
    const listing = await tasks.list();
    for (const u of listing.unparsable.filter((x) => x.folder === 'pending')) {
      const target = await tasks.quarantine(u.file, u.reason);
      if (target) this.emit({ type: 'task_quarantined', file: relative(this.deps.root, target), reason: u.reason });
    }
    const cont = listing.current.filter((t) => CONTINUE_STATUSES.has(t.status) && !this.owned.has(t.id)).sort((a, b) => a.priority - b.priority);
    for (const t of cont) {
      if (this.owned.has(t.id)) continue;
      this.owned.add(t.id);
      return { task: t, isNew: false };
    }
    if (!mayClaim) return undefined;
    const done = new Set(listing.complete.map((t) => t.id));
    for (const t of listing.pending) {
      if (done.has(t.id)) {
        // A new task with the id of a completed one could never move to complete/ (and would
        // inherit the old one's state): set it aside for the user to rename, never run it.
        const target = await tasks.quarantine(t.file, `${t.file.split('/').pop()}: id: a task "${t.id}" is already in ${this.deps.config.tasksDir}/complete; rename this file (a new id) to run it`);
        if (target) this.emit({ type: 'task_quarantined', file: relative(this.deps.root, target), reason: `task id "${t.id}" is already complete` });
        continue;
      }
      if (!t.dependsOn.every((d) => done.has(d))) continue;
      const st = await this.deps.state.readTask(t.id);
      const branch = t.branch ?? st?.branch ?? branchFor(spec.id, t.id);
      const claimed = await tasks.claim(t.id, { status: 'running', claimed_by: spec.id, claimed_at: nowIso(), run_id: this.runId, branch });
      if (!claimed) continue; // another worker won this one
      this.owned.add(t.id);
      this.emit({ type: 'task_claimed', taskId: t.id, workerId: spec.id, branch });
      return { task: claimed, isNew: true };
    }
    return undefined;
  }

  /** Is there a task a worker could take right now (a continuation, or a claimable pending task)? */
  private async workAvailable(mayClaim: boolean): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    if (listing.current.some((t) => CONTINUE_STATUSES.has(t.status) && !this.owned.has(t.id))) return true;
    if (!mayClaim) return false;
    const done = new Set(listing.complete.map((t) => t.id));
    const taken = new Set(listing.current.map((t) => t.id));
    return listing.pending.some((t) => !taken.has(t.id) && !done.has(t.id) && t.dependsOn.every((d) => done.has(d)));
  }

  /** Could work still appear? (another worker is busy, a planner runs, a merge waits, a human may decide) */
  private async futureWorkPossible(): Promise<boolean> {
    // owned: a human decision (or a waiting merge) is being applied right now.
    if (this.busy > 0 || this.plannersAlive > 0 || this.mergeWaiters.size > 0 || this.owned.size > 0) return true;
    if (this.waitForHumans && (await this.humanWaiting())) return true;
    // An answer or a decision may have turned a waiting task into work since the caller looked.
    return this.workAvailable(false);
  }

  private async humanWaiting(): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    return listing.current.some((t) => t.status === 'awaiting_human' || t.status === 'blocked' || t.status === 'waiting_local_changes' || t.status === 'waiting_base'); // waiting_base: issue 12
  }

  /** After the workers retired: only tasks needing a worker (fixes) are left, which nobody can do now. */
  private async onlyFixesLeft(): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    return !listing.current.some((t) => t.status === 'awaiting_human' || t.status === 'waiting_local_changes' || t.status === 'waiting_base'); // waiting_base: issue 12
  }

  /** Wait while the run is paused or the worker's pool is backing off. */
  private async gate(info: WorkerInfo, pool: string | undefined): Promise<void> {
    while (!this.signal.aborted) {
      if (this.pausedFlag) {
        if (info.state !== 'paused') this.setWorker(info, { state: 'paused' });
        await this.wake.wait(1000, this.signal);
        continue;
      }
      const p = pool ? this.pools.get(pool) : undefined;
      if (p && p.pausedUntil > Date.now()) {
        if (info.state !== 'paused') this.setWorker(info, { state: 'paused' });
        await sleep(Math.min(1000, p.pausedUntil - Date.now()), this.signal);
        if (p.pausedUntil <= Date.now()) {
          p.pausedUntil = 0;
          p.failures = [];
          this.emit({ type: 'pool_resumed', pool: pool! });
        }
        continue;
      }
      return;
    }
  }

  private poolKey(harness: string, model: string | undefined): string {
    return model ? `${harness}:${model}` : harness;
  }

  /** Count a failure against the pool; rate limits and bursts of failures pause it. */
  private recordPoolFailure(pool: string, failure: AgentFailure): void {
    const lim = this.deps.config.limits;
    const p = this.pools.get(pool) ?? { failures: [], pausedUntil: 0 };
    this.pools.set(pool, p);
    const now = Date.now();
    p.failures = p.failures.filter((t) => now - t < lim.backoffWindowMs);
    p.failures.push(now);
    let pauseMs = 0;
    let reason = '';
    if (failure.kind === 'rate_limit') { pauseMs = failure.retryAfterMs ?? lim.rateLimitPauseMs; reason = `rate limited: ${failure.message}`; }
    if (p.failures.length >= lim.backoffFailures) { pauseMs = Math.max(pauseMs, lim.backoffPauseMs); reason = `${p.failures.length} failures within ${lim.backoffWindowMs / 1000} s (last: ${failure.message})`; }
    if (pauseMs > 0 && p.pausedUntil < now + pauseMs) {
      p.pausedUntil = now + pauseMs;
      p.reason = reason;
      this.emit({ type: 'pool_paused', pool, untilMs: p.pausedUntil, reason });
    }
  }

  // --- one task ----------------------------------------------------------------------------

  private async processTask(spec: WorkerSpec, info: WorkerInfo, task: Task, isNew: boolean): Promise<TaskOutcome> {
    const { state } = this.deps;
    const prev = await state.readTask(task.id);
    const harnessName = task.agent ?? spec.harness;
    const model = task.model ?? spec.model;
    let st: TaskRuntimeState;
    if (isNew) {
      st = { id: task.id, status: 'running', workerId: spec.id, harness: harnessName, model, branch: task.branch ?? branchFor(spec.id, task.id), rounds: prev?.rounds ?? [], attempts: prev?.attempts ?? 0, runId: this.runId, pendingFeedback: task.meta.last_feedback ? String(task.meta.last_feedback) : undefined, updatedAt: nowIso() };
      // Same harness as before: its session continues the earlier conversation.
      if (prev?.sessionId && prev.harness === harnessName && task.branch) st.sessionId = prev.sessionId;
    } else {
      st = prev ?? { id: task.id, status: 'queued', rounds: [], attempts: 0, updatedAt: nowIso() };
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
    try {
      const outcome = await this.drive(spec, info, task, st, harness, isNew);
      if (outcome === 'aborted') await this.markInterrupted(task.id);
      return outcome;
    } catch (e) {
      if (this.signal.aborted) { await this.markInterrupted(task.id); return 'aborted'; }
      // A worker that must stop (security violation, missing base) stops; the task keeps the state
      // drive() gave it (e.g. blocked with the findings) instead of going back to pending.
      if (e instanceof StopWorker) throw e;
      // Issue 12 rule 1: the worktree is not the one the swarm made; nothing was committed: ask the user.
      if (e instanceof WorktreeChangedError) { this.emit({ type: 'security_violation', workerId: spec.id, taskId: task.id, changes: e.changes }); await this.flow.block(st, e.message); return 'error'; }
      const message = (e as Error).message;
      this.emit({ type: 'log', level: 'error', message: `task ${task.id}: ${message}` });
      return this.failTask(spec, task, st, { kind: 'crash', message });
    }
  }

  private async drive(spec: WorkerSpec, info: WorkerInfo, task: Task, st: TaskRuntimeState, harness: Harness, isNew: boolean): Promise<TaskOutcome> {
    const { git, worktrees, base, tasks, config } = this.deps;
    const baseRef = `refs/heads/${base}`;
    const baseSha = await git.readBranch(base);
    if (!baseSha) throw new StopWorker(`the base branch "${base}" does not exist`);
    const wt = await worktrees.ensure(task.id, st.branch!, baseSha, join(this.runDir, 'logs', `${task.id}-setup.log`));
    if (wt.created) this.emit({ type: 'worktree_created', taskId: task.id, path: wt.path, branch: st.branch! });
    st.worktree = wt.path;
    await this.flow.setStatus(st, 'running', { worktree: wt.path, branch: st.branch, claimed_by: spec.id, run_id: this.runId });

    let step: 'work' | 'review' | 'merge' = isNew ? 'work' : task.status === 'needs_fix' ? 'work' : st.resumeStep ?? 'work';
    st.resumeStep = undefined;
    let retire = false;
    const pool = this.poolKey(st.harness!, st.model);
    const metrics = this.metrics.get(spec.id)!;

    for (;;) {
      if (this.signal.aborted) return 'aborted';
      if (step === 'work') {
        await this.gate(info, pool);
        if (this.signal.aborted) return 'aborted';
        const round = st.rounds.length + 1;
        const current = (await tasks.read(task.id, 'current')) ?? task;
        const prompt = this.workerPrompt(spec, current, st, wt.path, round);
        await this.flow.setStatus(st, 'running', {}, st.pendingFeedback ? `fix round ${round}` : undefined);
        this.setWorker(info, { state: 'running', taskId: task.id });
        const guardBefore = await this.guardSnapshot();
        const baseBefore = await git.readBranch(base);
        const res = await this.turn(spec.id, harness, spec.role, prompt, { task: current, cwd: wt.path, round, st, model: st.model });
        const guardFindings = guardBefore ? diffGitGuard(guardBefore, await snapshotGitGuard(this.deps.root)) : [];
        guardFindings.push(...(await this.baseTampering(baseBefore, st.branch!)));
        if (guardFindings.length) {
          this.emit({ type: 'security_violation', workerId: spec.id, taskId: task.id, changes: guardFindings });
          await this.flow.block(st, `Worker ${spec.id} changed the shared repository outside its worktree (git configuration, hooks or the base branch), which could run code in your git or skip review:\n${guardFindings.map((f) => `- ${f}`).join('\n')}\nNothing was undone. Check and revert these changes, then retry the task.`);
          throw new StopWorker(`security: the agent changed the shared repository (${guardFindings.join('; ')})`);
        }
        if (res.failure) {
          if (res.failure.kind === 'aborted' || this.signal.aborted) return 'aborted';
          metrics.errors++;
          this.recordPoolFailure(pool, res.failure);
          if (res.failure.kind === 'rate_limit') continue; // not the task's fault: wait for the pool, then the same turn again
          return this.failTask(spec, task, st, res.failure);
        }
        if (res.sessionId) st.sessionId = res.sessionId;
        st.pendingFeedback = undefined;
        const signals = parseWorkerReply(res.signalLines?.length ? `${res.signalLines.join('\n')}\n${res.reply}` : res.reply);
        const blockedFile = join(wt.path, 'BLOCKED.md');
        let question = signals.blocked;
        if (existsSync(blockedFile)) {
          question = readFileSync(blockedFile, 'utf8').trim() || question || 'The agent wrote an empty BLOCKED.md';
          rmSync(blockedFile, { force: true }); // a signal, not part of the change
        }
        if (question) {
          await worktrees.commitAll(wt.path, `swarm: ${task.id}: work so far before a question (${spec.id})`);
          await this.flow.block(st, question);
          return 'ok';
        }
        if (signals.done && spec.role === 'worker') retire = true;
        if (!signals.ready) {
          if (retire) {
            await worktrees.commitAll(wt.path, `swarm: ${task.id}: work so far (${spec.id} retired)`);
            await this.flow.returnToPending(current, st, `${spec.id} retired (__DONE__) without finishing it`, { fresh: false });
            return 'retire';
          }
          metrics.errors++;
          return this.failTask(spec, task, st, { kind: 'crash', message: 'the agent ended its turn without COMPLETE_AND_READY_FOR_MERGE' });
        }
        st.headSha = await worktrees.commitAll(wt.path, `swarm: ${task.id}: changes left uncommitted by ${spec.id} (round ${round})`);
        step = 'review';
        continue;
      }
      if (step === 'review') {
        const headSha = st.headSha ?? (await git.readBranch(st.branch!));
        if (!headSha) throw new Error(`branch ${st.branch} has no commit to review`);
        st.headSha = headSha;
        const mb = (await git.mergeBase(baseRef, headSha)) ?? baseSha;
        const changed = (await git.exec(['diff', '--name-only', '-z', mb, headSha])).split('\0').filter(Boolean);
        if (!changed.length) {
          await this.flow.complete(task, st, undefined, 'the agent finished without changing any file');
          return retire ? 'retire' : 'ok';
        }
        const tasksPrefix = `${config.tasksDir.replace(/\/+$/, '')}/`;
        if (changed.every((f) => f.startsWith(tasksPrefix))) { step = 'merge'; continue; } // task-only diffs merge without review
        // Issue 12 rule 2: no review of work built on a base move the user has not accepted.
        const held = await this.deps.merges.watch?.holdsReview(headSha);
        if (held) { await this.flow.waitForBase(st, held, 'review'); return retire ? 'retire' : 'ok'; }
        this.setWorker(info, { state: 'reviewing', taskId: task.id });
        const verdict = await this.review(spec, task, st, mb, headSha);
        metrics.reviewRounds++;
        if (verdict === 'aborted') return 'aborted';
        if (verdict === 'approved') { step = 'merge'; continue; }
        if (verdict === 'fix') { step = 'work'; continue; }
        if (verdict === 'rejected') { metrics.rejections++; return retire ? 'retire' : 'ok'; }
        return retire ? 'retire' : 'ok'; // waiting for a human
      }
      // merge
      this.setWorker(info, { state: 'merging', taskId: task.id });
      const r = await this.flow.merge(task, st);
      if (r === 'merged') { metrics.merges++; this.summary.merged.push(task.id); return retire ? 'retire' : 'ok'; }
      if (r === 'conflict') { if (st.status === 'needs_fix') { step = 'work'; continue; } return 'ok'; }
      if (r === 'waiting') { this.mergeWaiters.add(task.id); return retire ? 'retire' : 'ok'; }
      if (r === 'moved') { st.headSha = undefined; step = 'review'; continue; }
      return 'ok';
    }
  }

  private workerPrompt(spec: WorkerSpec, task: Task, st: TaskRuntimeState, cwd: string, round: number): string {
    const root = this.deps.root;
    const fix = !!st.pendingFeedback;
    const template = fix ? loadPrompt(root, 'fix') : loadPrompt(root, spec.role === 'executor' ? 'executor' : 'worker', spec.prompt);
    const answer = task.question && task.answer ? `# Your earlier question, answered by the user\nQuestion: ${task.question}\nAnswer: ${task.answer}\n` : '';
    return fillPrompt(template, {
      task_id: task.id,
      task_title: task.title,
      task_body: task.body,
      task_file: task.file,
      tasks_dir: this.deps.tasks.dir,
      worktree: cwd,
      branch: st.branch,
      base: this.deps.base,
      round,
      feedback: st.pendingFeedback,
      answer,
    });
  }

  /** One agent turn: prompt file, SWARM_* environment, log file, pid journaled while it runs. */
  private async turn(workerId: string, harness: Harness, role: AgentRole, prompt: string, o: { task?: Task; cwd: string; round: number; st?: TaskRuntimeState; model?: string }): Promise<AgentTurnResult> {
    const seq = ++this.promptSeq;
    const label = `${o.task?.id ?? workerId}-${role}-r${o.round}-${seq}`;
    const promptFile = join(this.runDir, 'prompts', `${label}.md`);
    const logFile = join(this.runDir, 'logs', `${label}.log`);
    await fs.mkdir(join(this.runDir, 'prompts'), { recursive: true });
    await fs.writeFile(promptFile, prompt);
    const env: Record<string, string> = {
      SWARM_ROLE: role,
      SWARM_TASK_ID: o.task?.id ?? '',
      SWARM_TASK_FILE: o.task ? this.deps.tasks.fileFor(o.task.id, 'current') : '',
      SWARM_TASKS_DIR: this.deps.tasks.dir,
      SWARM_WORKTREE: o.cwd,
      SWARM_BASE: this.deps.base,
      SWARM_RUN_ID: this.runId,
      SWARM_WORKER_ID: workerId,
      SWARM_ROUND: String(o.round),
    };
    if (o.st) { o.st.logFile = logFile; }
    const harnessName = o.st?.harness ?? harness.name;
    await this.deps.merges.watch?.turnStarted(); // issue 12 rule 2: base moves during agent turns cannot be told apart
    const res = await harness.runTurn({
      role,
      prompt,
      promptFile,
      cwd: o.cwd,
      env,
      model: o.model,
      resumeSessionId: harness.supportsResume ? o.st?.sessionId : undefined,
      timeoutMs: harnessTimeoutMs(harnessName, this.deps.config),
      logFile,
      signal: this.signal,
      onSpawn: ({ pid, pgid }) => {
        this.emit({ type: 'agent_started', taskId: o.task?.id, workerId, role, round: o.round, pid, pgid, logFile });
        if (o.st) { o.st.agent = { pid, pgid, procStart: processStartTime(pid) }; void this.deps.state.writeTask(o.st); }
      },
    });
    await this.deps.merges.watch?.turnEnded(); // issue 12 rule 2
    if (o.st) { o.st.agent = undefined; await this.deps.state.writeTask(o.st); }
    if (o.task && role !== 'planner') {
      const kept = await this.deps.tasks.keepInCurrent(o.task).catch(() => 'present' as const);
      if (kept !== 'present') this.emit({ type: 'log', level: 'warn', message: `the ${role} of ${o.task.id} ${kept === 'moved_back' ? 'moved' : 'deleted'} its task file; it is back in ${this.deps.config.tasksDir}/current (the swarm moves tasks when they merge)` });
    }
    const m = this.metrics.get(workerId);
    if (m && res.usage) {
      m.usage.inputTokens = (m.usage.inputTokens ?? 0) + (res.usage.inputTokens ?? 0);
      m.usage.outputTokens = (m.usage.outputTokens ?? 0) + (res.usage.outputTokens ?? 0);
      m.usage.costUsd = (m.usage.costUsd ?? 0) + (res.usage.costUsd ?? 0);
    }
    this.emit({ type: 'agent_finished', taskId: o.task?.id, workerId, role, round: o.round, exitCode: res.exitCode, durationMs: res.durationMs, failure: res.failure?.message, failureKind: res.failure?.kind, usage: res.usage });
    return res;
  }

  /**
   * Refs are shared by every worktree, so an agent could move the base branch itself
   * (`git push . HEAD:main`, `git branch -f main`) and skip review. After each worker turn: the
   * agent's own unreviewed commits must not have reached the base. A user committing on the base
   * meanwhile is not that; any other move is BaseWatch's (base.ts).
   */
  private async baseTampering(before: string | undefined, branch: string): Promise<string[]> {
    const { git, base } = this.deps;
    const after = await git.readBranch(base);
    if (!before || !after || before === after) return [];
    // A move back or sideways may be the user's amend or rebase: not blamed on the agent here; the
    // merge queue's BaseWatch (base.ts, issue 12 rule 2) holds merges until the user accepts it.
    const tip = await git.readBranch(branch);
    if (tip && !(await git.isAncestor(tip, before)) && (await git.isAncestor(tip, after))) return [`the agent's unreviewed commit ${tip.slice(0, 10)} was put on the base branch ${base} (now at ${after.slice(0, 10)}) outside the merge queue`];
    return [];
  }

  private async guardSnapshot(): Promise<GuardSnapshot | undefined> {
    try { return await snapshotGitGuard(this.deps.root); } catch { return undefined; }
  }

  /** Policy gate, then the reviewer (or the user). Returns what happens next. */
  private async review(spec: WorkerSpec, task: Task, st: TaskRuntimeState, baseSha: string, sha: string): Promise<'approved' | 'fix' | 'human' | 'rejected' | 'aborted'> {
    const { config, git } = this.deps;
    const round = st.rounds.length + 1;
    await this.flow.setStatus(st, 'reviewing', {}, `review round ${round}`);
    this.emit({ type: 'review_started', taskId: task.id, round, sha });
    const started = Date.now();
    const record = async (r: Omit<ReviewRound, 'round' | 'sha' | 'base' | 'baseSha' | 'startedAt' | 'finishedAt' | 'durationMs'>) => {
      const full: ReviewRound = { round, sha, base: this.deps.base, baseSha, startedAt: new Date(started).toISOString(), finishedAt: nowIso(), durationMs: Date.now() - started, ...r };
      st.rounds.push(full);
      await this.deps.state.writeTask(st);
      this.emit({ type: 'review_finished', taskId: task.id, round: full });
      return full;
    };
    const toHuman = async (agentVerdict: ReviewRound['verdict']) => {
      await this.flow.setStatus(st, 'awaiting_human', {}, 'waiting for your review');
      this.emit({ type: 'human_review_requested', taskId: task.id, sha, agentVerdict });
      return 'human' as const;
    };

    const policy = await checkPolicy(git, baseSha, sha, config.policy);
    if (policy.violations.length) {
      const feedback = `The policy gate stopped this change:\n${policy.violations.map((v) => `- ${v}`).join('\n')}`;
      if (config.policy.onViolation === 'reject') {
        await record({ by: 'policy', verdict: 'REJECTED', feedback, violations: policy.violations });
        await this.flow.reject(task, st, feedback);
        return 'rejected';
      }
      await record({ by: 'policy', verdict: null, feedback, violations: policy.violations });
      return toHuman(null);
    }
    if (config.review.mode === 'human') return toHuman(null);

    const reviewer = createHarness(config.review.harness, config, this.deps.harnessCtx);
    const diff = await git.exec(['diff', baseSha, sha]);
    const capped = capDiff(diff, config.review.maxDiffBytes);
    const previous = accumulatedFeedback(st.rounds);
    const current = (await this.deps.tasks.read(task.id, 'current')) ?? task;
    const prompt = fillPrompt(loadPrompt(this.deps.root, 'reviewer', config.review.prompt), {
      task_id: task.id,
      task_title: current.title,
      task_body: current.body,
      round,
      max_rounds: config.review.maxRounds,
      previous_feedback: previous ? `Feedback of earlier rounds (check it was addressed):\n${previous}\n` : '',
      base: this.deps.base,
      sha,
      diff: capped.text,
      diff_note: capped.note,
    });
    const pool = this.poolKey(config.review.harness, config.review.model);
    let reply: AgentTurnResult | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.gate(this.infos.get(spec.id)!, pool);
      if (this.signal.aborted) return 'aborted';
      const res = await this.turn(spec.id, reviewer, 'reviewer', prompt, { task: current, cwd: st.worktree!, round, model: config.review.model });
      if (res.failure?.kind === 'aborted' || this.signal.aborted) return 'aborted';
      if (res.failure) {
        this.recordPoolFailure(pool, res.failure);
        if (res.failure.kind === 'rate_limit') { attempt--; continue; }
        reply = res;
        continue;
      }
      reply = res;
      if (parseVerdict(res.reply)) break;
    }
    const verdict = reply && !reply.failure ? parseVerdict(reply.reply) : null;
    const feedback = reply ? (reply.failure ? `The reviewer failed: ${reply.failure.message}` : feedbackOf(reply.reply) || '(no feedback)') : 'The reviewer did not run.';
    if (!verdict) {
      await record({ by: 'agent', verdict: null, feedback: `${feedback}\n\n(The reviewer's reply did not end with a valid VERDICT line, so it is not an approval.)`, diffTruncated: capped.truncated });
      return toHuman(null);
    }
    await record({ by: 'agent', verdict, feedback, diffTruncated: capped.truncated });
    if (verdict === 'APPROVED') return config.review.mode === 'agent+human' ? toHuman(verdict) : 'approved';
    if (verdict === 'REJECTED') {
      await this.flow.reject(task, st, feedback);
      return 'rejected';
    }
    if (round >= config.review.maxRounds) return toHuman(verdict);
    st.pendingFeedback = accumulatedFeedback(st.rounds);
    return 'fix';
  }

  /** A failed turn: keep the work, count the attempt, back to pending (or blocked after max_attempts). */
  private async failTask(spec: WorkerSpec, task: Task, st: TaskRuntimeState, failure: AgentFailure): Promise<TaskOutcome> {
    st.attempts++;
    st.lastError = failure.message;
    this.emit({ type: 'task_failed', taskId: task.id, reason: failure.message });
    if (st.worktree && existsSync(st.worktree)) {
      await this.deps.worktrees.commitAll(st.worktree, `swarm: ${task.id}: work so far before a failed turn (${spec.id})`).catch(() => undefined);
    }
    const current = (await this.deps.tasks.read(task.id, 'current')) ?? task;
    if (st.attempts >= this.deps.config.limits.maxAttempts) {
      this.summary.failed.push(task.id);
      await this.flow.block(st, `The agent failed ${st.attempts} times (last: ${failure.message}). Fix the cause, then Retry.`);
    } else {
      await this.flow.returnToPending(current, st, `attempt ${st.attempts} failed: ${failure.message}`, { fresh: false });
    }
    return 'error';
  }

  // --- planners ----------------------------------------------------------------------------

  private async plannerLoop(spec: WorkerSpec, info: WorkerInfo): Promise<void> {
    const harness = createHarness(spec.harness, this.deps.config, this.deps.harnessCtx);
    const pool = this.poolKey(spec.harness, spec.model);
    let consecutiveErrors = 0;
    for (let iteration = 1; iteration <= spec.iterations && !this.signal.aborted; ) {
      await this.gate(info, pool);
      if (this.signal.aborted) return;
      const before = await this.deps.tasks.list();
      if (before.pending.length >= spec.maxPending) {
        // Back-pressure: wait until workers drain pending; give up when no worker is left to.
        const workersLeft = [...this.infos.values()].some((w) => w.role !== 'planner' && w.state !== 'stopped');
        if (!workersLeft) return;
        this.setWorker(info, { state: 'waiting' });
        await this.wake.wait(this.deps.config.limits.pollMs * 2, this.signal);
        continue;
      }
      this.setWorker(info, { state: 'running', iteration });
      const prompt = fillPrompt(loadPrompt(this.deps.root, 'planner', spec.prompt), { worktree: this.deps.root, tasks_dir: this.deps.tasks.dir, pending_count: before.pending.length, max_pending: spec.maxPending });
      await this.acquireSlot();
      let res: AgentTurnResult;
      try {
        res = await this.turn(spec.id, harness, 'planner', prompt, { cwd: this.deps.root, round: iteration, model: spec.model });
      } finally {
        this.releaseSlot();
      }
      if (res.failure) {
        if (res.failure.kind === 'aborted') return;
        this.recordPoolFailure(pool, res.failure);
        if (res.failure.kind === 'rate_limit') continue;
        this.metrics.get(spec.id)!.errors++;
        if (++consecutiveErrors >= this.deps.config.limits.maxConsecutiveErrors) throw new StopWorker(`${consecutiveErrors} failed planner turns in a row`);
        iteration++;
        continue;
      }
      consecutiveErrors = 0;
      iteration++;
      // New in any folder: a worker may already have claimed (or finished) a task the planner wrote.
      const known = new Set([...before.pending, ...before.current, ...before.complete].map((t) => t.id));
      const after = await this.deps.tasks.list();
      for (const t of [...after.pending, ...after.current, ...after.complete]) {
        if (known.has(t.id) || this.announced.has(t.id)) continue; // listings are not snapshots: announce once
        this.announced.add(t.id);
        this.emit({ type: 'task_created', taskId: t.id, by: spec.id });
      }
      this.wake.notify();
      if (parseWorkerReply(res.reply).done) { this.setWorker(info, { state: 'stopped', stoppedReason: 'the planner said __DONE__' }); return; }
    }
  }

  // --- decisions and waiting merges ----------------------------------------------------------

  /** Decisions written by another process (the CLI while the extension runs the swarm, or vice versa). */
  private decisionsBusy = false;
  private async applyDecisionFiles(): Promise<void> {
    if (this.decisionsBusy) return;
    this.decisionsBusy = true;
    try {
      for (const d of await this.deps.state.takeDecisions()) {
        const r = await this.applyDecision(d.taskId, d.kind, d.sha, d.text, d.by);
        if (!r.ok) this.emit({ type: 'human_decision', taskId: d.taskId, decision: d.kind, sha: d.sha, text: d.text, applied: false, detail: JSON.stringify(r) });
      }
    } catch (e) {
      this.emit({ type: 'log', level: 'error', message: `applying decisions: ${(e as Error).message}` });
    } finally {
      this.decisionsBusy = false;
    }
  }

  async applyDecision(taskId: string, kind: Parameters<TaskFlow['decide']>[1], sha: string, text?: string, by?: string): ReturnType<TaskFlow['decide']> {
    if (this.owned.has(taskId)) return { ok: false, reason: 'not_awaiting', detail: `task ${taskId} is being worked on` };
    this.owned.add(taskId);
    try {
      const r = await this.flow.decide(taskId, kind, sha, text, by);
      if (r.ok && r.applied === 'merged') this.summary.merged.push(taskId);
      const st = await this.deps.state.readTask(taskId);
      if (st?.status === 'waiting_local_changes' || st?.status === 'waiting_base') this.mergeWaiters.add(taskId); // waiting_base: issue 12 rules 2, 9
      return r;
    } finally {
      this.owned.delete(taskId);
      this.wake.notify();
    }
  }

  private retryingMerges = false;
  /** Base head + the base checkout's status at the last retry: nothing changed, nothing to retry. */
  private lastMergeFingerprint = '';

  private async mergeFingerprint(): Promise<string> {
    const { git, base } = this.deps;
    const head = (await git.readBranch(base)) ?? '';
    const checkout = (await git.worktrees()).find((w) => w.branch === `refs/heads/${base}`);
    const status = checkout ? (await git.status(checkout.path).catch(() => [])).join('\n') : '';
    // The files git named as in the way: an ignored file the user removes shows in no status.
    const blockers = checkout ? [...this.mergeWaiters].flatMap((id) => this.waitingFiles.get(id) ?? []).map((f) => {
      try { const s = statSync(join(checkout.path, f)); return `${f}:${s.size}:${s.mtimeMs}`; } catch { return `${f}:-`; }
    }) : [];
    // And a slow safety net for anything else that changes out of sight.
    const epoch = Math.floor(Date.now() / 30_000);
    const baseState = await baseFingerprint(git, base, this.deps.merges.watch); // issue 12 rules 2, 9: the user's operation ends, the base is accepted
    return `${head}\n${status}\n${blockers.join('\n')}\n${epoch}\n${[...this.mergeWaiters].sort().join(',')}\n${baseState}`;
  }

  private async retryWaitingMerges(): Promise<void> {
    if (this.retryingMerges || !this.mergeWaiters.size) return;
    this.retryingMerges = true;
    try {
      const fp = await this.mergeFingerprint();
      if (fp === this.lastMergeFingerprint) return;
      this.lastMergeFingerprint = fp;
      for (const id of [...this.mergeWaiters]) {
        if (this.owned.has(id)) continue;
        const task = await this.deps.tasks.read(id, 'current').catch(() => undefined);
        const st = await this.deps.state.readTask(id);
        if (!task || !st) { this.mergeWaiters.delete(id); continue; }
        this.owned.add(id);
        try {
          const r = await this.flow.merge(task, st);
          if (r !== 'waiting') this.mergeWaiters.delete(id);
          if (r === 'merged') this.summary.merged.push(id);
        } finally {
          this.owned.delete(id);
        }
      }
    } catch (e) {
      this.emit({ type: 'log', level: 'error', message: `retrying merges: ${(e as Error).message}` });
    } finally {
      this.retryingMerges = false;
      this.wake.notify();
    }
  }
}

type TaskOutcome = 'ok' | 'error' | 'retire' | 'aborted';
