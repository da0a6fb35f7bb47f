// The policy gate, before any reviewer sees a change: deny globs, lines added, file sizes and
// binary files. Violations reject the round or hand it to the user (config `policy`).

import picomatch from 'picomatch';
import { isSha, type Git } from './git';
import { commitReads } from './commitReads';
import type { ResolvedConfig } from './config';

export interface PolicyResult {
  violations: string[];
  /** Binary files found (allowed or not). */
  binaries: string[];
  linesAdded: number;
}

/**
 * What a change touches, from ONE `git diff --raw --numstat --patch` (issue 17: the review step,
 * the tasks-only rule, the policy gate, the reviewer's diff and the conflict watch used to ask git
 * five times for the same diff). Keyed by the two commit ids (Git.memo): a new head of the agent's
 * branch is a new diff.
 */
export interface ChangeSet {
  /** Every changed path (--no-renames: a rename is its source deleted and its target added), with its new mode. */
  raw: { path: string; newMode: string; newBlob: string }[];
  /** The numstat records, "added\tdeleted\tpath" ("-" for binary files). */
  numstat: string[];
  /** The patch (`--no-renames`: a rename shows as its source deleted and its target added), as the reviewer reads it. */
  patch: string;
}

export function readChanges(git: Git, baseSha: string, sha: string): Promise<ChangeSet> {
  const ask = () => readChangesOnce(git, baseSha, sha);
  return isSha(baseSha) && isSha(sha) ? git.memo(`changes ${baseSha} ${sha}`, ask) : ask();
}

async function readChangesOnce(git: Git, baseSha: string, sha: string): Promise<ChangeSet> {
  // -z: ":oldmode newmode oldblob newblob status\0path\0" per path, then "added\tdeleted\tpath\0"
  // per path, then one more NUL and the patch (no path or record is empty, so the first "\0\0" is
  // where the patch starts; a patch holds no NUL: binary files are "Binary files differ").
  const all = await git.diffRecordsAndPatch(baseSha, sha);
  const cut = all.indexOf('\0\0');
  const parts = (cut < 0 ? all : all.slice(0, cut)).split('\0');
  const out: ChangeSet = { raw: [], numstat: [], patch: cut < 0 ? '' : all.slice(cut + 2) };
  let i = 0;
  for (; i + 1 < parts.length && parts[i].startsWith(':'); i += 2) {
    const f = parts[i].slice(1).split(' ');
    out.raw.push({ path: parts[i + 1], newMode: f[1], newBlob: f[3] });
  }
  for (; i < parts.length; i++) if (parts[i]) out.numstat.push(parts[i]);
  return out;
}

export async function checkPolicy(git: Git, baseSha: string, sha: string, policy: ResolvedConfig['policy'], changes?: ChangeSet): Promise<PolicyResult> {
  const c = changes ?? (await readChanges(git, baseSha, sha));
  const numstat = c.numstat;
  // nocase: `.ENV`, `KEY.PEM` or `Secrets/` are the same files on case-insensitive disks, and the
  // same intent anywhere.
  const deny = picomatch(policy.deny, { dot: true, nocase: true });
  const violations: string[] = [];
  const binaries: string[] = [];
  let linesAdded = 0;
  // The changed paths are the numstat's (same revisions, same --no-renames): no second diff.
  const changed = new Set<string>();
  // -z format: "added\tdeleted\tpath\0"
  for (const rec of numstat) {
    if (!rec) continue;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(rec);
    if (!m) continue;
    const [, add, , path] = m;
    changed.add(path);
    if (add === '-') binaries.push(path);
    else linesAdded += Number(add);
    if (deny(path)) violations.push(`${path}: matches a denied pattern (policy.deny)`);
  }
  if (linesAdded > policy.maxLinesAdded) violations.push(`${linesAdded} lines added, more than policy.max_lines_added (${policy.maxLinesAdded})`);
  if (binaries.length && policy.binary !== 'allow') violations.push(`binary files: ${binaries.join(', ')} (policy.binary is "${policy.binary}")`);
  // Sizes of the blobs the change brings in, with the review step's tree, from one cat-file (commitReads.ts).
  const { sizes } = await commitReads(git, sha, changedBlobs(c));
  for (const { path, newMode, newBlob } of c.raw) {
    const size = newMode === '160000' ? undefined : sizes.get(newBlob);
    if (size !== undefined && changed.has(path) && size > policy.maxFileBytes)
      violations.push(`${path}: ${size} bytes, larger than policy.max_file_bytes (${policy.maxFileBytes})`);
  }
  return { violations, binaries, linesAdded };
}

/**
 * "Tasks-only changes merge without review" (docs/security.md) holds only when every path the
 * change touches is inside the tasks folder — both sides of a rename (`--no-renames` lists a rename
 * as its source deleted and its target added), no symlink or submodule among them — and the
 * policy gate passes.
 */
export async function mergesWithoutReview(
  git: Git,
  baseSha: string,
  sha: string,
  config: Pick<ResolvedConfig, 'tasksDir' | 'policy'>,
  changes?: ChangeSet,
): Promise<boolean> {
  const prefix = `${config.tasksDir.replace(/\/+$/, '')}/`;
  const c = changes ?? (await readChanges(git, baseSha, sha));
  if (!c.raw.length) return false;
  for (const { path, newMode } of c.raw) {
    if (!path.startsWith(prefix)) return false;
    if (newMode === '120000' || newMode === '160000') return false;
  }
  return (await checkPolicy(git, baseSha, sha, config.policy, c)).violations.length === 0;
}

/** The blob ids a change brings in (deleted files and submodules left out), for commitReads. */
export function changedBlobs(changes: ChangeSet): string[] {
  return changes.raw.filter(bringsBlob).map((r) => r.newBlob);
}

/** Whether a raw record adds or changes a blob (not a deletion, not a submodule). */
export function bringsBlob(r: ChangeSet['raw'][number]): boolean {
  return r.newMode !== '160000' && isSha(r.newBlob) && !/^0+$/.test(r.newBlob);
}
