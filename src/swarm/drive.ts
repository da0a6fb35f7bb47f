// A worker drives one task through the steps of its life: work (the agent's turn, work.ts) →
// review (policy gate and reviewer, review.ts) → merge (here). Each step is a function that says
// which step comes next or how the drive ends; drive() is the loop over them. A task continues at
// the step its status names in the status table (status.ts), else where an interrupted run left
// it. A new step (a merge check, an integration round) is one more entry in STEPS and a name in
// TaskStep (docs/architecture.md, "Adding a step").

import { join } from 'node:path';
import type { WorkerSpec } from './config';
import type { Harness } from './harness/types';
import { StopWorker, next, end, settled, type RunContext, type TaskOutcome, type Step, type TaskDrive } from './runContext';
import { STATUS, type TaskStep } from './status';
import type { Task, TaskRuntimeState, WorkerInfo } from './types';
import { workStep } from './work';
import { reviewStep } from './review';
import { describeEnv } from './worktreeEnv';

/** Merge the reviewed head through the merge queue (flow.ts); a conflict or a failed merge check goes back to work (an integration round), a moved branch to review. */
const mergeStep: Step = async (ctx, d) => {
  const { task, st } = d;
  ctx.setWorker(d.info, { state: 'merging', taskId: task.id });
  const r = await ctx.flow.merge(task, st);
  if (r === 'merged') {
    d.metrics.merges++;
    ctx.summary.merged.push(task.id);
    return settled(d);
  }
  if (r === 'no_change') {
    ctx.summary.completedWithoutChange!.push(task.id);
    return settled(d);
  }
  if (r === 'conflict' || r === 'check_failed') return STATUS[st.status].resumable ? next('work') : end('ok'); // an integration round, unless it blocked
  if (r === 'aborted') return end('aborted');
  if (r === 'waiting') {
    ctx.mergeWaiters.add(task.id);
    return settled(d);
  }
  if (r === 'moved') {
    st.headSha = undefined;
    return next('review');
  }
  return end('ok');
};

export const STEPS: Readonly<Record<TaskStep, Step>> = { work: workStep, review: reviewStep, merge: mergeStep };

/** Drive a claimed (or continued) task until it is settled, the worker must stop, or the run stops. */
export async function drive(
  ctx: RunContext,
  spec: WorkerSpec,
  info: WorkerInfo,
  task: Task,
  st: TaskRuntimeState,
  harness: Harness,
  isNew: boolean,
): Promise<TaskOutcome> {
  const { git, worktrees, base } = ctx.deps;
  const baseSha = await git.readBranch(base);
  if (!baseSha) throw new StopWorker(`the base branch "${base}" does not exist`);
  st.ports = await ctx.ports.ensure(task.id, st.ports); // kept in its state: the same range in every round
  const wt = await worktrees.ensure(task.id, st.branch!, baseSha, join(ctx.runDir, 'logs', `${task.id}-setup.log`), st.ports);
  if (wt.created) ctx.emit({ type: 'worktree_created', taskId: task.id, path: wt.path, branch: st.branch! });
  if (wt.env && (wt.env.copied.length || wt.env.skipped.length))
    ctx.emit({ type: 'log', level: wt.env.skipped.length ? 'warn' : 'info', message: describeEnv(task.id, wt.env) });
  st.worktree = wt.path;
  const continueAt = STATUS[st.status].step; // a fix round continues with the agent's turn
  await ctx.flow.transition(st, 'work', { worktree: wt.path, branch: st.branch, claimed_by: spec.id, run_id: ctx.runId });

  let step: TaskStep = isNew ? 'work' : (continueAt ?? st.resumeStep ?? 'work');
  st.resumeStep = undefined;
  const d: TaskDrive = {
    spec,
    info,
    task,
    st,
    harness,
    worktree: wt.path,
    baseSha,
    pool: ctx.pools.key(st.harness!, st.model),
    metrics: ctx.metrics.get(spec.id)!,
    retire: false,
  };
  for (;;) {
    if (ctx.signal.aborted) return 'aborted';
    const r = await STEPS[step](ctx, d);
    if ('end' in r) return r.end;
    step = r.next;
  }
}
