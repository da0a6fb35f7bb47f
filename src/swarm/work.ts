// The work step: the worker's (or executor's) agent turn on a task, a first round or a fix round.
// The prompt, the guard around the turn (the shared repository's git configuration, hooks and the
// base branch must not change), the agent's signals (ready, a question, __DONE__), and what a
// failed turn does to the task.

import { existsSync, rmSync } from 'node:fs';
import { readAgentFileBounded } from './safefs';
import { join } from 'node:path';
import type { WorkerSpec } from './config';
import type { AgentFailure, AgentRole } from './harness/types';
import { diffGitGuard, snapshotGitGuard, type GuardSnapshot } from './guard';
import { fillPrompt, loadPrompt } from './prompts';
import { StopWorker, end, next, settled, type RunContext, type RunDeps, type Step, type TaskOutcome } from './runContext';
import { parseWorkerReply } from './signals';
import type { SwarmEvent, Task, TaskRuntimeState } from './types';
import { verifiedAnswer } from './approval';
import { integrateBase } from './integration';

/** The agent's turn; then a question blocks, a failure counts an attempt, a ready change goes to review. */
export const workStep: Step = async (ctx, d) => {
  const { git, worktrees, base, tasks } = ctx.deps;
  const { spec, info, task, st, worktree } = d;
  await ctx.pools.gate(info, d.pool);
  if (ctx.signal.aborted) return end('aborted');
  if (await overTaskBudget(ctx, st, 'work')) return settled(d);
  const round = st.rounds.length + 1;
  await integrateBase(ctx, d); // an integration round: the base comes in first (after a conflict or a failed merge check)
  const current = (await tasks.read(task.id, 'current')) ?? task;
  const prompt = workerPrompt(ctx.deps, spec, current, st, worktree, round, (e) => ctx.emit(e));
  await ctx.flow.transition(st, 'work', {}, st.pendingFeedback ? `fix round ${round}` : undefined);
  ctx.setWorker(info, { state: 'running', taskId: task.id });
  const guardBefore = await guardSnapshot(ctx.deps.root);
  const baseBefore = await git.readBranch(base);
  const res = await ctx.turns.turn(spec.id, d.harness, spec.role, prompt, { task: current, cwd: worktree, round, st, model: st.model });
  const guardFindings = guardBefore ? diffGitGuard(guardBefore, await snapshotGitGuard(ctx.deps.root)) : [];
  guardFindings.push(...(await baseTampering(ctx.deps, baseBefore, st.branch!)));
  if (guardFindings.length) {
    ctx.emit({ type: 'security_violation', workerId: spec.id, taskId: task.id, changes: guardFindings });
    await ctx.flow.block(
      st,
      `Worker ${spec.id} changed the shared repository outside its worktree (git configuration, hooks or the base branch), which could run code in your git or skip review:\n${guardFindings.map((f) => `- ${f}`).join('\n')}\nNothing was undone. Check and revert these changes, then retry the task.`,
    );
    throw new StopWorker(`security: the agent changed the shared repository (${guardFindings.join('; ')})`);
  }
  if (res.failure) {
    if (res.failure.kind === 'aborted' || ctx.signal.aborted) return end('aborted');
    d.metrics.errors++;
    ctx.pools.recordFailure(d.pool, res.failure);
    if (res.failure.kind === 'rate_limit' || res.failure.kind === 'missing_cli') return next('work'); // not the task's fault: wait for the pool, then the same turn again
    return end(await failTask(ctx, spec, task, st, res.failure));
  }
  if (res.sessionId) st.sessionId = res.sessionId;
  st.pendingFeedback = undefined;
  const signals = parseWorkerReply(res.signalLines?.length ? `${res.signalLines.join('\n')}\n${res.reply}` : res.reply);
  const blockedFile = join(worktree, 'BLOCKED.md');
  let question = signals.blocked;
  if (existsSync(blockedFile)) {
    question = (await readAgentFileBounded(blockedFile)).trim() || question || 'The agent wrote an empty BLOCKED.md'; // bounded, never a FIFO
    rmSync(blockedFile, { force: true }); // a signal, not part of the change
  }
  if (question) {
    await worktrees.commitAll(worktree, `swarm: ${task.id}: work so far before a question (${spec.id})`);
    await ctx.flow.block(st, question);
    return end('ok');
  }
  if (signals.done && spec.role === 'worker') d.retire = true;
  if (!signals.ready) {
    if (d.retire) {
      await worktrees.commitAll(worktree, `swarm: ${task.id}: work so far (${spec.id} retired)`);
      await ctx.flow.returnToPending(current, st, `${spec.id} retired (__DONE__) without finishing it`, { fresh: false });
      return end('retire');
    }
    d.metrics.errors++;
    return end(await failTask(ctx, spec, task, st, { kind: 'crash', message: 'the agent ended its turn without COMPLETE_AND_READY_FOR_MERGE' }));
  }
  st.headSha = await worktrees.commitAll(worktree, `swarm: ${task.id}: changes left uncommitted by ${spec.id} (round ${round})`);
  return next('review');
};

/**
 * The task's budget is spent (budget.ts): no new turn starts; it waits in waiting_budget with the
 * reason, to continue at `step` once you raise max_cost_usd and retry. True when it stopped.
 */
export async function overTaskBudget(ctx: RunContext, st: TaskRuntimeState, step: 'work' | 'review'): Promise<boolean> {
  const over = ctx.budget.taskReached(st);
  if (!over) return false;
  st.resumeStep = step;
  await ctx.flow.transition(st, 'overBudget', { waiting_for: over.reason }, over.reason);
  ctx.emit({ type: 'budget_reached', scope: 'task', taskId: st.id, spentUsd: over.spentUsd, limitUsd: over.limitUsd, reason: over.reason });
  return true;
}

/** A reviewer or planner turn changed what can run code: stop its worker, block the task. */
export async function guardViolation(
  ctx: Pick<RunContext, 'emit' | 'flow'>,
  workerId: string,
  role: AgentRole,
  findings: string[],
  st?: TaskRuntimeState,
): Promise<never> {
  ctx.emit({ type: 'security_violation', workerId, taskId: st?.id, changes: findings });
  if (st)
    await ctx.flow.block(
      st,
      `The ${role} of this task changed the shared repository's git configuration or hooks, which could run code in your git:\n${findings.map((f) => `- ${f}`).join('\n')}\nNothing was undone. Check and revert these changes, then retry the task.`,
    );
  throw new StopWorker(`security: the ${role} changed the shared repository (${findings.join('; ')})`);
}

/** The worker's prompt: first round (worker / executor template) or fix round (the feedback). */
export function workerPrompt(
  deps: RunDeps,
  spec: WorkerSpec,
  task: Task,
  st: TaskRuntimeState,
  cwd: string,
  round: number,
  emit?: (e: SwarmEvent) => void,
): string {
  const root = deps.root;
  const fix = !!st.pendingFeedback;
  const template = fix ? loadPrompt(root, 'fix') : loadPrompt(root, spec.role === 'executor' ? 'executor' : 'worker', spec.prompt);
  // Only the answer the user gave (sealed in the state), never one written into the task file.
  const answered = verifiedAnswer(task.id, st);
  if (task.answer && !answered)
    emit?.({
      type: 'decision_refused',
      taskId: task.id,
      source: task.file,
      reason: 'an answer in the task file that the user did not give was not passed to the agent',
    });
  const answer = answered ? `# Your earlier question, answered by the user\nQuestion: ${answered.question}\nAnswer: ${answered.text}\n` : '';
  return fillPrompt(template, {
    task_id: task.id,
    task_title: task.title,
    task_body: task.body,
    task_file: task.file,
    tasks_dir: deps.tasks.dir,
    worktree: cwd,
    branch: st.branch,
    base: deps.base,
    round,
    feedback: st.pendingFeedback,
    answer,
  });
}

/**
 * Refs are shared by every worktree, so an agent could move the base branch itself
 * (`git push . HEAD:main`, `git branch -f main`) and skip review. After each worker turn: the
 * agent's own unreviewed commits must not have reached the base. A user committing on the base
 * meanwhile is not that; any other move (back, sideways: maybe the user's amend or rebase) is not
 * blamed here: the merge queue's BaseWatch (base.ts) holds merges until the user accepts it.
 */
async function baseTampering(deps: RunDeps, before: string | undefined, branch: string): Promise<string[]> {
  const { git, base } = deps;
  const after = await git.readBranch(base);
  if (!before || !after || before === after) return [];
  const tip = await git.readBranch(branch);
  if (tip && !(await git.isAncestor(tip, before)) && (await git.isAncestor(tip, after)))
    return [`the agent's unreviewed commit ${tip.slice(0, 10)} was put on the base branch ${base} (now at ${after.slice(0, 10)}) outside the merge queue`];
  return [];
}

async function guardSnapshot(root: string): Promise<GuardSnapshot | undefined> {
  try {
    return await snapshotGitGuard(root);
  } catch {
    return undefined;
  }
}

/** A failed turn: keep the work, count the attempt, back to pending (or blocked after max_attempts). */
export async function failTask(ctx: RunContext, spec: WorkerSpec, task: Task, st: TaskRuntimeState, failure: AgentFailure): Promise<TaskOutcome> {
  st.attempts++;
  st.lastError = failure.message;
  ctx.emit({ type: 'task_failed', taskId: task.id, reason: failure.message });
  if (st.worktree && existsSync(st.worktree)) {
    await ctx.deps.worktrees.commitAll(st.worktree, `swarm: ${task.id}: work so far before a failed turn (${spec.id})`).catch(() => undefined);
  }
  const current = (await ctx.deps.tasks.read(task.id, 'current')) ?? task;
  if (st.attempts >= ctx.deps.config.limits.maxAttempts) {
    ctx.summary.failed.push(task.id);
    await ctx.flow.block(st, `The agent failed ${st.attempts} times (last: ${failure.message}). Fix the cause, then Retry.`);
  } else {
    await ctx.flow.returnToPending(current, st, `attempt ${st.attempts} failed: ${failure.message}`, { fresh: false });
  }
  return 'error';
}
