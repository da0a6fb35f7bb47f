// One place runs every git command (after VS Code's git extension): `Git.exec` → typed GitError
// whose `code` says what went wrong (GitErrorCode, read from git's stderr by classifyGitError), and
// every command the swarm runs is a named method of Git (no raw `git` argv outside this file; the
// two exceptions on purpose: guard.ts reads the config as the user's own git sees it, without these
// overrides, and preflight.ts asks `git --version` before anything else may run git).
// Mutations of shared git state (`worktree add`, ref moves) are serialized by the callers.

import { existsSync, promises as fs } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { execCollect } from './proc';
import { GitError } from './errors';
import { classifyGitError } from './gitErrors';
import { blobDiff, parseRehash, type BlobDiff, type Rehashed } from './rehash';
import { SAFE_CONFIG, NO_DIFF_PROGRAMS, DIFF_LIKE, driverOverrides, safeProcessEnv } from './gitEnv';

export interface GitExecOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not errors (e.g. merge-tree's 1 = conflicts). */
  okCodes?: number[];
  timeoutMs?: number;
}

export { SAFE_CONFIG, driverOverrides, safeGitEnv } from './gitEnv';

/** A fallback identity so swarm commits work on machines with no git user configured. */
export const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'Worktree Swarm',
  GIT_AUTHOR_EMAIL: 'swarm@localhost',
  GIT_COMMITTER_NAME: 'Worktree Swarm',
  GIT_COMMITTER_EMAIL: 'swarm@localhost',
};

/** A full commit (or object) id, sha1 or sha256: what `Git.memo` may key on. */
export const isSha = (s: string): boolean => /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s);
export { classifyGitError, type GitErrorCode } from './gitErrors';

/** Where a command runs: a checkout other than the root, extra environment (GIT_DIR, GIT_INDEX_FILE). */
export type GitAt = Pick<GitExecOptions, 'cwd' | 'env'>;

export class Git {
  private identityEnv: Record<string, string> | undefined;

  constructor(readonly root: string) {}

  async exec(args: string[], opts: GitExecOptions = {}): Promise<string> {
    const r = await this.tryExec(args, opts);
    if (r.code !== 0 && !(r.code !== null && opts.okCodes?.includes(r.code))) {
      const errLines = r.stderr.trim().split('\n');
      const first = errLines.find((l) => /^(fatal|error): /.test(l)) || errLines[0] || r.stdout.trim().split('\n')[0] || `exit ${r.code}`;
      throw new GitError(`git ${args.slice(0, 3).join(' ')}: ${first}`, args, r.code, r.stderr, r.stdout, classifyGitError(r.stderr, r.stdout));
    }
    return r.stdout;
  }

  /** Like exec, but returns the exit code and output instead of throwing. */
  async tryExec(args: string[], opts: GitExecOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string; stdoutBytes: Buffer }> {
    const env = safeProcessEnv({ ...this.identityEnv, ...opts.env });
    const cmd = DIFF_LIKE.has(args[0]) ? [args[0], ...NO_DIFF_PROGRAMS, ...args.slice(1)] : args;
    const r = await execCollect(['git', ...SAFE_CONFIG, ...(await this.driverArgs()), ...cmd], {
      cwd: opts.cwd ?? this.root,
      input: opts.input,
      env,
      timeoutMs: opts.timeoutMs ?? 120_000,
    });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, stdoutBytes: r.stdoutBytes };
  }

  /**
   * The blobs of `to`'s tree that differ from `from`'s, with their paths (submodules left out): what
   * the merge queue re-hashes (src/swarm/rehash.ts). Kept by ids (the review step's diff of the same
   * commit and tree seeds it: commitReads.ts); else asked.
   */
  changedBlobs(from: string, to: string): Promise<BlobDiff> {
    const ask = async () => {
      const parts = (await this.exec(['diff-tree', '-r', '--no-renames', '-z', from, to])).split('\0');
      const records: [string, string][] = [];
      for (let i = 0; i + 1 < parts.length; i += 2) {
        const m = /^:\d+ (\d+) \S+ ([0-9a-f]{40,64}) /.exec(parts[i]);
        if (m && m[1] !== '160000' && !/^0+$/.test(m[2])) records.push([m[2], parts[i + 1]]);
      }
      return blobDiff(records);
    };
    return isSha(from) && isSha(to) ? this.memo(`blob-diff ${from} ${to}`, ask) : ask();
  }

  /** Every object id `to` reaches and `from` does not (commits, trees, blobs: `rev-list --objects`). */
  async objectsGained(from: string, to: string): Promise<string[]> {
    const list = await this.exec(['rev-list', '--objects', '--no-object-names', to, '--not', from]);
    return [
      ...new Set(
        list
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /^[0-9a-f]{40,64}$/.test(l)),
      ),
    ];
  }

  /**
   * One `git cat-file --batch -z` of `names` (full ids, or `<tree>:<path>`): each object's type and
   * whether the bytes git serves for it hash to its id (sha1 or sha256 by the id's length), with
   * the name asked. A missing (or unreadable) object is `unread`.
   */
  async rehash(names: string[]): Promise<{ objects: Rehashed[]; failed?: string }> {
    const r = await this.tryExec(['cat-file', '--batch', '-z'], { input: `${names.join('\0')}\0` });
    const objects = parseRehash(r.stdoutBytes, names);
    return { objects, failed: r.code !== 0 ? r.stderr.trim() : undefined };
  }

  private drivers: { key: string; args: string[] } | undefined;

  /**
   * driverOverrides for the drivers configured now. Read again when the repository's config or
   * the user's global config changed (a stat each, no process); the guard reports who changed it.
   */
  private async driverArgs(): Promise<string[]> {
    const files = [
      this.commonDirCache ? join(this.commonDirCache, 'config') : join(this.root, '.git', 'config'),
      join(homedir(), '.gitconfig'),
      join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'git', 'config'),
    ];
    const key = (
      await Promise.all(
        files.map((f) =>
          fs.stat(f).then(
            (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
            () => '-',
          ),
        ),
      )
    ).join('|');
    if (this.drivers?.key === key) return this.drivers.args;
    const r = await execCollect(['git', ...SAFE_CONFIG, 'config', '--name-only', '--get-regexp', '^(filter|diff|merge)\\.'], {
      cwd: this.root,
      env: safeProcessEnv(),
      timeoutMs: 30_000,
    });
    const args = driverOverrides(r.exitCode === 0 ? r.stdout.split('\n') : []);
    this.drivers = { key, args };
    return args;
  }

  /** Env with a fallback author/committer when the repo has none configured (agents get it too). */
  async identity(): Promise<Record<string, string>> {
    if (this.identityEnv) return this.identityEnv;
    const name = await this.tryExec(['config', 'user.name']);
    const email = await this.tryExec(['config', 'user.email']);
    const env: Record<string, string> = {};
    if (!name.stdout.trim() && !process.env.GIT_AUTHOR_NAME)
      Object.assign(env, { GIT_AUTHOR_NAME: FALLBACK_IDENTITY.GIT_AUTHOR_NAME, GIT_COMMITTER_NAME: FALLBACK_IDENTITY.GIT_COMMITTER_NAME });
    if (!email.stdout.trim() && !process.env.GIT_AUTHOR_EMAIL)
      Object.assign(env, { GIT_AUTHOR_EMAIL: FALLBACK_IDENTITY.GIT_AUTHOR_EMAIL, GIT_COMMITTER_EMAIL: FALLBACK_IDENTITY.GIT_COMMITTER_EMAIL });
    this.identityEnv = env;
    return env;
  }

  private commonDirCache: string | undefined;

  /** The repository's common git dir (shared by every worktree). */
  async commonDir(): Promise<string> {
    if (!this.commonDirCache) this.commonDirCache = (await this.exec(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
    return this.commonDirCache;
  }

  /**
   * `first | second`, streamed (binary; nothing buffered here), both with the swarm's safe
   * configuration and environment, `first` with `firstEnv` on top; both killed after `timeoutMs`.
   * Throws a GitError naming the first command that failed.
   */
  async pipe(first: string[], firstInput: string, firstEnv: NodeJS.ProcessEnv, second: string[], timeoutMs: number): Promise<void> {
    const head = ['git', ...SAFE_CONFIG, ...(await this.driverArgs())];
    const a = spawn(head[0], [...head.slice(1), ...first], { cwd: this.root, env: safeProcessEnv(firstEnv), stdio: ['pipe', 'pipe', 'pipe'] });
    const b = spawn(head[0], [...head.slice(1), ...second], { cwd: this.root, env: safeProcessEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
    const ended = (c: ReturnType<typeof spawn>, args: string[]) =>
      new Promise<{ args: string[]; code: number | null; err: string }>((res) => {
        let err = '';
        c.stderr!.on('data', (d: Buffer) => {
          if (err.length < 65_536) err += d.toString();
        });
        c.on('error', (e) => {
          err += e.message;
        });
        c.on('close', (code) => res({ args, code, err }));
      });
    const done = Promise.all([ended(a, first), ended(b, second)]);
    a.stdout!.pipe(b.stdin!);
    for (const w of [a.stdin!, b.stdin!])
      w.on('error', () => {
        /* the other end exited: its stderr says why */
      });
    a.stdin!.end(firstInput);
    const timer = setTimeout(() => {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }, timeoutMs);
    const bad = (await done.finally(() => clearTimeout(timer))).find((r) => r.code !== 0);
    if (!bad) return;
    const line =
      bad.err.trim().split('\n').filter(Boolean).pop() ?? (bad.code === null ? `killed after ${Math.round(timeoutMs / 1000)} s` : `exit ${bad.code}`);
    throw new GitError(`git ${bad.args[0]}: ${line}`, bad.args, bad.code, bad.err, '', classifyGitError(bad.err));
  }

  /** The object ids a pack index lists (`git show-index`, the .idx bytes on stdin). */
  async showIndex(idx: Buffer): Promise<string[]> {
    return (await this.exec(['show-index'], { input: idx })).split('\n').flatMap((l) => /^\d+ ([0-9a-f]{40,64})\b/.exec(l)?.[1] ?? []);
  }

  /** Whether `sha` names a commit in the repository's store. */
  async hasCommit(sha: string): Promise<boolean> {
    return /^[0-9a-f]{40,64}$/.test(sha) && (await this.tryExec(['cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /**
   * Put a task branch back where it was before a turn whose objects were refused (importObjects),
   * and its worktree's index with it; the worktree's files stay (the swarm commits them itself).
   */
  async restoreBranch(branch: string, sha: string, worktree: string): Promise<void> {
    await this.exec(['update-ref', '--no-deref', `refs/heads/${branch}`, sha]); // the ref file itself, never what a symbolic ref there names
    await this.exec(['read-tree', sha], { cwd: worktree });
  }

  /** A branch's commit read from the ref files (no process); git itself when they do not say. */
  async readBranch(branch: string): Promise<string | undefined> {
    const ref = `refs/heads/${branch}`;
    try {
      const dir = await this.commonDir();
      let absent = false;
      const loose = (
        await fs.readFile(join(dir, ref), 'utf8').catch((e: NodeJS.ErrnoException) => {
          absent = e.code === 'ENOENT';
          return '';
        })
      ).trim();
      if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
      if (!loose) {
        const packed = await fs.readFile(join(dir, 'packed-refs'), 'utf8').catch(() => '');
        const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`) && /^[0-9a-f]{40,64} /.test(l));
        if (line) return line.split(' ')[0];
        // No loose ref, none packed, and the refs are files (no reftable): the branch does not
        // exist; git need not be asked (issue 17: one process fewer per new task branch).
        if (absent && !existsSync(join(dir, 'reftable'))) return undefined;
      }
    } catch {
      /* fall back to git */
    }
    return this.revParse(ref);
  }

  /**
   * The worktree where `branch` is checked out, if any. Usually the user's main checkout, read from
   * its HEAD file; otherwise git lists the worktrees (a branch is checked out in one at most).
   */
  async checkoutOf(branch: string): Promise<{ path: string } | undefined> {
    try {
      const dir = await this.commonDir();
      const head = (await fs.readFile(join(dir, 'HEAD'), 'utf8')).trim();
      if (head === `ref: refs/heads/${branch}` && basename(dir) === '.git') return { path: dirname(dir) };
    } catch {
      /* ask git */
    }
    return (await this.worktrees()).find((w) => w.branch === `refs/heads/${branch}`);
  }

  async revParse(rev: string, cwd?: string): Promise<string | undefined> {
    const r = await this.tryExec(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The tree of a commit (replace objects off, as for every command here). */
  async treeOf(rev: string): Promise<string | undefined> {
    const r = await this.tryExec(['rev-parse', '--verify', '--quiet', `${rev}^{tree}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    const r = await this.tryExec(['merge-base', '--is-ancestor', a, b]);
    return r.code === 0;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const ask = async () => {
      const r = await this.tryExec(['merge-base', a, b]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    };
    return isSha(a) && isSha(b) ? this.memo(`merge-base ${a} ${b}`, ask) : ask();
  }

  private readonly memos = new Map<string, Promise<unknown>>();

  /**
   * One answer shared by the steps that ask git the same thing about the same commits at about the
   * same time (issue 17: the review step and the conflict watch both want a new head's fork point
   * and changed files). Only for answers that depend on nothing but full commit ids (commits do not
   * change; a swapped object is caught by the re-hash before the base moves); the last 16 are
   * kept, a failure is not.
   */
  memo<T>(key: string, ask: () => Promise<T>): Promise<T> {
    const hit = this.memos.get(key) as Promise<T> | undefined;
    if (hit) {
      this.memos.delete(key);
      this.memos.set(key, hit);
      return hit;
    }
    const p = ask();
    this.memos.set(key, p);
    p.catch(() => this.memos.delete(key));
    while (this.memos.size > 16) this.memos.delete(this.memos.keys().next().value as string);
    return p;
  }

  async currentBranch(cwd?: string): Promise<string | undefined> {
    const r = await this.tryExec(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async countAhead(base: string, head: string): Promise<number> {
    const r = await this.tryExec(['rev-list', '--count', `${base}..${head}`]);
    return r.code === 0 ? Number(r.stdout.trim()) : 0;
  }

  /** `git status --porcelain` lines (untracked included), for a worktree or the user's checkout. */
  async status(cwd: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
    // GIT_OPTIONAL_LOCKS=0: a status refreshes the index under index.lock, which would make the
    // user's own git commands in that checkout fail now and then while the swarm polls it.
    const out = await this.exec(['status', '--porcelain=v1', '--untracked-files=all'], { cwd, env: { ...env, GIT_OPTIONAL_LOCKS: '0' } });
    return out.split('\n').filter(Boolean);
  }

  async worktrees(): Promise<{ path: string; head: string; branch?: string; bare: boolean; detached: boolean }[]> {
    const out = await this.exec(['worktree', 'list', '--porcelain']);
    const list: { path: string; head: string; branch?: string; bare: boolean; detached: boolean }[] = [];
    for (const block of out.split('\n\n')) {
      const lines = block.split('\n').filter(Boolean);
      if (!lines.length) continue;
      const wt = { path: '', head: '', branch: undefined as string | undefined, bare: false, detached: false };
      for (const l of lines) {
        if (l.startsWith('worktree ')) wt.path = l.slice(9);
        else if (l.startsWith('HEAD ')) wt.head = l.slice(5);
        else if (l.startsWith('branch ')) wt.branch = l.slice(7);
        else if (l === 'bare') wt.bare = true;
        else if (l === 'detached') wt.detached = true;
      }
      if (wt.path) list.push(wt);
    }
    return list;
  }

  async showFile(rev: string, path: string): Promise<string | undefined> {
    const r = await this.tryExec(['show', `${rev}:${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  // ---- Named commands (every git command the swarm runs outside this file is one of these) ----
  /** The top folder of the checkout this Git's root is in (rev-parse --show-toplevel), or git's complaint. */
  async topLevel(timeoutMs?: number): Promise<{ path: string } | { error: string }> {
    const r = await this.tryExec(['rev-parse', '--show-toplevel'], { timeoutMs });
    return r.code === 0 ? { path: r.stdout.trim() } : { error: r.stderr.trim() || 'git rev-parse failed' };
  }
  /** `git rev-parse HEAD` where `at` says (throws when there is no HEAD commit). */
  async head(at?: GitAt): Promise<string> {
    return (await this.exec(['rev-parse', 'HEAD'], at)).trim();
  }
  /** A config value as git reads it here ('' when unset). */
  async configValue(key: string): Promise<string> {
    return (await this.tryExec(['config', key])).stdout.trim();
  }
  /** The swarm's own diff of two commits (the text a reviewer and the review panel see). */
  diff(from: string, to: string, opts: { findRenames?: boolean } = {}): Promise<string> {
    return this.exec(['diff', ...(opts.findRenames ? ['--find-renames'] : []), from, to]);
  }
  /** `diff --raw --numstat --patch -z --no-renames` of two commits: the policy gate's records and the reviewer's patch in one process. */
  diffRecordsAndPatch(from: string, to: string): Promise<string> {
    return this.exec(['diff', '--raw', '--numstat', '--patch', '-z', '--no-renames', '--no-abbrev', from, to]);
  }
  /** The paths that differ between two commits (no rename detection). */
  async changedPaths(from: string, to: string): Promise<string[]> {
    return (await this.exec(['diff', '--name-only', '-z', '--no-renames', from, to])).split('\0').filter(Boolean);
  }
  /** `diff --name-status` lines of two commits ([] when git fails). */
  async nameStatus(from: string, to: string): Promise<string[]> {
    return (await this.tryExec(['diff', '--name-status', from, to])).stdout.split('\n').filter(Boolean);
  }
  /** The paths with unresolved conflicts in a checkout. */
  async unmergedPaths(at: GitAt): Promise<string[]> {
    return (await this.tryExec(['diff', '--name-only', '-z', '--diff-filter=U'], at)).stdout.split('\0').filter(Boolean);
  }
  /** `ls-tree -r -l -z` of a commit: "mode type id size\tpath" records, NUL-separated. */
  lsTreeSizes(rev: string, opts?: GitExecOptions): Promise<string> {
    return this.exec(['ls-tree', '-r', '-l', '-z', rev], opts);
  }
  /** The files of the checkout `cwd` matching `patterns` (gitignore syntax), untracked ones only or tracked ones too; NUL-separated. */
  filesMatching(patterns: string[], opts: GitExecOptions & { tracked?: boolean } = {}): Promise<string> {
    return this.exec(['ls-files', '-z', ...(opts.tracked ? ['--cached'] : []), '--others', '--ignored', ...patterns.map((p) => `--exclude=${p}`)], opts);
  }
  /** Which of `paths` the checkout `cwd` ignores (its .gitignore files and info/exclude; no global excludes file); undefined when git refuses the list. */
  async ignoredPaths(cwd: string, paths: string[]): Promise<Set<string> | undefined> {
    const r = await this.tryExec(['-c', 'core.excludesFile=/dev/null', 'check-ignore', '-z', '--stdin'], { cwd, input: `${paths.join('\0')}\0` });
    return r.code === 0 || r.code === 1 ? new Set(r.stdout.split('\0').filter(Boolean)) : undefined;
  }
  /** Whether the checkout `cwd` ignores `path` (as ignoredPaths, one path). */
  async isIgnored(cwd: string, path: string): Promise<boolean> {
    return (await this.tryExec(['-c', 'core.excludesFile=/dev/null', 'check-ignore', '-z', '--', path], { cwd })).code === 0;
  }
  /** The short names of the branches under `prefix` (e.g. refs/heads/swarm/). */
  async branchesUnder(prefix: string): Promise<string[]> {
    return (await this.exec(['for-each-ref', '--format=%(refname:short)', prefix])).split('\n').filter(Boolean);
  }
  /** "%ce\0%s" (or another format) of each commit in from..to, newest first ([] when git fails). */
  async logLines(from: string, to: string, format: string): Promise<string[]> {
    return (await this.tryExec(['log', `--format=${format}`, `${from}..${to}`])).stdout.split('\n').filter(Boolean);
  }
  /** Whether `a` is an ancestor of `b` in one process; undefined when git cannot tell (`a` is not a commit it has). */
  async ancestry(a: string, b: string): Promise<boolean | undefined> {
    const r = await this.tryExec(['merge-base', '--is-ancestor', a, b]);
    return r.code === 0 ? true : r.code === 1 ? false : undefined;
  }
  /** `merge-tree --write-tree --name-only --no-messages` (exit 1: conflicts); `-z` for NUL-separated paths. */
  mergeTree(a: string, b: string, opts: { z?: boolean } = {}): ReturnType<Git['tryExec']> {
    return this.tryExec(['merge-tree', '--write-tree', '--name-only', '--no-messages', ...(opts.z ? ['-z'] : []), a, b]);
  }
  /** A commit of `tree` with `parents` (no checkout, no hooks). */
  async commitTree(tree: string, parents: string[], message: string, at?: GitAt): Promise<string> {
    return (await this.exec(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], at)).trim();
  }
  /** Fast-forward the branch checked out in `cwd` to `commit`, never replacing ignored files. */
  mergeFastForward(commit: string, cwd: string): ReturnType<Git['tryExec']> {
    return this.tryExec(['merge', '--ff-only', '--no-overwrite-ignore', '--no-edit', '-q', commit], { cwd });
  }
  /** Merge `rev` into the checkout's branch with a merge commit (exit 1: conflicts, left in the checkout). */
  mergeNoFf(rev: string, message: string, at: GitAt): ReturnType<Git['tryExec']> {
    return this.tryExec(['merge', '--no-ff', '--no-edit', '-m', message, rev], at);
  }
  /** Give up a merge in progress in a checkout (its failure ignored). */
  async mergeAbort(at: GitAt): Promise<void> {
    await this.tryExec(['merge', '--abort'], at);
  }
  /** Move `ref` to `to` only when it is at `expected` ('' = only when it does not exist yet). */
  async updateRef(ref: string, to: string, expected: string, reflogMessage?: string): Promise<void> {
    await this.exec(['update-ref', ...(reflogMessage ? ['-m', reflogMessage] : []), ref, to, expected]);
  }
  /** Delete `ref` only when it is at `expected`. */
  async deleteRef(ref: string, expected: string): Promise<void> {
    await this.exec(['update-ref', '--no-deref', '-d', ref, expected]); // the ref itself, never what a symbolic ref there names
  }
  /** Stage everything in a checkout (untracked files included). */
  async addAll(at: GitAt): Promise<void> {
    await this.exec(['add', '-A'], at);
  }
  /** Commit what is staged, with no hooks. */
  async commit(message: string, at: GitAt): Promise<void> {
    await this.exec(['commit', '-q', '--no-verify', '-m', message], at);
  }
  /** Read `rev`'s tree into the index (`at.env` may name another index file). */
  async readTree(rev: string, at: GitAt): Promise<void> {
    await this.exec(['read-tree', rev], at);
  }
  /** The tree of the index. */
  async writeTree(at: GitAt): Promise<string> {
    return (await this.exec(['write-tree'], at)).trim();
  }
  /** A new worktree at `path`: `branch` checked out, made from `from` when given (a new branch). */
  async worktreeAdd(path: string, branch: string, from?: string): Promise<void> {
    await this.exec(from === undefined ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path, from]);
  }
  /** A new worktree at `path` with `sha` checked out, no branch. */
  async worktreeAddDetached(path: string, sha: string): Promise<void> {
    await this.exec(['worktree', 'add', '--detach', '-q', path, sha]);
  }
  /** Remove a worktree, its changes with it; `evenLocked` removes a locked one too. */
  async worktreeRemove(path: string, opts: { evenLocked?: boolean } = {}): Promise<void> {
    await this.exec(['worktree', 'remove', '--force', ...(opts.evenLocked ? ['--force'] : []), path]);
  }
  /** Forget worktrees whose folders are gone. */
  async worktreePrune(): Promise<void> {
    await this.exec(['worktree', 'prune']);
  }
}
