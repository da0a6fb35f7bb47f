// The two ends of an interruption. When a run stops, the tasks it was working on are marked
// interrupted with the step to resume at; when the next run starts, recover() reconciles what the
// earlier one left (a stop, a crash, a reload, a kill).

import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { agentsOfRepo, killMarkedProcesses, killProcessGroupAndWait } from './procKill';
import type { RunContext } from './runContext';
import { isSameProcessAlive } from './state';
import { STATUS, mergeWaits, stepOf } from './status';
import { diskUsage } from './worktrees';

/** A task this run was working on when it stopped: the next run resumes it. */
export async function markInterrupted(ctx: Pick<RunContext, 'deps' | 'flow'>, id: string, reason: string): Promise<void> {
  const st = await ctx.deps.state.readTask(id);
  if (st && STATUS[st.status].inFlight) {
    st.agent = undefined;
    // Where the next run continues: a change under review (or approved and merging) is not
    // worked on again; its reviewed commit is reviewed (or merged) again.
    const at = STATUS[st.status].step;
    st.resumeStep = st.headSha && at !== 'work' ? at : 'work';
    await ctx.flow.transition(st, 'interrupt', {}, reason).catch(() => undefined);
  }
}

/**
 * Reconcile what an earlier run left (crash, reload, kill): stray agents are killed; tasks in
 * `current` that were in flight resume when their worktree holds work, else go back to pending;
 * a task whose reviewed sha is already on the base is completed, never merged twice.
 */
export async function recover(ctx: Pick<RunContext, 'deps' | 'flow' | 'emit' | 'mergeWaiters'>): Promise<void> {
  const { tasks, git, worktrees } = ctx.deps;
  for (const id of await tasks.repairHalfMoves()) {
    ctx.emit({
      type: 'log',
      level: 'warn',
      message: `task ${id} had a second name in ${ctx.deps.config.tasksDir}/current after an interrupted move; the stale name was dropped`,
    });
  }
  const listing = await tasks.list();
  for (const u of listing.unparsable.filter((x) => x.folder !== 'complete')) {
    const target = await tasks.quarantine(u.file, u.reason);
    if (target) ctx.emit({ type: 'task_quarantined', file: relative(ctx.deps.root, target), reason: u.reason });
  }
  const report = {
    resumed: [] as string[],
    returnedToPending: [] as string[],
    completed: [] as string[],
    killedPids: [] as number[],
    orphanedWorktrees: [] as string[],
  };
  const baseRef = `refs/heads/${ctx.deps.base}`;
  for (const task of listing.current) {
    const st = await ctx.flow.stateOf(task.id);
    if (st.agent && isSameProcessAlive(st.agent.pid, st.agent.procStart)) {
      // Wait for it: a dying agent must not write into the worktree while it is inspected below,
      // and a short run must not exit before the SIGKILL of an agent that ignores SIGTERM.
      await killProcessGroupAndWait(st.agent.pgid, 500);
      report.killedPids.push(st.agent.pid);
    }
    st.agent = undefined;
    st.status = task.status; // the task file is the record; state.json may lag it after a crash
    st.branch ??= task.branch;
    st.worktree ??= task.worktree;
    if (mergeWaits(st.status, st.resumeStep)) ctx.mergeWaiters.add(task.id);
    const at = stepOf(st.status, st.resumeStep);
    if (at === 'merge') {
      // Brought in by the base's own line (a graft into another branch's history does not count: mainline.ts).
      const mergedBy = st.headSha ? await ctx.deps.merges.findMergeOf(st.headSha) : undefined;
      if (mergedBy) {
        await ctx.flow.complete(task, st, mergedBy, 'merged before a restart');
        report.completed.push(task.id);
      } else {
        ctx.mergeWaiters.add(task.id);
        report.resumed.push(task.id);
      }
      continue;
    }
    if (!at) continue;
    const wt = st.worktree && existsSync(st.worktree) ? st.worktree : undefined;
    const dirty = wt ? (await git.status(wt)).length > 0 : false;
    const ahead = st.branch && (await git.readBranch(st.branch!)) ? await git.countAhead(baseRef, `refs/heads/${st.branch}`) : 0;
    if (dirty || ahead > 0) {
      st.resumeStep = at === 'review' && !dirty && st.headSha ? 'review' : 'work';
      await ctx.flow.transition(st, 'requeue', {}, 'resumed after an interrupted run');
      report.resumed.push(task.id);
    } else {
      await ctx.flow.returnToPending(task, st, 'its run ended before any work was saved', { fresh: false });
      report.returnedToPending.push(task.id);
    }
  }
  report.killedPids.push(...(await killMarkedProcesses(agentsOfRepo(ctx.deps.tasks.dir)))); // what earlier agents left outside their groups
  await ctx.deps.worktrees.removeStaleReviewCheckouts(); // reviewers' checkouts of an interrupted run
  const after = await tasks.list();
  // A worktree still belongs to a task in current, or to a pending one that keeps its branch.
  const currentIds = new Set([...after.current.map((t) => t.id), ...after.pending.filter((t) => t.branch).map((t) => t.id)]);
  for (const wt of await git.worktrees()) {
    if (!wt.branch?.startsWith('refs/heads/swarm/') && !wt.path.startsWith(worktrees.dir)) continue;
    const id = wt.path.startsWith(worktrees.dir) ? relative(worktrees.dir, wt.path) : wt.branch!.split('/').pop()!;
    if (!currentIds.has(id)) report.orphanedWorktrees.push(`${wt.path} (${Math.round((await diskUsage(wt.path)) / 1024)} KiB)`);
  }
  if (report.resumed.length || report.returnedToPending.length || report.completed.length || report.killedPids.length || report.orphanedWorktrees.length) {
    ctx.emit({ type: 'run_recovered', ...report });
  }
}
