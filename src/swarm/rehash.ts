// What the merge queue re-hashes (docs/security.md, "What merges is what was reviewed"): the blobs a
// change brings in with the directories on their paths, and the parse of one `git cat-file --batch
// -z` into objects whose bytes do or do not hash to their ids; the checks the merge queue (merge.ts)
// runs with them. The git commands are Git's (git.ts: changedBlobs, objectsGained, rehash).

import { createHash } from 'node:crypto';
import { isSha, type Git } from './git';

const FULL_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** One object of a re-hash: the name asked, the id git served, its type, whether its bytes hash to it. */
export interface Rehashed {
  name: string;
  id: string;
  type: string;
  matches: boolean;
  unread?: true;
}

/** The blobs a change brings in (id -> a path of it) and every directory on their paths. */
export interface BlobDiff {
  ids: Map<string, string>;
  dirs: Set<string>;
}

/** A BlobDiff from `[blob id, path]` records. */
export function blobDiff(records: Iterable<[string, string]>): BlobDiff {
  const d: BlobDiff = { ids: new Map(), dirs: new Set() };
  for (const [id, path] of records) {
    d.ids.set(id, path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) d.dirs.add(parts.slice(0, i).join('/'));
  }
  return d;
}

/**
 * `<tree>:<dir>` for each directory on the paths of `d`: a tree the base already has (a copied
 * directory) is left out by `rev-list <old>..<new>`, and its stored bytes could name another,
 * honestly hashed blob; asking it by path re-hashes the tree git walks to reach the change's files.
 */
export function treesOnPaths(tree: string, d: BlobDiff): string[] {
  return [...d.dirs].map((dir) => `${tree}:${dir}`);
}

/** The directories of treesOnPaths whose stored tree does not hash to its id (or is no tree). */
export function badPathTrees(objects: Rehashed[]): string[] {
  return objects
    .filter((o) => !FULL_ID.test(o.name) && (o.type !== 'tree' || !o.matches))
    .map((o) => `${o.name.slice(o.name.indexOf(':') + 1)}/ (${o.unread ? 'missing' : `tree ${o.id.slice(0, 12)} holds other bytes`})`);
}

/** The objects of a `git cat-file --batch -z` of `names`, in order, each re-hashed from its bytes. */
export function parseRehash(buf: Buffer, names: string[]): Rehashed[] {
  const objects: Rehashed[] = [];
  let pos = 0;
  while (pos < buf.length && objects.length < names.length) {
    const name = names[objects.length];
    const missing = Buffer.from(`${name} missing\n`); // the name as asked (a path may hold spaces)
    if (buf.subarray(pos, pos + missing.length).equals(missing)) {
      objects.push({ name, id: name, type: 'missing', matches: false, unread: true });
      pos += missing.length;
      continue;
    }
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const [id, type = 'unreadable', size] = buf.subarray(pos, nl).toString('utf8').split(' ');
    pos = nl + 1;
    if (type === 'missing' || !size) {
      objects.push({ name, id, type, matches: false, unread: true });
      continue;
    }
    const n = Number(size);
    const got = createHash(id.length === 64 ? 'sha256' : 'sha1')
      .update(`${type} ${n}\0`)
      .update(buf.subarray(pos, pos + n))
      .digest('hex');
    objects.push({ name, id, type, matches: got === id });
    pos += n + 1;
  }
  return objects;
}

const swappedBlob = (o: Rehashed, path: string | undefined): string =>
  o.type !== 'blob' ? `${path ?? o.id} (${o.id}: ${o.type})` : `${path ?? o.id} (object ${o.id.slice(0, 12)} holds other bytes)`;
const swappedObject = (o: Rehashed): string => (o.unread ? `${o.id} (${o.type})` : `${o.type} ${o.id.slice(0, 12)} holds other bytes`);

/**
 * The blobs that `to` has and `from` does not, re-hashed from their bytes: git trusts a loose
 * object's content without checking it against its id, so an agent that can write the object
 * store could swap the bytes of a reviewed blob and keep its id. Returns what does not match.
 */
export async function blobsNotMatchingIds(git: Git, from: string, to: string): Promise<string[]> {
  const d = await git.changedBlobs(from, to);
  if (!d.ids.size) return [];
  const { objects } = await git.rehash([...d.ids.keys(), ...treesOnPaths(to, d)]);
  return [
    ...objects.filter((o) => d.ids.has(o.name) && (o.type !== 'blob' || !o.matches)).map((o) => swappedBlob(o, d.ids.get(o.id))),
    ...badPathTrees(objects),
  ];
}

/**
 * The `<tree>:<dir>` names of the directories on the paths a change brings in: a tree the base
 * already has (a copied directory) is left out by `rev-list <old>..<new>`, so its stored bytes
 * could name another (honestly hashed) blob unseen; re-hashed with the blobs (docs/security.md).
 */
export async function treesOnChangedPaths(git: Git, from: string, to: string): Promise<string[]> {
  return treesOnPaths(to, await git.changedBlobs(from, to));
}

/**
 * blobsNotMatchingIds(blobsFrom, tree) and objectsNotMatchingIds(from, to) with one `git cat-file
 * --batch` for both (issue 17), for a merge that moves the base right after building it (nothing
 * waits between): the same objects re-hashed, at the later of the two moments. The swapped blobs
 * are named by path first.
 */
export async function mergeObjectsNotMatchingIds(git: Git, blobsFrom: string, tree: string, from: string, to: string): Promise<string[]> {
  const [blobs, gained] = await Promise.all([git.changedBlobs(blobsFrom, tree), git.objectsGained(from, to)]);
  const ids = new Set([...blobs.ids.keys(), ...gained]);
  if (!ids.size) return [];
  const { objects, failed } = await git.rehash([...ids, ...treesOnPaths(tree, blobs)]);
  const bad = [
    ...objects.filter((o) => blobs.ids.has(o.name) && (o.type !== 'blob' || !o.matches)).map((o) => swappedBlob(o, blobs.ids.get(o.id))),
    ...badPathTrees(objects),
    ...objects.filter((o) => isSha(o.name) && !blobs.ids.has(o.name) && !o.matches).map(swappedObject),
  ];
  if (bad.length === 0 && failed) bad.push(`git cat-file failed: ${failed}`);
  return bad;
}

/**
 * Every object `to` reaches and `from` does not (commits, trees, blobs: `rev-list --objects`),
 * re-hashed from the bytes git reads for it. A swapped subtree or commit keeps its id as a blob
 * does (docs/security.md): checked right before the base moves, after any wait (a merge check).
 */
export async function objectsNotMatchingIds(git: Git, from: string, to: string, pathTrees: string[] = []): Promise<string[]> {
  const ids = await git.objectsGained(from, to);
  if (!ids.length) return [];
  const { objects, failed } = await git.rehash([...ids, ...pathTrees]);
  const bad = [...badPathTrees(objects), ...objects.filter((o) => isSha(o.name) && !o.matches).map(swappedObject)];
  if (bad.length === 0 && failed) bad.push(`git cat-file failed: ${failed}`);
  return bad;
}
