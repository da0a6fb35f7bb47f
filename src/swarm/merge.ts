// The merge queue: exactly the reviewed sha and tree, built off-tree.
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
//
// With a merge check (README, "Merge checks"; mergeCheck.ts) the base only ever points at a commit
// that passed it: the queue takes up to `merge_check.batch` waiting requests, builds their merge
// commits one on top of the other (each exactly as above), checks the last one in a scratch
// checkout, and moves the base from the sha the batch was built on to it only when the check passed
// and the base is still that sha (else it builds and checks again). A failing batch is split in
// halves, each checked on the base as it then is (bisection, as Bors does); a single change that
// fails goes back to its task (`check_failed`). Why batching and not speculative checks:
// docs/decisions.md.

import type { Git } from './git';
import { treeOfCommit } from './commitReads';
import { blobsNotMatchingIds, mergeObjectsNotMatchingIds, objectsNotMatchingIds, treesOnChangedPaths } from './rehash';
import { GitError } from './errors';
import { mainlineOf } from './mainline';
import { Mutex } from './util';
import { baseBusy, type BaseWatch } from './base';
import type { MergeCheckRecord } from './types';
import type { MergeChecker } from './mergeCheck';

export type MergeOutcome =
  | { kind: 'merged'; commit: string; check?: MergeCheckRecord }
  /** The merge check failed on the merge result (the base did not move). */
  | { kind: 'check_failed'; check: MergeCheckRecord }
  /** The run stopped during the merge check: the merge is still to do. */
  | { kind: 'aborted' }
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
  /** The run asking (its id and logs folder: the merge check's output goes there) and its stop signal. */
  run?: { id: string; logDir: string; signal?: AbortSignal; onCheck?: (taskIds: string[], sha: string) => void };
}

interface Waiting {
  req: MergeRequest;
  resolve: (o: MergeOutcome) => void;
}

/** Paths git names in "would be overwritten" errors (tab-indented lines). */
function filesFromMergeError(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /^\t/.test(l))
    .map((l) => l.trim())
    .filter(Boolean);
}

export class MergeQueue {
  private readonly lock = new Mutex();
  /** Requests waiting for the checked queue (only with a checker). */
  private readonly waiting: Waiting[] = [];
  private pumping = false;

  constructor(
    private readonly git: Git,
    readonly base: string,
    readonly watch?: BaseWatch,
    readonly checker?: MergeChecker,
  ) {}

  get baseRef(): string {
    return `refs/heads/${this.base}`;
  }

  /** Serialized: merges run strictly one after another, across every worker of the run. */
  merge(req: MergeRequest): Promise<MergeOutcome> {
    if (!this.checker) return this.lock.run(() => this.mergeNow(req));
    return new Promise((resolve) => {
      this.waiting.push({ req, resolve });
      void this.pump();
    });
  }

  /**
   * The commit of the base's own line that brought `sha` in (a merge with `sha` as a parent, or
   * `sha` itself), when there is one. Being an ancestor of the base is not enough: a branch that
   * grafted `sha` into its history and merged would make it one (mainline.ts).
   */
  async findMergeOf(sha: string): Promise<string | undefined> {
    const head = await this.git.readBranch(this.base);
    if (!head || !(await this.git.isAncestor(sha, head))) return undefined;
    return (await mainlineOf(this.git, head, sha)).mergedBy;
  }

  /** The reviewed content check (docs/security.md): an error outcome when `sha` is not what was reviewed. */
  private async notReviewed(req: MergeRequest): Promise<MergeOutcome | undefined> {
    if (!req.tree) return undefined;
    // Kept from the review step (commitReads.ts): the re-hash before the base moves catches a swapped commit.
    const tree = await treeOfCommit(this.git, req.sha);
    if (!tree) return { kind: 'error', message: `commit ${req.sha} does not exist` };
    if (tree !== req.tree)
      return { kind: 'error', message: `commit ${req.sha} has tree ${tree}, not the tree that was reviewed (${req.tree}); not merged: review it again` };
    return undefined;
  }

  /** Why the base cannot take a merge now (busy, missing, moved outside the queue), or its sha. */
  private async baseNow(): Promise<{ old: string } | { out: MergeOutcome }> {
    const busy = await baseBusy(this.git, this.base);
    if (busy) return { out: { kind: 'waiting_base', reason: busy } };
    const old = await this.git.readBranch(this.base);
    if (!old) return { out: { kind: 'error', message: `base branch "${this.base}" does not exist` } };
    const seen = await this.watch?.check(old);
    if (seen?.kind === 'moved') return { out: { kind: 'waiting_base', reason: seen.reason } };
    return { old };
  }

  /**
   * The merge commit of `req.sha` onto `onto` (the base, or the batch built so far on `old`), made
   * off-tree; or why not: already on the base `old`, a conflict, an error.
   */
  private async build(
    req: MergeRequest,
    old: string,
    onto: string,
    rehashAtMove = false,
  ): Promise<{ commit: string; tree: string; pathTrees?: string[] } | { out: MergeOutcome }> {
    // One git process answers both "already on the base?" (0) and "not yet" (1); anything else
    // (128: not a commit we have) is looked at more closely only then.
    const anc = await this.git.ancestry(req.sha, old);
    if (anc === undefined && !(await this.git.revParse(req.sha))) return { out: { kind: 'error', message: `commit ${req.sha} does not exist` } };
    // Where the change forked from the base's own line, and whether that line already brought it in
    // (mainline.ts: not "an ancestor of the base", which another branch's graft could make it).
    const line = await mainlineOf(this.git, onto, req.sha);
    if (anc === true && line.mergedBy) return { out: { kind: 'already_merged', commit: line.mergedBy } };
    // The change is the diff from that fork point to the sha — what the review showed. When the base
    // has moved since, git's merge base could be a commit the branch grafted in from another line
    // that has reached the base since: the 3-way merge would then take that line's work back out.
    // So the merge is made against the sha's tree on a commit whose only parent is the fork point.
    const theirs = line.fork && line.fork !== onto ? await this.git.commitTree(`${req.sha}^{tree}`, [line.fork], `reviewed change of ${req.taskId}`) : req.sha;
    const mt = await this.git.mergeTree(onto, theirs);
    if (mt.code === 1) {
      const files = mt.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .filter(Boolean);
      return { out: { kind: 'conflict', files: [...new Set(files)] } };
    }
    if (mt.code !== 0) return { out: { kind: 'error', message: `git merge-tree failed: ${mt.stderr.trim() || mt.stdout.trim()}` } };
    const tree = mt.stdout.split('\n')[0].trim();
    // What the merge brings in must be the bytes that were reviewed (docs/security.md). When the
    // base moves right after (`rehashAtMove`: no merge check waits), moveBase re-hashes these blobs
    // with everything the base gains, in one `cat-file --batch`.
    const swapped = rehashAtMove ? [] : await blobsNotMatchingIds(this.git, onto, tree);
    if (swapped.length)
      return {
        out: {
          kind: 'error',
          message: `not merged: the object store was tampered with — these files' stored bytes no longer match their ids: ${swapped.join(', ')}`,
        },
      };
    const message = `Merge task ${req.taskId}: ${req.title}\n\nReviewed-commit: ${req.sha}\n${req.branch ? `Branch: ${req.branch}\n` : ''}${req.extraMessage ?? ''}`;
    // With a merge check waiting before the move, the directories on the change's paths are re-hashed again at the move (kept diff: no process).
    return {
      commit: await this.git.commitTree(tree, [onto, req.sha], message),
      tree,
      pathTrees: rehashAtMove ? undefined : await treesOnChangedPaths(this.git, onto, tree),
    };
  }

  /**
   * Move the base from `old` to `commit` (a descendant): the checkout that has it fast-forwards, or a
   * compare-and-swap of the ref. `raced`: the base is no longer `old` (build again).
   */
  private async moveBase(
    taskId: string,
    old: string,
    commit: string,
    built?: { onto: string; tree: string },
    pathTrees: string[] = [],
  ): Promise<'moved' | 'raced' | { files: string[]; checkout: string } | { error: string }> {
    // Right before the move, after any wait (a merge check runs for minutes): every object the base
    // gains must still be the bytes that were built and checked (docs/security.md, merge integrity);
    // `built`: the build's re-hash of the blobs it brings in was left to here (same batch).
    const swapped = built
      ? await mergeObjectsNotMatchingIds(this.git, built.onto, built.tree, old, commit)
      : await objectsNotMatchingIds(this.git, old, commit, pathTrees);
    if (swapped.length)
      return { error: `not merged: the object store was tampered with — stored bytes no longer match their ids: ${swapped.slice(0, 20).join(', ')}` };
    const checkout = await this.git.checkoutOf(this.base);
    if (checkout) {
      // --no-overwrite-ignore: git would otherwise silently replace the user's ignored files
      // (a local config, a .env) with files of the same path the change adds.
      const r = await this.git.mergeFastForward(commit, checkout.path);
      if (r.code === 0) {
        await this.watch?.merged(old, commit);
        return 'moved';
      }
      const now = await this.git.readBranch(this.base);
      if (now !== old) return 'raced'; // the base moved under us (the user committed): compute again
      return { files: filesFromMergeError(r.stderr), checkout: checkout.path };
    }
    try {
      await this.git.updateRef(this.baseRef, commit, old, `swarm: merge ${taskId}`);
      await this.watch?.merged(old, commit);
      return 'moved';
    } catch (e) {
      if (e instanceof GitError) return 'raced'; // compare-and-swap lost: the base moved, compute again
      throw e;
    }
  }

  private async mergeNow(req: MergeRequest): Promise<MergeOutcome> {
    const bad = await this.notReviewed(req);
    if (bad) return bad;
    for (let attempt = 0; attempt < 5; attempt++) {
      const b = await this.baseNow();
      if ('out' in b) return b.out;
      const built = await this.build(req, b.old, b.old, true);
      if ('out' in built) return built.out;
      const moved = await this.moveBase(req.taskId, b.old, built.commit, { onto: b.old, tree: built.tree });
      if (moved === 'moved') return { kind: 'merged', commit: built.commit };
      if (moved === 'raced') continue;
      if ('error' in moved) return { kind: 'error', message: moved.error };
      return { kind: 'waiting_local_changes', ...moved };
    }
    return { kind: 'error', message: `the base branch "${this.base}" kept moving; gave up after 5 attempts` };
  }

  // --- with a merge check: batches ---------------------------------------------------------------

  /** Take batches off the waiting list, one at a time, until it is empty. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, this.checker!.batch);
        await this.lock
          .run(() => this.mergeChecked(batch))
          .catch((e: Error) => {
            for (const w of batch) w.resolve({ kind: 'error', message: `merge queue: ${e.message}` }); // a resolved one ignores it
          });
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Build the batch's merge commits on the base, check the last, move the base to it when it passed
   * and the base did not move; bisect a failing batch. Every request of `batch` is resolved, or put
   * back at the head of the waiting list (one that conflicts only with another of the batch).
   */
  private async mergeChecked(batch: Waiting[]): Promise<void> {
    let left: Waiting[] = [];
    for (const w of batch) {
      const bad = await this.notReviewed(w.req);
      if (bad) w.resolve(bad);
      else left.push(w);
    }
    for (let attempt = 0; attempt < 5 && left.length; attempt++) {
      const b = await this.baseNow();
      if ('out' in b) {
        for (const w of left) w.resolve(b.out);
        return;
      }
      const items: { w: Waiting; commit: string; pathTrees?: string[] }[] = [];
      const later: Waiting[] = [];
      let tip = b.old;
      for (const w of left) {
        const built = await this.build(w.req, b.old, tip);
        if ('commit' in built) {
          items.push({ w, commit: built.commit, pathTrees: built.pathTrees });
          tip = built.commit;
          continue;
        }
        // A conflict with another change of this batch is not this change's: it waits for the next batch.
        if (built.out.kind === 'conflict' && tip !== b.old) later.push(w);
        else w.resolve(built.out);
      }
      this.waiting.unshift(...later);
      if (!items.length) return;
      const first = items[0].w.req;
      first.run?.onCheck?.(
        items.map((i) => i.w.req.taskId),
        tip,
      ); // the Merge queue view says which batch is being checked
      const check = await this.checker!.run(tip, {
        taskIds: items.map((i) => i.w.req.taskId),
        runId: first.run?.id,
        logDir: first.run?.logDir,
        signal: first.run?.signal,
      });
      if (check === 'aborted') {
        for (const i of items) i.w.resolve({ kind: 'aborted' });
        return;
      }
      if (!check.ok) {
        if (items.length === 1) {
          items[0].w.resolve({ kind: 'check_failed', check });
          return;
        }
        // Bisect: each half on the base as it is then (the first half may merge meanwhile).
        const half = Math.ceil(items.length / 2);
        await this.mergeChecked(items.slice(0, half).map((i) => i.w));
        await this.mergeChecked(items.slice(half).map((i) => i.w));
        return;
      }
      const moved = await this.moveBase(
        items.map((i) => i.w.req.taskId).join(' '),
        b.old,
        tip,
        undefined,
        items.flatMap((i) => i.pathTrees ?? []),
      );
      if (moved === 'moved') {
        for (const i of items) i.w.resolve({ kind: 'merged', commit: i.commit, check });
        return;
      }
      if (moved !== 'raced' && 'error' in moved) {
        for (const i of items) i.w.resolve({ kind: 'error', message: moved.error });
        return;
      }
      if (moved !== 'raced') {
        for (const i of items) i.w.resolve({ kind: 'waiting_local_changes', ...moved });
        return;
      }
      left = items.map((i) => i.w); // the base moved while the check ran: build on it and check again
    }
    for (const w of left) w.resolve({ kind: 'error', message: `the base branch "${this.base}" kept moving; gave up after 5 attempts` });
  }
}
