// Which task a worker takes next (docs/architecture.md, "A run"): a task in current that waits for
// a worker (a fix round, an answered question, recovered work) first, then a claim of a pending
// task in the scheduler's order (schedule.ts: dependencies done, declared files not overlapping a
// task being driven), one claim at a time. Unreadable or half-written task files are quarantined or
// looked at again after WRITE_GRACE_MS. Used by the worker loops of run.ts.

import { relative } from 'node:path';
import type { WorkerSpec } from './config';
import type { RunContext, RunDeps } from './runContext';
import type { ConflictWatch } from './conflicts';
import type { Task } from './types';
import { STATUS, transition } from './status';
import { branchFor } from './worktrees';
import { schedule, type InFlightTask } from './schedule';
import { Mutex, nowIso } from './util';
import { writtenJustNow } from './watch';

type Listing = Awaited<ReturnType<RunDeps['tasks']['list']>>;
/** A task a worker takes: a continuation (isNew false) or a new claim. */
export interface Claimed {
  task: Task;
  isNew: boolean;
}
/** Set while choosing: `young`, a task file was passed over because it was written just now (look again after WRITE_GRACE_MS). */
interface Skipped {
  young: boolean;
}

export class TaskChooser {
  /** Choosing and claiming a pending task, one worker at a time (schedule.ts sees every claim). */
  private readonly claimLock = new Mutex();
  /** "<task> waits for <task>" said once each. */
  private readonly heldSaid = new Set<string>();
  /** Claims made by this run (a listing taken before the last claim is taken again). */
  private claims = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly conflicts: ConflictWatch,
  ) {}

  private get deps(): RunDeps {
    return this.ctx.deps;
  }

  /** Tasks in current that wait for a worker (fix rounds, answered questions, recovered work), then new claims. */
  async next(spec: WorkerSpec, mayClaim: boolean): Promise<{ item?: Claimed; young: boolean }> {
    const skipped: Skipped = { young: false };
    const item = await this.choose(spec, mayClaim, skipped);
    return { item, young: skipped.young };
  }

  private async choose(spec: WorkerSpec, mayClaim: boolean, skipped: Skipped): Promise<Claimed | undefined> {
    const { tasks } = this.deps;
    const seq = this.claims;
    const listing = await tasks.list();
    for (const u of listing.unparsable.filter((x) => x.folder === 'pending')) {
      // Woken by the file's creation, the worker may see it before its writer is done: a file
      // written just now is looked at again after WRITE_GRACE_MS.
      if (await writtenJustNow(u.file)) {
        skipped.young = true;
        continue;
      }
      const target = await tasks.quarantine(u.file, u.reason);
      if (target) this.ctx.emit({ type: 'task_quarantined', file: relative(this.deps.root, target), reason: u.reason });
    }
    const cont = listing.current.filter((t) => STATUS[t.status].resumable && !this.ctx.owned.has(t.id)).sort((a, b) => a.priority - b.priority);
    for (const t of cont) {
      if (this.ctx.owned.has(t.id)) continue;
      // Owned before the first await: another worker listing meanwhile must not take it too.
      this.ctx.owned.add(t.id);
      const st = await this.deps.state.readTask(t.id).catch((e: unknown) => {
        this.ctx.owned.delete(t.id);
        throw e;
      });
      if (st && st.status !== t.status && !STATUS[st.status].resumable) {
        this.ctx.owned.delete(t.id);
        // The file says it may resume, the swarm's own state says it waits (for an answer, a
        // review): the file was edited, by hand or by an agent. The state wins; the file is put back.
        await this.deps.tasks.update(t.id, 'current', { status: st.status }).catch(() => undefined);
        this.ctx.emit({
          type: 'log',
          level: 'warn',
          message: `task ${t.id}: its file said "${t.status}" but the swarm's state says "${st.status}"; the file was put back`,
        });
        continue;
      }
      return { task: t, isNew: false };
    }
    if (!mayClaim) return undefined;
    // Claims go one at a time: the scheduler (schedule.ts) must see the task claimed just before
    // (the listing is taken again when another worker claimed since).
    return this.claimLock.run(async () => this.claimNext(spec, seq === this.claims ? listing : await tasks.list(), skipped));
  }

  private async claimNext(spec: WorkerSpec, listing: Listing, skipped: Skipped): Promise<Claimed | undefined> {
    const { tasks } = this.deps;
    const done = new Set(listing.complete.map((t) => t.id));
    const { order } = await this.scheduled(listing, true);
    for (const t of order) {
      if (done.has(t.id)) {
        // A new task with the id of a completed one could never move to complete/ (and would
        // inherit the old one's state): set it aside for the user to rename, never run it.
        const target = await tasks.quarantine(
          t.file,
          `${t.file.split('/').pop()}: id: a task "${t.id}" is already in ${this.deps.config.tasksDir}/complete; rename this file (a new id) to run it`,
        );
        if (target) this.ctx.emit({ type: 'task_quarantined', file: relative(this.deps.root, target), reason: `task id "${t.id}" is already complete` });
        continue;
      }
      if (!t.dependsOn.every((d) => done.has(d))) continue;
      if (await writtenJustNow(t.file)) {
        skipped.young = true;
        continue;
      } // maybe half written: claimed after the grace
      const st = await this.deps.state.readTask(t.id);
      const branch = t.branch ?? st?.branch ?? branchFor(spec.id, t.id);
      const claimed = await tasks.claim(t.id, {
        status: transition(t.status, 'claim', t.id),
        claimed_by: spec.id,
        claimed_at: nowIso(),
        run_id: this.ctx.runId,
        branch,
      });
      if (!claimed) continue; // another worker won this one
      this.claims++;
      this.ctx.owned.add(t.id);
      this.ctx.emit({ type: 'task_claimed', taskId: t.id, workerId: spec.id, branch });
      return { task: claimed, isNew: true };
    }
    return undefined;
  }

  /** Is there a task a worker could take right now (a continuation, or a claimable pending task)? */
  async available(mayClaim: boolean): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    if (listing.current.some((t) => STATUS[t.status].resumable && !this.ctx.owned.has(t.id))) return true;
    if (!mayClaim) return false;
    const done = new Set(listing.complete.map((t) => t.id));
    return (await this.scheduled(listing, false)).order.some((t) => !done.has(t.id));
  }

  /**
   * The pending tasks a worker may claim now, in claim order (schedule.ts): dependencies done, and
   * a task whose `files` overlap a task being driven passed over. `say`: journal each hold once.
   */
  private async scheduled(listing: Listing, say: boolean): Promise<ReturnType<typeof schedule>> {
    const done = new Set(listing.complete.map((t) => t.id));
    const taken = new Set(listing.current.map((t) => t.id));
    const candidates = listing.pending.filter((t) => !taken.has(t.id) && (done.has(t.id) || t.dependsOn.every((d) => done.has(d))));
    if (!candidates.some((t) => t.files?.length)) return { order: candidates, held: [] };
    const inFlight: InFlightTask[] = [];
    for (const t of listing.current) {
      const st = await this.deps.state.readTask(t.id);
      const branch = st?.branch ?? t.branch;
      const tip = branch ? await this.deps.git.readBranch(branch) : undefined;
      inFlight.push({ id: t.id, declared: t.files ?? [], changed: tip ? await this.conflicts.changedFiles(tip) : [], active: this.ctx.owned.has(t.id) });
    }
    const s = schedule(candidates, inFlight);
    for (const h of say ? s.held : []) {
      const key = `${h.task.id} ${h.overlap.with}`;
      if (this.heldSaid.has(key)) continue;
      this.heldSaid.add(key);
      this.ctx.emit({
        type: 'log',
        level: 'info',
        message: `${h.task.id} waits for ${h.overlap.with}: both touch ${h.overlap.files.join(', ')} (files in its frontmatter)`,
      });
    }
    return s;
  }

  /** Does a task wait for the user (a review, a question, the base, local changes)? */
  async humanWaiting(): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    return listing.current.some((t) => STATUS[t.status].needsYou !== undefined);
  }

  /** After the workers retired: only tasks needing a worker (fixes) are left, which nobody can do now. */
  async onlyFixesLeft(): Promise<boolean> {
    const listing = await this.deps.tasks.list();
    return !listing.current.some((t) => STATUS[t.status].endsWithoutWorker);
  }
}
