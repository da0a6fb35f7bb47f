// The merge's integrity checks (docs/security.md, merge integrity): git trusts a loose object's
// bytes without checking them against its id, so what a merge brings in is re-hashed from the
// bytes git serves (`git cat-file --batch`) before the base moves. Called by merge.ts.

import { createHash } from 'node:crypto';
import type { Git } from './git';

/**
 * The blobs that `to` has and `from` does not, re-hashed from their bytes: git trusts a loose
 * object's content without checking it against its id, so an agent that can write the object
 * store could swap the bytes of a reviewed blob and keep its id. Returns what does not match.
 */
export async function blobsNotMatchingIds(git: Git, from: string, to: string): Promise<string[]> {
  const parts = (await git.exec(['diff-tree', '-r', '--no-renames', '-z', from, to])).split('\0');
  const ids = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const m = /^:\d+ (\d+) \S+ ([0-9a-f]{40,64}) /.exec(parts[i]);
    if (m && m[1] !== '160000' && !/^0+$/.test(m[2])) ids.set(m[2], parts[i + 1]);
  }
  if (!ids.size) return [];
  const { objects } = await rehash(git, [...ids.keys()]);
  return objects.filter((o) => o.type !== 'blob' || !o.matches).map((o) => (o.type !== 'blob' ? `${ids.get(o.id) ?? o.id} (${o.id}: ${o.type})` : `${ids.get(o.id) ?? o.id} (object ${o.id.slice(0, 12)} holds other bytes)`));
}

/**
 * Every object `to` reaches and `from` does not (commits, trees, blobs: `rev-list --objects`),
 * re-hashed from the bytes git reads for it. A swapped subtree or commit keeps its id as a blob
 * does (docs/security.md): checked right before the base moves, after any wait (a merge check).
 */
export async function objectsNotMatchingIds(git: Git, from: string, to: string): Promise<string[]> {
  const list = await git.exec(['rev-list', '--objects', '--no-object-names', to, '--not', from]);
  const ids = [...new Set(list.split('\n').map((l) => l.trim()).filter((l) => /^[0-9a-f]{40,64}$/.test(l)))];
  if (!ids.length) return [];
  const { objects, failed } = await rehash(git, ids);
  const bad = objects.filter((o) => !o.matches).map((o) => (o.unread ? `${o.id} (${o.type})` : `${o.type} ${o.id.slice(0, 12)} holds other bytes`));
  if (bad.length === 0 && failed) bad.push(`git cat-file failed: ${failed}`);
  return bad;
}

/**
 * One `git cat-file --batch` of `ids`: each object's type and whether the bytes git serves for
 * it hash to its id (sha1 or sha256 by the id's length). A missing (or unreadable) object is `unread`.
 */
async function rehash(git: Git, ids: string[]): Promise<{ objects: { id: string; type: string; matches: boolean; unread?: true }[]; failed?: string }> {
  const r = await git.tryExec(['cat-file', '--batch'], { input: `${ids.join('\n')}\n` });
  const buf = r.stdoutBytes;
  const objects: { id: string; type: string; matches: boolean; unread?: true }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const [id, type = 'unreadable', size] = buf.subarray(pos, nl).toString('utf8').split(' ');
    pos = nl + 1;
    if (type === 'missing' || !size) { objects.push({ id, type, matches: false, unread: true }); continue; }
    const n = Number(size);
    const got = createHash(id.length === 64 ? 'sha256' : 'sha1').update(`${type} ${n}\0`).update(buf.subarray(pos, pos + n)).digest('hex');
    objects.push({ id, type, matches: got === id });
    pos += n + 1;
  }
  return { objects, failed: r.code !== 0 ? r.stderr.trim() : undefined };
}
