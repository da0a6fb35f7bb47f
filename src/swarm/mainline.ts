// Where a task's commit stands to the base's own line — the base's first parents, which only the
// merge queue and the user extend (docs/security.md "What merges is what was reviewed", history).
// An agent writes its branch's whole history: it can graft another line into it (`git merge -s ours`
// with another task's unmerged head, or a branch of yours not yet merged). Git's merge base then
// follows that graft once the grafted line reaches the base, so the queue's 3-way merge would take
// the grafted head as the base of the change (and drop that line's work from the base), and "is it
// an ancestor of the base?" would call the grafted head merged. The fork point on the base's line
// and the base's own merges answer both without trusting the branch's history.

import type { Git } from './git';

export interface Mainline {
  /** The newest commit of the base's first-parent line that `sha` descends from (undefined: none). */
  fork?: string;
  /** The commit of that line that brought `sha` in: `sha` itself, or a commit with `sha` as a parent. */
  mergedBy?: string;
}

/**
 * One `git rev-list --first-parent --parents` from `head` down to the fork point: every commit of the base's line
 * that `sha` does not reach, with its parents. `sha` is on the line when the last of them has it as
 * its first parent (or `head` is `sha`); it was merged by one of them when it is one's parent.
 */
export async function mainlineOf(git: Git, head: string, sha: string): Promise<Mainline> {
  if (head === sha) return { fork: sha, mergedBy: sha };
  if (![head, sha].every((x) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(x))) return {}; // object ids only: never an option
  const r = await git.tryExec(['rev-list', '--first-parent', '--parents', head, '--not', sha, '--']);
  if (r.code !== 0) return {};
  const line = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(' '));
  // Nothing of the line is missing from sha's history: head is an ancestor of sha (or sha itself).
  if (!line.length) return { fork: head };
  const fork = line[line.length - 1][1]; // the first parent of the oldest commit the walk listed (none: unrelated)
  if (fork === sha) return { fork, mergedBy: sha };
  const by = line.filter((c) => c.slice(2).includes(sha)).pop();
  return { fork, ...(by ? { mergedBy: by[0] } : {}) };
}
