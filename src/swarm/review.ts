// The review step: a turn's head is reviewed unless the diff is empty (nothing to merge: complete)
// or touches only task files (merged without review). The policy gate first, then the reviewer
// agent (or the user, in review mode human): approved → merge, changes asked → a fix round,
// rejected → back to pending (or blocked), no valid verdict or max rounds → the user decides.

import type { WorkerSpec } from './config';
import { authorizeMerge, sealRound, verifiedAnswer } from './approval';
import { accumulatedFeedback, NO_CHANGE_NOTE } from './flow';
import { guarded } from './guard';
import { guardViolation, overTaskBudget } from './work';
import { createHarness } from './harness';
import type { AgentTurnResult } from './harness/types';
import { changedBlobs, checkPolicy, mergesWithoutReview, readChanges, type ChangeSet } from './policy';
import { commitReads, keepChangedBlobs } from './commitReads';
import { fillPrompt, loadPrompt } from './prompts';
import { end, next, settled, type RunContext, type Step } from './runContext';
import { feedbackOf, parseVerdict } from './signals';
import type { ReviewRound, Task, TaskRuntimeState } from './types';
import { nowIso } from './util';

/** Which files changed between the merge base and the head; review them, or settle without review. */
export const reviewStep: Step = async (ctx, d) => {
  const { git, base, config } = ctx.deps;
  const { task, st } = d;
  const headSha = st.headSha ?? (await git.readBranch(st.branch!));
  if (!headSha) throw new Error(`branch ${st.branch} has no commit to review`);
  st.headSha = headSha;
  const baseTip = await git.readBranch(base); // a file read; the fork point by ids is shared with the conflict watch (Git.memo)
  const mb = (baseTip ? await git.mergeBase(baseTip, headSha) : undefined) ?? d.baseSha;
  const changes = await readChanges(git, mb, headSha); // one diff for this step, the tasks-only rule and the policy gate
  st.noChange = changes.raw.length ? undefined : true; // ready with no change is reviewed too (NO_CHANGE_NOTE)
  // tasks-only changes (every path, rename sources too, inside the tasks folder; policy gate passed)
  if (changes.raw.length && (await mergesWithoutReview(git, mb, headSha, config, changes))) {
    authorizeMerge(task.id, st, 'tasks-only');
    return next('merge');
  } // task-only diffs merge without review (authorized: docs/security.md)
  // No review of work built on a base move the user has not accepted (base.ts).
  const held = await ctx.deps.merges.watch?.holdsReview(headSha);
  if (held) {
    await ctx.flow.waitForBase(st, held, 'review');
    return settled(d);
  }
  ctx.setWorker(d.info, { state: 'reviewing', taskId: task.id });
  const verdict = await review(ctx, d.spec, task, st, mb, headSha, changes);
  if (verdict === 'budget') return settled(d);
  d.metrics.reviewRounds++;
  if (verdict === 'aborted') return end('aborted');
  if (verdict === 'approved') {
    authorizeMerge(task.id, st, 'reviewer');
    return next('merge');
  }
  if (verdict === 'fix') return next('work');
  if (verdict === 'rejected') d.metrics.rejections++;
  return settled(d); // rejected, or waiting for a human
};

/** Policy gate, then the reviewer (or the user). Returns what happens next. */
export async function review(
  ctx: RunContext,
  spec: WorkerSpec,
  task: Task,
  st: TaskRuntimeState,
  baseSha: string,
  sha: string,
  changes?: ChangeSet,
): Promise<'approved' | 'fix' | 'human' | 'rejected' | 'aborted' | 'budget'> {
  const { config, git } = ctx.deps;
  const round = st.rounds.length + 1;
  st.approval = undefined; // a new review round: only its own verdict (or yours) may authorize a merge
  await ctx.flow.transition(st, 'review', {}, `review round ${round}`);
  ctx.emit({ type: 'review_started', taskId: task.id, round, sha });
  const started = Date.now();
  changes ??= await readChanges(git, baseSha, sha);
  const { tree } = await commitReads(git, sha, changedBlobs(changes)); // the content reviewed is what may merge (merge.ts checks it); with the policy's sizes
  keepChangedBlobs(git, baseSha, tree, changes); // what the merge's blob re-hash re-hashes, when the base is still baseSha
  const record = async (r: Omit<ReviewRound, 'round' | 'sha' | 'base' | 'baseSha' | 'startedAt' | 'finishedAt' | 'durationMs'>) => {
    const full: ReviewRound = sealRound(task.id, {
      round,
      sha,
      tree,
      base: ctx.deps.base,
      baseSha,
      startedAt: new Date(started).toISOString(),
      finishedAt: nowIso(),
      durationMs: Date.now() - started,
      ...r,
    }); // sealed: docs/security.md
    // What the sandbox refused in the turns that made this commit goes with its round (not sealed: informational).
    if (st.sandboxDenied) {
      full.sandboxDenied = st.sandboxDenied;
      st.sandboxDenied = undefined;
    }
    st.rounds.push(full);
    await ctx.deps.state.writeTask(st);
    ctx.emit({ type: 'review_finished', taskId: task.id, round: full });
    return full;
  };
  const toHuman = async (agentVerdict: ReviewRound['verdict']) => {
    await ctx.flow.transition(st, 'askHuman', {}, st.noChange ? NO_CHANGE_NOTE : 'waiting for your review');
    ctx.emit({ type: 'human_review_requested', taskId: task.id, sha, agentVerdict });
    return 'human' as const;
  };

  const policy = await checkPolicy(git, baseSha, sha, config.policy, changes);
  if (policy.violations.length) {
    const feedback = `The policy gate stopped this change:\n${policy.violations.map((v) => `- ${v}`).join('\n')}`;
    if (config.policy.onViolation === 'reject') {
      await record({ by: 'policy', verdict: 'REJECTED', feedback, violations: policy.violations });
      await ctx.flow.reject(task, st, feedback);
      return 'rejected';
    }
    await record({ by: 'policy', verdict: null, feedback, violations: policy.violations });
    return toHuman(null);
  }
  if (config.review.mode === 'human') return toHuman(null);

  const reviewer = createHarness(config.review.harness, config, ctx.deps.harnessCtx);
  const diff = (changes ?? (await readChanges(git, baseSha, sha))).patch; // the same diff the policy gate read
  const capped = capDiff(diff, config.review.maxDiffBytes);
  const previous = accumulatedFeedback(st.rounds);
  const current = (await ctx.deps.tasks.read(task.id, 'current')) ?? task;
  const claimed = st.claimed ?? { title: task.title, body: task.body }; // not what the worker rewrote
  // The user's answer to the worker's question is part of what the change must do: the reviewer
  // gets it too, and only the sealed one (approval.ts), like the worker.
  const answered = verifiedAnswer(task.id, st);
  const prompt = fillPrompt(loadPrompt(ctx.deps.root, 'reviewer', config.review.prompt), {
    task_id: task.id,
    task_title: claimed.title,
    task_body: claimed.body,
    answer: answered ? `# The worker's question, answered by the user\nQuestion: ${answered.question}\nAnswer: ${answered.text}\n` : '',
    round,
    max_rounds: config.review.maxRounds,
    previous_feedback: previous ? `Feedback of earlier rounds (check it was addressed):\n${previous}\n` : '',
    base: ctx.deps.base,
    sha,
    diff: capped.text,
    diff_note: st.noChange ? NO_CHANGE_NOTE : capped.note,
  });
  const pool = ctx.pools.key(config.review.harness, config.review.model);
  let reply: AgentTurnResult | undefined;
  // Rate-limited reviewer turns in a row for this review: each waits for the pool's back-off, and
  // at limits.max_attempts the task waits for you (a reviewer over quota must not hold it forever).
  let rateLimited = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    await ctx.pools.gate(ctx.infos.get(spec.id)!, pool);
    if (ctx.signal.aborted) return 'aborted';
    if (await overTaskBudget(ctx, st, 'review')) return 'budget'; // the reviewer's turns count towards the task's budget
    // In a swarm-made checkout of the reviewed commit (never the worker's worktree), watched like a worker's turn.
    const { result: res, findings } = await guarded(ctx.deps.root, () =>
      ctx.deps.worktrees.withReviewCheckout(task.id, sha, { ...claimed, answer: answered }, (cwd, taskFile) =>
        ctx.turns.turn(spec.id, reviewer, 'reviewer', prompt, { task: current, cwd, taskFile, round, model: config.review.model, account: st }),
      ),
    );
    if (findings.length) await guardViolation(ctx, spec.id, 'reviewer', findings, st);
    if (res.failure?.kind === 'aborted' || ctx.signal.aborted) return 'aborted';
    if (res.failure) {
      ctx.pools.recordFailure(pool, res.failure);
      if (res.failure.kind === 'rate_limit') {
        if (++rateLimited < config.limits.maxAttempts) {
          attempt--;
          continue;
        }
        await record({
          by: 'agent',
          verdict: null,
          feedback: `The reviewer was rate limited ${rateLimited} times in a row (limits.max_attempts): ${res.failure.message}. Review it yourself, or retry when the reviewer's quota is back.`,
          diffTruncated: capped.truncated,
        });
        ctx.emit({
          type: 'log',
          level: 'warn',
          message: `${task.id}: the reviewer was rate limited ${rateLimited} times in a row (limits.max_attempts); waiting for you`,
        });
        return toHuman(null);
      }
      rateLimited = 0;
      if (res.failure.kind === 'missing_cli') {
        // Not the change's fault, and not for you to judge: the task waits for the reviewer, and says so.
        const waiting = `waiting for the reviewer: ${res.failure.message}`;
        ctx.emit({ type: 'log', level: 'warn', message: `${task.id}: ${waiting}` });
        await ctx.flow.transition(st, 'review', {}, waiting);
        attempt--;
        continue;
      }
      reply = res;
      continue;
    }
    reply = res;
    if (parseVerdict(res.reply)) break;
  }
  const verdict = reply && !reply.failure ? parseVerdict(reply.reply) : null;
  const feedback = reply
    ? reply.failure
      ? `The reviewer failed: ${reply.failure.message}`
      : feedbackOf(reply.reply) || '(no feedback)'
    : 'The reviewer did not run.';
  if (!verdict) {
    await record({
      by: 'agent',
      verdict: null,
      feedback: `${feedback}\n\n(The reviewer's reply did not end with a valid VERDICT line, so it is not an approval.)`,
      diffTruncated: capped.truncated,
    });
    return toHuman(null);
  }
  await record({ by: 'agent', verdict, feedback, diffTruncated: capped.truncated });
  if (verdict === 'APPROVED') return config.review.mode === 'agent+human' ? toHuman(verdict) : 'approved';
  if (verdict === 'REJECTED') {
    await ctx.flow.reject(task, st, feedback);
    return 'rejected';
  }
  if (round >= config.review.maxRounds) return toHuman(verdict);
  st.pendingFeedback = accumulatedFeedback(st.rounds);
  return 'fix';
}

/** Cut a diff to the reviewer's budget at a line boundary, saying so. */
export function capDiff(diff: string, maxBytes: number): { text: string; truncated: boolean; note: string } {
  const size = Buffer.byteLength(diff);
  if (size <= maxBytes) return { text: diff, truncated: false, note: '' };
  let cut = Buffer.from(diff).subarray(0, maxBytes).toString('utf8');
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')));
  const files = (diff.match(/^diff --git /gm) ?? []).length;
  const shown = (cut.match(/^diff --git /gm) ?? []).length;
  return {
    text: cut,
    truncated: true,
    note: `NOTE: the diff is ${size} bytes in ${files} files; only the first ${Buffer.byteLength(cut)} bytes (${shown} files) are shown below. Judge what you see and say that the rest was not reviewed.`,
  };
}
