// A new worktree's environment (README "Worktree environment"): the files your checkout has but git
// does not (`.env`, `node_modules/`, local config) copied in, as listed by `.worktreeinclude` at
// the repository root (Claude Code's format: gitignore syntax) and config `worktree.include`; and
// the env additions of its port range (ports.ts). Reused for any checkout the swarm makes
// (a task's worktree, a scratch checkout for a merge check).
//
// The rules (docs/security.md, "Files copied into a worktree"):
// - only files git IGNORES in the worktree are copied (checked there, with the worktree's own
//   .gitignore files and info/exclude, not your global excludes): a copied file is never part of
//   a commit, whatever the agent runs (`git add -A`), and a tracked file is never touched;
// - nothing is overwritten: a path that exists in the worktree is left as it is;
// - a symbolic link is never followed: it is recreated as a link (its content is not copied) when
//   its target stays inside the worktree, and skipped otherwise (a link to ~/.ssh in your checkout
//   never puts a key where an agent reads); nor is a folder of the worktree that is a link (a
//   tracked `config -> /somewhere` on the branch) written through;
// - FIFOs, sockets and devices are skipped; regular files are cloned copy-on-write where the
//   filesystem can (reflink: btrfs, XFS, APFS), else copied.

import { promises as fs, constants as fsc, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Git } from './git';
import { readRegularFile } from './safefs';
import { portEnv, type PortRange } from './ports';

/** The file at the repository root that lists what a new worktree gets (Claude Code's name and format). */
export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';

export interface WorktreeEnvConfig {
  /** Extra patterns (config `worktree.include`), same syntax as `.worktreeinclude`. */
  include: string[];
  /** The checkout's port range: SWARM_PORT / SWARM_PORT_COUNT in `env`. */
  ports?: PortRange;
  /** Paths (relative to the repository root) never copied from: the swarm's own folders. Default `.swarm/`. */
  never?: string[];
}

export interface WorktreeEnvResult {
  /** Paths copied (files and recreated links), relative to the root. */
  copied: string[];
  /** Paths matched but not copied, with why. */
  skipped: { path: string; why: string }[];
  bytes: number;
  /** Whether files were cloned copy-on-write (undefined: nothing was copied). */
  reflink?: boolean;
  /** Environment additions for processes in this checkout (SWARM_PORT, SWARM_PORT_COUNT). */
  env: Record<string, string>;
}

/** Patterns of a `.worktreeinclude` text: gitignore syntax, blank lines and `#` comments dropped. */
export function parseIncludeFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() && !l.startsWith('#'));
}

const COPY_PARALLEL = 16;

/**
 * Copy the include files of `repoRoot` into the new checkout `worktreeDir` and return the env
 * additions. Never throws for one file (it is reported in `skipped`); throws only when git cannot
 * list the repository.
 */
export async function prepareWorktreeEnv(
  repoRoot: string,
  worktreeDir: string,
  config: WorktreeEnvConfig,
  git = new Git(repoRoot),
): Promise<WorktreeEnvResult> {
  const out: WorktreeEnvResult = { copied: [], skipped: [], bytes: 0, env: config.ports ? portEnv(config.ports) : {} };
  const patterns = [...config.include];
  const inc = await readRegularFile(join(repoRoot, WORKTREE_INCLUDE_FILE), 256 * 1024);
  if (inc.kind === 'text') patterns.push(...parseIncludeFile(inc.text));
  else if (inc.kind === 'skipped') out.skipped.push({ path: WORKTREE_INCLUDE_FILE, why: inc.note });
  if (!patterns.some((p) => !p.startsWith('!'))) return out;

  // Untracked files of your checkout matching the patterns (-o: never a tracked file).
  const listed = await git.filesMatching(patterns, { cwd: repoRoot });
  const never = (config.never ?? ['.swarm/']).map((p) => (p.endsWith('/') ? p : `${p}/`));
  const wtRel = relative(repoRoot, worktreeDir);
  if (wtRel && !wtRel.startsWith('..') && !isAbsolute(wtRel)) never.push(`${wtRel.split(sep).join('/')}/`);
  const candidates = listed.split('\0').filter((p) => p && !p.startsWith('.git/') && p !== WORKTREE_INCLUDE_FILE && !never.some((n) => p.startsWith(n)));
  if (!candidates.length) return out;

  const ignored = await ignoredIn(git, worktreeDir, candidates);
  const wanted: string[] = [];
  for (const p of candidates) {
    if (ignored.has(p)) wanted.push(p);
    else
      out.skipped.push({
        path: p,
        why: "not ignored by git in the worktree: an agent's `git add -A` would commit it (add it to .gitignore to have it copied)",
      });
  }

  // Folders first, one at a time, each checked to be a real folder of the worktree (never a link).
  const realDirs = new Set<string>(['.']);
  const badDirs = new Map<string, string>();
  const dirOk = async (relDir: string): Promise<string | undefined> => {
    if (realDirs.has(relDir)) return undefined;
    const known = badDirs.get(relDir);
    if (known) return known;
    const parentWhy = await dirOk(dirname(relDir));
    if (parentWhy) {
      badDirs.set(relDir, parentWhy);
      return parentWhy;
    }
    const abs = join(worktreeDir, relDir);
    let st: Stats | undefined;
    try {
      st = await fs.lstat(abs);
    } catch {
      /* absent */
    }
    if (!st) {
      try {
        await fs.mkdir(abs);
      } catch (e) {
        const why = `cannot make folder ${relDir}: ${(e as Error).message}`;
        badDirs.set(relDir, why);
        return why;
      }
    } else if (!st.isDirectory()) {
      const why = `${relDir} in the worktree is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; nothing is written through it`;
      badDirs.set(relDir, why);
      return why;
    }
    realDirs.add(relDir);
    return undefined;
  };
  const ready: string[] = [];
  for (const p of wanted) {
    const why = await dirOk(dirname(p));
    if (why) out.skipped.push({ path: p, why });
    else ready.push(p);
  }

  let reflink: boolean | undefined;
  const copyOne = async (p: string): Promise<void> => {
    const src = join(repoRoot, p);
    const dst = join(worktreeDir, p);
    let st: Stats;
    try {
      st = await fs.lstat(src);
    } catch {
      out.skipped.push({ path: p, why: 'gone from your checkout' });
      return;
    }
    if (await exists(dst)) {
      out.skipped.push({ path: p, why: 'already in the worktree (never overwritten)' });
      return;
    }
    if (st.isSymbolicLink()) {
      const target = await fs.readlink(src);
      const to = resolve(dirname(dst), target);
      const rel = relative(worktreeDir, to);
      if (isAbsolute(target) || rel.startsWith('..') || isAbsolute(rel)) {
        out.skipped.push({ path: p, why: `a symbolic link to ${target}, outside the worktree: not copied (the swarm never copies what a link points at)` });
        return;
      }
      await fs.symlink(target, dst);
      out.copied.push(p);
      return;
    }
    if (!st.isFile()) {
      out.skipped.push({ path: p, why: 'not a regular file (a FIFO, socket or device)' });
      return;
    }
    if (reflink === undefined) {
      // The first file says whether the filesystem clones: FICLONE_FORCE fails where it cannot.
      try {
        await fs.copyFile(src, dst, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE_FORCE);
        reflink = true;
        out.copied.push(p);
        out.bytes += st.size;
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          out.skipped.push({ path: p, why: 'already in the worktree (never overwritten)' });
          return;
        }
        reflink = false;
      }
    }
    try {
      await fs.copyFile(src, dst, fsc.COPYFILE_EXCL | (reflink ? fsc.COPYFILE_FICLONE : 0));
      out.copied.push(p);
      out.bytes += st.size;
    } catch (e) {
      out.skipped.push({
        path: p,
        why: (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'already in the worktree (never overwritten)' : `copy failed: ${(e as Error).message}`,
      });
    }
  };
  if (ready.length) {
    await copyOne(ready[0]);
  }
  for (let i = 1; i < ready.length; i += COPY_PARALLEL) await Promise.all(ready.slice(i, i + COPY_PARALLEL).map(copyOne));
  out.reflink = reflink;
  out.copied.sort();
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which of `paths` git ignores in the checkout `dir` (its .gitignore files and info/exclude; your
 * global excludes file is left out: an agent's git may not see it).
 */
async function ignoredIn(git: Git, dir: string, paths: string[]): Promise<Set<string>> {
  const all = await git.ignoredPaths(dir, paths);
  if (all) return all;
  // A path beyond a symbolic link in the checkout makes git refuse the whole list: ask one by one.
  const out = new Set<string>();
  for (const p of paths) {
    if (await git.isIgnored(dir, p)) out.add(p);
  }
  return out;
}

/** One line for the run's journal: what a new worktree got, and what was left out and why. */
export function describeEnv(taskId: string, r: WorktreeEnvResult): string {
  const mb = (r.bytes / 1e6).toFixed(1);
  const skipped =
    r.skipped
      .slice(0, 5)
      .map((s) => `${s.path} (${s.why})`)
      .join('; ') + (r.skipped.length > 5 ? `; and ${r.skipped.length - 5} more` : '');
  return `${taskId}: worktree environment: ${r.copied.length} file(s) copied from .worktreeinclude / worktree.include (${mb} MB${r.reflink ? ', copy-on-write' : r.reflink === false ? ', copied' : ''})${r.skipped.length ? `; not copied: ${skipped}` : ''}`;
}
