// Integration rounds (README, "Merge checks"): before a fix round caused by a merge conflict or a
// failed merge check, the swarm brings the current base into the task's branch in the task's own
// worktree — a merge commit; on a conflict the merge is left in progress with the conflict markers
// in the files for the agent to resolve (its commit, or the swarm's commit after its turn, finishes
// the merge). Never in the user's checkout. The prompt says what happened: the conflicted files,
// the check's output.
// Integrity (docs/security.md, "What merges is what was reviewed"): the merge commit made here is
// not approved by anything. The round that follows ends in a review of the branch's diff against
// the base as it is then (review.ts), so everything the merge brought — the base's own content is
// already on the base; a resolution is the agent's change — is reviewed before it can merge.

import type { RunContext, TaskDrive } from './runContext';

/** Bring the base into the task's branch when an integration round is due (st.integrate); say so in the fix prompt. */
export async function integrateBase(ctx: RunContext, d: TaskDrive): Promise<void> {
  const { st, task, worktree } = d;
  const due = st.integrate;
  if (!due) return;
  const { git, worktrees, base } = ctx.deps;
  const baseSha = await git.readBranch(base);
  if (!baseSha) throw new Error(`the base branch "${base}" does not exist`);
  // Whatever the agent left uncommitted first (the merge needs a clean tree), through the verified
  // worktree only (worktrees.ts, issue 12 rule 1); then the merge through the same admin dir.
  await worktrees.commitAll(worktree, `swarm: ${task.id}: work left before an integration round`, st.branch);
  const rec = await worktrees.verifyWorktree(worktree, st.branch);
  const env = { GIT_DIR: rec.admin, GIT_WORK_TREE: rec.real };
  const before = await git.head({ cwd: rec.real, env });
  const message = `swarm: ${task.id}: bring ${base} (${baseSha.slice(0, 10)}) in before a fix round`;
  const r = await git.mergeNoFf(baseSha, message, { cwd: rec.real, env });
  let conflicts: string[] = [];
  let failure: string | undefined;
  if (r.code !== 0) {
    conflicts = await git.unmergedPaths({ cwd: rec.real, env });
    if (!conflicts.length) {
      // Not a conflict (something else stopped git): leave the branch as it was.
      failure = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join('\n');
      await git.mergeAbort({ cwd: rec.real, env });
    }
  }
  const after = await git.head({ cwd: rec.real, env });
  const commit = !conflicts.length && !failure && after !== before ? after : undefined;
  ctx.emit({ type: 'integration_round', taskId: task.id, base, commit, conflicts, reason: due.reason });

  const why =
    due.reason === 'conflict'
      ? `Merging your approved change into ${base} conflicts in: ${due.files?.join(', ') || '(files git did not name)'}; ${base} was not changed.`
      : `Your approved change was merged into ${base} off to the side and the project's merge check failed on the result; ${base} was not changed. The check's output ended with:\n\n\`\`\`\n${due.output ?? ''}\n\`\`\``;
  let did: string;
  if (failure)
    did = `The swarm tried to bring ${base} (${baseSha.slice(0, 10)}) into your branch and git refused:\n${failure}\nBring it in yourself (\`git merge ${base}\`) and resolve what it says.`;
  else if (conflicts.length)
    did = `The swarm has started merging ${base} (${baseSha.slice(0, 10)}) into your branch: it conflicts in these files, which now hold conflict markers:\n${conflicts.map((f) => `- ${f}`).join('\n')}\nResolve every conflict (keep what both sides need), then commit to finish the merge.`;
  else if (commit)
    did = `The swarm merged ${base} (${baseSha.slice(0, 10)}) into your branch (commit ${commit.slice(0, 10)}), so your worktree now has everything on ${base}.`;
  else did = `Your branch already has everything on ${base} (${baseSha.slice(0, 10)}).`;
  const todo =
    due.reason === 'check'
      ? `\nMake the check pass on your branch with ${base} in it: the result must work with what others merged meanwhile (a renamed function, a changed interface).`
      : '';
  st.pendingFeedback = `${why}\n\n${did}${todo}`;
  st.integrate = undefined;
  await ctx.deps.state.writeTask(st);
}
