// A task's branch the swarm has no record of making (docs/security.md, "Its own ref folder"): a
// worker may create branches in its own ref folder, `refs/heads/swarm/<worker>/`, including the
// branch of a task of the same worker not yet claimed — `ensure` (worktrees.ts) would continue it,
// and that task's agent would start from files of another turn's choosing. At a claim, a branch the
// task's state (`.swarm/tasks/<id>/state.json`, outside every turn's write set) does not record, and
// that has no worktree of the swarm's for this task, is moved aside to an archive ref (nothing is
// lost) and the task starts from the base.

import { existsSync } from 'node:fs';
import type { Git } from './git';
import { archiveRefFor, isSwarmBranch } from './worktrees';

/** Archive and remove `branch` when it exists without a record; returns the archive ref, if any. */
export async function setAsideStrayBranch(git: Git, worktreePath: string, taskId: string, branch: string): Promise<string | undefined> {
  if (!isSwarmBranch(branch) || existsSync(worktreePath)) return undefined;
  const tip = await git.readBranch(branch);
  if (!tip) return undefined;
  const archived = archiveRefFor(taskId, tip);
  await git.updateRef(archived, tip, ''); // '' : never over an existing archive
  await git.deleteRef(`refs/heads/${branch}`, tip);
  return archived;
}
