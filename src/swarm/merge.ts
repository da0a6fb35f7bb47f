// The merge queue: one merge at a time, exactly the reviewed sha and tree, built off-tree.
//   1. `git merge-tree --write-tree base sha` computes the merged tree without touching any checkout;
//      conflicts come back as file names and the base is untouched.
//   2. `git commit-tree` makes the merge commit (parents: base, sha).
//   3. If the base branch is checked out somewhere (usually the user's own tree), that checkout is
//      advanced with `git merge --ff-only`, which refuses atomically when the user's own edits are
//      in the way; then the task waits. Otherwise the ref moves with a compare-and-swap update-ref.
// Never reset --hard, checkout -f, clean or stash in anyone's checkout.
// Before each attempt (base.ts, issue 12 rules 2 and 9): a git operation of the user in progress on
// the base (rebase, merge, cherry-pick, revert, bisect) makes the merge wait, and so does a base that
// moved outside the queue until the user accepts it; after a merge the queue records the new base.

import type { Git } from './git';
import { GitError } from './errors';
import { Mutex } from './util';
import { baseBusy, type BaseWatch } from './base';

export type MergeOutcome =
  | { kind: 'merged'; commit: string }
  | { kind: 'already_merged'; commit: string }
  | { kind: 'conflict'; files: string[] }
  | { kind: 'waiting_local_changes'; files: string[]; checkout: string }
  /** The base is busy (the user's rebase, merge, ...) or moved outside the swarm; `reason` says which. */
  | { kind: 'waiting_base'; reason: string }
  | { kind: 'error'; message: string };

export interface MergeRequest {
  taskId: string;
  title: string;
  sha: string;
  branch?: string;
  extraMessage?: string;
  /** The tree of `sha` when it was reviewed: only that content merges (docs/security.md). */
  tree?: string;
}

/** Paths git names in "would be overwritten" errors (tab-indented lines). */
function filesFromMergeError(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\t/.test(l)).map((l) => l.trim()).filter(Boolean);
}

export class MergeQueue {
  private readonly lock = new Mutex();

  constructor(private readonly git: Git, readonly base: string, readonly watch?: BaseWatch) {}

  get baseRef(): string {
    return `refs/heads/${this.base}`;
  }

  /** Serialized: merges run strictly one after another, across every worker of the run. */
  merge(req: MergeRequest): Promise<MergeOutcome> {
    return this.lock.run(() => this.mergeNow(req));
  }

  /** The merge commit on the base that brought `sha` in, when it is there. */
  async findMergeOf(sha: string): Promise<string | undefined> {
    const head = await this.git.readBranch(this.base);
    if (!head || !(await this.git.isAncestor(sha, head))) return undefined;
    const out = await this.git.tryExec(['rev-list', '--ancestry-path', '--merges', '--reverse', `${sha}..${head}`]);
    return out.stdout.split('\n').find(Boolean) ?? sha;
  }

  private async mergeNow(req: MergeRequest): Promise<MergeOutcome> {
    if (req.tree) {
      const tree = await this.git.treeOf(req.sha);
      if (!tree) return { kind: 'error', message: `commit ${req.sha} does not exist` };
      if (tree !== req.tree) return { kind: 'error', message: `commit ${req.sha} has tree ${tree}, not the tree that was reviewed (${req.tree}); not merged: review it again` };
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const busy = await baseBusy(this.git, this.base);
      if (busy) return { kind: 'waiting_base', reason: busy };
      const old = await this.git.readBranch(this.base);
      if (!old) return { kind: 'error', message: `base branch "${this.base}" does not exist` };
      const seen = await this.watch?.check(old);
      if (seen?.kind === 'moved') return { kind: 'waiting_base', reason: seen.reason };
      // One git process answers both "already on the base?" (0) and "not yet" (1); anything else
      // (128: not a commit we have) is looked at more closely only then.
      const anc = await this.git.tryExec(['merge-base', '--is-ancestor', req.sha, old]);
      if (anc.code === 0) return { kind: 'already_merged', commit: (await this.findMergeOf(req.sha)) ?? old };
      if (anc.code !== 1 && !(await this.git.revParse(req.sha))) return { kind: 'error', message: `commit ${req.sha} does not exist` };

      const mt = await this.git.tryExec(['merge-tree', '--write-tree', '--name-only', '--no-messages', old, req.sha]);
      if (mt.code === 1) {
        const files = mt.stdout.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
        return { kind: 'conflict', files: [...new Set(files)] };
      }
      if (mt.code !== 0) return { kind: 'error', message: `git merge-tree failed: ${mt.stderr.trim() || mt.stdout.trim()}` };
      const tree = mt.stdout.split('\n')[0].trim();
      // What the merge brings in must be the bytes that were reviewed (docs/security.md).
      const swapped = await this.git.blobsNotMatchingIds(old, tree);
      if (swapped.length) return { kind: 'error', message: `not merged: the object store was tampered with — these files' stored bytes no longer match their ids: ${swapped.join(', ')}` };
      const message = `Merge task ${req.taskId}: ${req.title}\n\nReviewed-commit: ${req.sha}\n${req.branch ? `Branch: ${req.branch}\n` : ''}${req.extraMessage ?? ''}`;
      const commit = (await this.git.exec(['commit-tree', tree, '-p', old, '-p', req.sha, '-m', message])).trim();

      const checkout = await this.git.checkoutOf(this.base);
      if (checkout) {
        // --no-overwrite-ignore: git would otherwise silently replace the user's ignored files
        // (a local config, a .env) with files of the same path the change adds.
        const r = await this.git.tryExec(['merge', '--ff-only', '--no-overwrite-ignore', '--no-edit', '-q', commit], { cwd: checkout.path });
        if (r.code === 0) { await this.watch?.merged(old, commit); return { kind: 'merged', commit }; }
        const now = await this.git.readBranch(this.base);
        if (now !== old) continue; // the base moved under us (the user committed): compute again
        const files = filesFromMergeError(r.stderr);
        return { kind: 'waiting_local_changes', files, checkout: checkout.path };
      }
      try {
        await this.git.exec(['update-ref', '-m', `swarm: merge ${req.taskId}`, this.baseRef, commit, old]);
        await this.watch?.merged(old, commit);
        return { kind: 'merged', commit };
      } catch (e) {
        if (e instanceof GitError) continue; // compare-and-swap lost: the base moved, compute again
        throw e;
      }
    }
    return { kind: 'error', message: `the base branch "${this.base}" kept moving; gave up after 5 attempts` };
  }
}
