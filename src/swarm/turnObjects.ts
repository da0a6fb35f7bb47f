// A sandboxed turn's own git object store (docs/security.md, "The shared object store is
// read-only to a turn"): made before the turn, outside its temp folder (the turn sees it only as
// the mount over <common>/objects, so it cannot swap it for a link); imported re-hashed after it.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
export async function importTurnObjects(git: Git, commonDir: string, objects: string, branch: string | undefined, worktree: string, branchBefore: string | undefined): Promise<string[]> {
  const problems: string[] = [];
  try {
    await git.importObjects(objects);
  } catch (e) {
    problems.push(`the git objects this turn made were refused: ${(e as Error).message}`);
  }
  if (!branch) return problems;
  let tip: string | undefined;
  try { tip = readFileSync(join(commonDir, 'refs', 'heads', branch), 'utf8').trim(); } catch { /* packed or gone */ }
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
