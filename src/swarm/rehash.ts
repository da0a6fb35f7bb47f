// What the merge queue re-hashes (docs/security.md, "What merges is what was reviewed"): the blobs a
// change brings in with the directories on their paths, and the parse of one `git cat-file --batch
// -z` into objects whose bytes do or do not hash to their ids. Used by Git (git.ts).

import { createHash } from 'node:crypto';

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
