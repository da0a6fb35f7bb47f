// A planner: an agent turn in the repository root that writes new task files into the tasks
// folder, until it says __DONE__ or its iterations run out; back-pressure holds it while
// `max_pending` tasks wait. Each task it creates is announced once (task_created).

import type { WorkerSpec } from './config';
import { createHarness } from './harness';
import type { AgentTurnResult } from './harness/types';
import { fillPrompt, loadPrompt } from './prompts';
import { StopWorker, type RunContext } from './runContext';
import { parseWorkerReply } from './signals';
import type { WorkerInfo } from './types';
import { guarded } from './guard';
import { guardViolation } from './work';

export async function plannerLoop(ctx: RunContext, spec: WorkerSpec, info: WorkerInfo, announced: Set<string>): Promise<void> {
  const harness = createHarness(spec.harness, ctx.deps.config, ctx.deps.harnessCtx);
  const pool = ctx.pools.key(spec.harness, spec.model);
  let consecutiveErrors = 0;
  for (let iteration = 1; iteration <= spec.iterations && !ctx.signal.aborted;) {
    await ctx.pools.gate(info, pool);
    if (ctx.signal.aborted) return;
    const before = await ctx.deps.tasks.list();
    if (before.pending.length >= spec.maxPending) {
      // Back-pressure: wait until workers drain pending; give up when no worker is left to.
      const workersLeft = [...ctx.infos.values()].some((w) => w.role !== 'planner' && w.state !== 'stopped');
      if (!workersLeft) return;
      ctx.setWorker(info, { state: 'waiting' });
      await ctx.wake.wait(ctx.deps.config.limits.pollMs * 2, ctx.signal);
      continue;
    }
    ctx.setWorker(info, { state: 'running', iteration });
    const prompt = fillPrompt(loadPrompt(ctx.deps.root, 'planner', spec.prompt), {
      worktree: ctx.deps.root,
      tasks_dir: ctx.deps.tasks.dir,
      pending_count: before.pending.length,
      max_pending: spec.maxPending,
    });
    await ctx.pools.acquireSlot();
    let res: AgentTurnResult;
    try {
      const g = await guarded(ctx.deps.root, () =>
        ctx.turns.turn(spec.id, harness, 'planner', prompt, { cwd: ctx.deps.root, round: iteration, model: spec.model }),
      );
      res = g.result;
      if (g.findings.length) await guardViolation(ctx, spec.id, 'planner', g.findings); // planners are watched like workers
    } finally {
      ctx.pools.releaseSlot();
    }
    if (res.failure) {
      if (res.failure.kind === 'aborted') return;
      ctx.pools.recordFailure(pool, res.failure);
      if (res.failure.kind === 'rate_limit') continue;
      ctx.metrics.get(spec.id)!.errors++;
      if (++consecutiveErrors >= ctx.deps.config.limits.maxConsecutiveErrors) throw new StopWorker(`${consecutiveErrors} failed planner turns in a row`);
      iteration++;
      continue;
    }
    consecutiveErrors = 0;
    iteration++;
    // New in any folder: a worker may already have claimed (or finished) a task the planner wrote.
    const known = new Set([...before.pending, ...before.current, ...before.complete].map((t) => t.id));
    const after = await ctx.deps.tasks.list();
    for (const t of [...after.pending, ...after.current, ...after.complete]) {
      if (known.has(t.id) || announced.has(t.id)) continue; // listings are not snapshots: announce once
      announced.add(t.id);
      ctx.emit({ type: 'task_created', taskId: t.id, by: spec.id });
    }
    ctx.wake.notify();
    if (parseWorkerReply(res.reply).done) {
      ctx.setWorker(info, { state: 'stopped', stoppedReason: 'the planner said __DONE__' });
      return;
    }
  }
}
