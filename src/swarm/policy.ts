// The policy gate, before any reviewer sees a change: deny globs, lines added, file sizes and
// binary files. Violations reject the round or hand it to the user (config `policy`).

import picomatch from 'picomatch';
import type { Git } from './git';
import type { ResolvedConfig } from './config';

export interface PolicyResult {
  violations: string[];
  /** Binary files found (allowed or not). */
  binaries: string[];
  linesAdded: number;
}

export async function checkPolicy(git: Git, baseSha: string, sha: string, policy: ResolvedConfig['policy']): Promise<PolicyResult> {
  const numstat = await git.exec(['diff', '--numstat', '-z', '--no-renames', baseSha, sha]);
  // nocase: `.ENV`, `KEY.PEM` or `Secrets/` are the same files on case-insensitive disks, and the
  // same intent anywhere.
  const deny = picomatch(policy.deny, { dot: true, nocase: true });
  const violations: string[] = [];
  const binaries: string[] = [];
  let linesAdded = 0;
  // The changed paths are the numstat's (same revisions, same --no-renames): no second diff.
  const changed = new Set<string>();
  // -z format: "added\tdeleted\tpath\0"
  for (const rec of numstat.split('\0')) {
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
  const tree = await git.exec(['ls-tree', '-r', '-l', '-z', sha]);
  for (const rec of tree.split('\0')) {
    const m = /^\d+ blob [0-9a-f]+\s+(\d+)\t(.*)$/s.exec(rec);
    if (m && changed.has(m[2]) && Number(m[1]) > policy.maxFileBytes) violations.push(`${m[2]}: ${m[1]} bytes, larger than policy.max_file_bytes (${policy.maxFileBytes})`);
  }
  return { violations, binaries, linesAdded };
}

/**
 * "Tasks-only changes merge without review" (docs/security.md) holds only when every path the
 * change touches is inside the tasks folder — both sides of a rename (`--no-renames` lists a rename
 * as its source deleted and its target added), no symlink or submodule among them — and the
 * policy gate passes.
 */
export async function mergesWithoutReview(git: Git, baseSha: string, sha: string, config: Pick<ResolvedConfig, 'tasksDir' | 'policy'>): Promise<boolean> {
  const prefix = `${config.tasksDir.replace(/\/+$/, '')}/`;
  // -z --raw: ":oldmode newmode oldblob newblob status\0path\0" per path.
  const parts = (await git.exec(['diff', '--raw', '-z', '--no-renames', '--no-abbrev', baseSha, sha])).split('\0');
  let paths = 0;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const head = parts[i];
    const path = parts[i + 1];
    if (!head.startsWith(':')) break;
    paths++;
    const newMode = head.slice(1).split(' ')[1];
    if (!path.startsWith(prefix)) return false;
    if (newMode === '120000' || newMode === '160000') return false;
  }
  if (!paths) return false;
  return (await checkPolicy(git, baseSha, sha, config.policy)).violations.length === 0;
}
