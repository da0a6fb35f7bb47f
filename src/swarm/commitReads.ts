// Reads of one commit that the review step, the policy gate and the merge queue share (issue 17):
// the commit's tree and the sizes of the blobs a change brings in, from ONE `git cat-file
// --batch-check`, kept in Git.memo by the commit's full id. They replace a `rev-parse <sha>^{tree}`
// of the review step, an `ls-tree -r -l` of the policy gate and the merge queue's second
// `rev-parse <sha>^{tree}` (docs/security.md, "what merges is what was reviewed").
//
// Only answers that depend on nothing but the commit id are kept: a commit's tree and a blob's size
// cannot change unless an agent rewrites the object store, and the merge queue re-hashes every
// object the base gains (the reviewed commit included) right before the base moves
// (objectsNotMatchingIds, rehash.ts), which catches that. Test: "a reviewer turn that swaps the stored
// bytes of the commit it reviews" (test/integration/engine-integrity.test.ts).

import { isSha, type Git } from './git';
import { bringsBlob, type ChangeSet } from './policy';
import { blobDiff } from './rehash';

export interface CommitReads {
  /** The commit's tree id; undefined when git does not have the commit. */
  tree?: string;
  /** Size in bytes of each blob asked for (undefined: git does not have it, or it is no blob). */
  sizes: Map<string, number | undefined>;
}

/** One `git cat-file --batch-check`: `<sha>^{tree}` and each of `blobs` (full ids: one per line, no path). */
async function batchCheck(git: Git, sha: string, blobs: string[]): Promise<CommitReads> {
  const ids = [...new Set(blobs.filter(isSha))];
  const r = await git.tryExec(['cat-file', '--batch-check'], { input: `${sha}^{tree}\n${ids.map((b) => `${b}\n`).join('')}` });
  if (r.code !== 0) throw new Error(`git cat-file --batch-check failed: ${r.stderr.trim()}`);
  const lines = r.stdout.split('\n');
  const [treeId, treeType] = (lines[0] ?? '').split(' ');
  const sizes = new Map<string, number | undefined>();
  ids.forEach((id, i) => {
    const [got, type, size] = (lines[i + 1] ?? '').split(' ');
    sizes.set(id, got === id && type === 'blob' && /^\d+$/.test(size ?? '') ? Number(size) : undefined);
  });
  return { tree: treeType === 'tree' && isSha(treeId) ? treeId : undefined, sizes };
}

/**
 * The tree of `sha` and the sizes of `blobs`: asked once per commit and kept (Git.memo); asked again
 * when a blob was not among those of the first ask.
 */
export async function commitReads(git: Git, sha: string, blobs: string[]): Promise<CommitReads> {
  if (!isSha(sha)) return batchCheck(git, sha, blobs);
  const kept = await git.memo(`reads ${sha}`, () => batchCheck(git, sha, blobs));
  return blobs.filter(isSha).every((b) => kept.sizes.has(b)) ? kept : batchCheck(git, sha, blobs);
}

/** The tree of commit `sha` (as Git.treeOf), from the kept reads when the review step made them. */
export async function treeOfCommit(git: Git, sha: string): Promise<string | undefined> {
  if (!isSha(sha)) return git.treeOf(sha);
  return (await git.memo(`reads ${sha}`, () => batchCheck(git, sha, [])).catch(() => undefined))?.tree ?? git.treeOf(sha);
}

/**
 * What the merge queue's blob re-hash asks first (blobsNotMatchingIds, rehash.ts: `diff-tree <onto> <tree>`),
 * known from the review step's diff when the base has not moved since: the blobs `changes` (the
 * diff of `fromSha` and the commit) brings in, by id, keyed by `fromSha` and the commit's `tree`.
 * The re-hash itself is still done right before the base moves (docs/security.md).
 */
export function keepChangedBlobs(git: Git, fromSha: string, tree: string | undefined, changes: ChangeSet): void {
  if (!tree || !isSha(fromSha) || !isSha(tree)) return;
  const d = blobDiff(changes.raw.filter(bringsBlob).map((r): [string, string] => [r.newBlob, r.path]));
  void git.memo(`blob-diff ${fromSha} ${tree}`, () => Promise.resolve(d));
}
