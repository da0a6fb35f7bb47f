// One place runs every git command (after VS Code's git extension): `Git.exec` → typed GitError.
// Mutations of shared git state (`worktree add`, ref moves) are serialized by the callers.

import { promises as fs } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { execCollect } from './proc';
import { GitError } from './errors';

export interface GitExecOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not errors (e.g. merge-tree's 1 = conflicts). */
  okCodes?: number[];
  timeoutMs?: number;
}

/**
 * Every git command of the swarm runs without hooks: hooks in a worktree may come from an agent's
 * branch (a tracked, relative core.hooksPath such as .husky), and the swarm never runs code an
 * agent wrote — not in a worktree, not in the user's checkout after a merge.
 */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

/** A fallback identity so swarm commits work on machines with no git user configured. */
export const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'Worktree Swarm',
  GIT_AUTHOR_EMAIL: 'swarm@localhost',
  GIT_COMMITTER_NAME: 'Worktree Swarm',
  GIT_COMMITTER_EMAIL: 'swarm@localhost',
};

export class Git {
  private identityEnv: Record<string, string> | undefined;

  constructor(readonly root: string) {}

  async exec(args: string[], opts: GitExecOptions = {}): Promise<string> {
    const r = await this.tryExec(args, opts);
    if (r.code !== 0 && !(r.code !== null && opts.okCodes?.includes(r.code))) {
      const errLines = r.stderr.trim().split('\n');
      const first = errLines.find((l) => /^(fatal|error): /.test(l)) || errLines[0] || r.stdout.trim().split('\n')[0] || `exit ${r.code}`;
      throw new GitError(`git ${args.slice(0, 3).join(' ')}: ${first}`, args, r.code, r.stderr, r.stdout);
    }
    return r.stdout;
  }

  /** Like exec, but returns the exit code and output instead of throwing. */
  async tryExec(args: string[], opts: GitExecOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = { ...process.env, ...this.identityEnv, ...opts.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    const r = await execCollect(['git', ...NO_HOOKS, ...args], { cwd: opts.cwd ?? this.root, input: opts.input, env, timeoutMs: opts.timeoutMs ?? 120_000 });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  /** Env with a fallback author/committer when the repo has none configured (agents get it too). */
  async identity(): Promise<Record<string, string>> {
    if (this.identityEnv) return this.identityEnv;
    const name = await this.tryExec(['config', 'user.name']);
    const email = await this.tryExec(['config', 'user.email']);
    const env: Record<string, string> = {};
    if (!name.stdout.trim() && !process.env.GIT_AUTHOR_NAME) Object.assign(env, { GIT_AUTHOR_NAME: FALLBACK_IDENTITY.GIT_AUTHOR_NAME, GIT_COMMITTER_NAME: FALLBACK_IDENTITY.GIT_COMMITTER_NAME });
    if (!email.stdout.trim() && !process.env.GIT_AUTHOR_EMAIL) Object.assign(env, { GIT_AUTHOR_EMAIL: FALLBACK_IDENTITY.GIT_AUTHOR_EMAIL, GIT_COMMITTER_EMAIL: FALLBACK_IDENTITY.GIT_COMMITTER_EMAIL });
    this.identityEnv = env;
    return env;
  }

  private commonDirCache: string | undefined;

  /** The repository's common git dir (shared by every worktree). */
  async commonDir(): Promise<string> {
    if (!this.commonDirCache) this.commonDirCache = (await this.exec(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
    return this.commonDirCache;
  }

  /** A branch's commit read from the ref files (no process); git itself when they do not say. */
  async readBranch(branch: string): Promise<string | undefined> {
    const ref = `refs/heads/${branch}`;
    try {
      const dir = await this.commonDir();
      const loose = (await fs.readFile(join(dir, ref), 'utf8').catch(() => '')).trim();
      if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
      if (!loose) {
        const packed = await fs.readFile(join(dir, 'packed-refs'), 'utf8').catch(() => '');
        const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`) && /^[0-9a-f]{40,64} /.test(l));
        if (line) return line.split(' ')[0];
      }
    } catch { /* fall back to git */ }
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
    } catch { /* ask git */ }
    return (await this.worktrees()).find((w) => w.branch === `refs/heads/${branch}`);
  }

  async revParse(rev: string, cwd?: string): Promise<string | undefined> {
    const r = await this.tryExec(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    const r = await this.tryExec(['merge-base', '--is-ancestor', a, b]);
    return r.code === 0;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const r = await this.tryExec(['merge-base', a, b]);
    return r.code === 0 ? r.stdout.trim() : undefined;
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
}
