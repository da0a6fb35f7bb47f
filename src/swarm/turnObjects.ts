// A sandboxed turn's own git object store (docs/security.md, "The shared object store is
// read-only to a turn"): made before the turn, outside its temp folder (the turn sees it only as
// the mount over <common>/objects, so it cannot swap it for a link); imported re-hashed after it.

import { mkdirSync, mkdtempSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from './errors';
import type { Git } from './git';

/** A fresh object store whose alternate is `shared` (the path where the turn sees the shared store read-only). */
export function makeTurnObjects(shared: string): string {
  const objects = mkdtempSync(join(tmpdir(), 'swarm-objects-'));
  mkdirSync(shared, { recursive: true });
  mkdirSync(join(objects, 'info'));
  mkdirSync(join(objects, 'pack'));
  writeFileSync(join(objects, 'info', 'alternates'), `${shared}\n`);
  return objects;
}

/**
 * After the turn: its objects come in re-hashed (Git.importObjects); if they are refused, or its
 * branch names a commit that does not exist, the branch goes back to where it was (the ref file
 * itself, never through a symbolic ref) with its index. Returns what went wrong, for its log.
 */
export async function importTurnObjects(
  git: Git,
  commonDir: string,
  objects: string,
  branch: string | undefined,
  worktree: string,
  branchBefore: string | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  try {
    await importObjects(git, objects);
  } catch (e) {
    problems.push(`the git objects this turn made were refused: ${(e as Error).message}`);
  }
  if (!branch) return problems;
  let tip: string | undefined;
  try {
    tip = readFileSync(join(commonDir, 'refs', 'heads', branch), 'utf8').trim();
  } catch {
    /* packed or gone */
  }
  // A symbolic ref there is the worktree check's to refuse (worktrees.ts, branchRefProblems).
  if (!problems.length && (!tip || !/^[0-9a-f]{40,64}$/.test(tip) || (await git.hasCommit(tip)))) return problems;
  if (!problems.length) problems.push(`its branch ${branch} names a commit that does not exist (${tip!.slice(0, 12)})`);
  if (!branchBefore) return problems;
  await git.restoreBranch(branch, branchBefore, worktree).then(
    () => problems.push(`its branch ${branch} is back at ${branchBefore.slice(0, 12)}; the files it left are kept`),
    (err: Error) => problems.push(`its branch ${branch} could not be put back: ${err.message}`),
  );
  return problems;
}

/** At most this many packs come in from one turn (a turn's git makes one or two, if any). */
export const MAX_IMPORT_PACKS = 16;

/**
 * Bring the objects a sandboxed turn wrote into its own store into the repository's store, each
 * re-hashed and checked on the way in (`unpack-objects --strict`, `index-pack --strict` for many,
 * as git's receive-pack does): bytes that do not match their id, malformed trees and commits, or
 * links to objects that exist nowhere are refused. The turn's processes are gone; its store is
 * first reduced to loose objects and packs in regular files (turnObjectIds). Streamed, bounded in
 * time. Returns how many objects came in; throws a GitError when git refused them.
 */
export async function importObjects(git: Git, dir: string, timeoutMs = 10 * 60_000): Promise<number> {
  if (!(await fs.lstat(dir)).isDirectory()) throw new GitError(`the turn's object store ${dir} is not a folder`, ['import'], null, '', '', 'Unknown');
  const ids = await turnObjectIds(git, dir);
  if (!ids.length) return 0;
  const take = ids.length > 100 ? ['index-pack', '--stdin', '--strict'] : ['unpack-objects', '-q', '--strict'];
  const env = { GIT_OBJECT_DIRECTORY: dir, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(await git.commonDir(), 'objects') };
  await git.pipe(['pack-objects', '--stdout', '-q'], `${ids.join('\n')}\n`, env, take, timeoutMs);
  return ids.length;
}

/**
 * The ids of the objects stored in a turn's object store, after reducing it to what an object
 * store holds: loose objects (regular files under two-hex folders) and packs (regular files under
 * pack/). Everything else — links, FIFOs, info/ (alternates, commit graph), other files — is
 * removed first (never followed), so git reads nothing else when it packs them.
 */
async function turnObjectIds(git: Git, dir: string): Promise<string[]> {
  const ids = new Set<string>();
  const idx: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const kind = /^[0-9a-f]{2}$/.test(e.name) ? 'loose' : e.name === 'pack' ? 'pack' : undefined;
    if (!kind || !e.isDirectory()) {
      await fs.rm(p, { recursive: true, force: true });
      continue;
    }
    for (const f of await fs.readdir(p, { withFileTypes: true })) {
      if (!f.isFile()) {
        await fs.rm(join(p, f.name), { recursive: true, force: true });
        continue;
      }
      if (kind === 'loose' && /^[0-9a-f]{38}([0-9a-f]{24})?$/.test(f.name)) ids.add(e.name + f.name);
      if (kind === 'pack' && f.name.endsWith('.idx')) idx.push(join(p, f.name));
    }
  }
  if (idx.length > MAX_IMPORT_PACKS)
    throw new GitError(`the turn left ${idx.length} packs (at most ${MAX_IMPORT_PACKS} are taken in)`, ['import'], null, '', '', 'Unknown');
  for (const f of idx) for (const id of await git.showIndex(await fs.readFile(f))) ids.add(id);
  return [...ids];
}
