// One worktree per task on branch swarm/<worker>/<task>. `git worktree add` calls are serialized
// (they race on .git/worktrees). Removal never loses work: anything not on the base is kept under
// refs/swarm/archive/ first, and a dirty worktree is snapshotted into a commit without touching it.

import { promises as fs, existsSync, mkdirSync, appendFileSync, readFileSync, lstatSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute, dirname, resolve, basename } from 'node:path';
import { tmpdir } from 'node:os';
import type { Git } from './git';
import { GitError, WorktreeChangedError } from './errors';
import { Mutex } from './util';
import type { AgentSandbox } from './sandbox';
import { execCollect } from './proc';
import { prepareWorktreeEnv as prepareEnv, type WorktreeEnvResult } from './worktreeEnv';
import type { PortRange } from './ports';

export function branchFor(workerId: string, taskId: string): string {
  return `swarm/${workerId}/${taskId}`;
}

/** A branch in the swarm's namespace (swarm/<worker>/<task>). */
export function isSwarmBranch(branch: string): boolean {
  return /^swarm\/[^/]+\/[^/]+$/.test(branch);
}

/** A new archive ref name; the commit's short sha keeps two archives of one second apart. */
export function archiveRefFor(taskId: string, sha: string, when = new Date()): string {
  return `refs/swarm/archive/${taskId}/${when
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '$1Z')}-${sha.slice(0, 8)}`;
}

/** Disk use of a folder in bytes (files only, symlinks not followed). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await fs.stat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}

/** A folder whose .git file points at an existing worktree entry of some repository (read, no git process). */
function isLinkedWorktree(path: string): boolean {
  try {
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(join(path, '.git'), 'utf8'));
    return !!m && existsSync(m[1].trim());
  } catch {
    return false;
  }
}

/** What the swarm recorded about a worktree it made (or found intact), to compare before each write. */
interface WorktreeRecord {
  /** realpath of the worktree folder. */
  real: string;
  /** realpath of its admin dir, <common dir>/worktrees/<name>. */
  admin: string;
  branch: string;
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

function readText(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export class WorktreeManager {
  private readonly addLock = new Mutex();
  readonly dir: string;
  /** Worktrees verified in this process, by path: what they must still be before the swarm writes in them. */
  private readonly records = new Map<string, WorktreeRecord>();
  private realDirCache: string | undefined;

  constructor(
    private readonly git: Git,
    readonly root: string,
    worktreeDir: string,
    private readonly setup?: string[],
    private readonly sandbox?: AgentSandbox,
    private readonly include: string[] = [],
  ) {
    this.dir = isAbsolute(worktreeDir) ? worktreeDir : join(root, worktreeDir);
  }

  pathFor(taskId: string): string {
    return join(this.dir, taskId);
  }

  /** Keep .swarm/ (and an in-repo worktree dir) out of `git status` without editing the user's .gitignore. */
  async ensureExcluded(): Promise<void> {
    const gitDir = await this.git.commonDir();
    const exclude = join(gitDir, 'info', 'exclude');
    mkdirSync(join(gitDir, 'info'), { recursive: true });
    const text = existsSync(exclude) ? readFileSync(exclude, 'utf8') : '';
    const wanted = ['/.swarm/'];
    const rel = relative(this.root, this.dir);
    if (rel && !rel.startsWith('..') && !rel.startsWith('.swarm')) wanted.push(`/${rel}/`);
    const missing = wanted.filter((w) => !text.split('\n').includes(w));
    if (missing.length) appendFileSync(exclude, `${text && !text.endsWith('\n') ? '\n' : ''}# Worktree Swarm\n${missing.join('\n')}\n`);
  }

  /**
   * The task's worktree, creating it (and its branch from `baseSha`) when needed. An existing
   * branch is reused, so work of an interrupted run continues where it stopped. A new one gets its
   * environment first (worktreeEnv.ts: the include files, the port range's env), then the setup.
   */
  async ensure(
    taskId: string,
    branch: string,
    baseSha: string,
    onSetupLog?: string,
    ports?: PortRange,
  ): Promise<{ path: string; created: boolean; env?: WorktreeEnvResult }> {
    const path = this.pathFor(taskId);
    if (!isSwarmBranch(branch)) throw new Error(`branch "${branch}" is not the swarm's (swarm/<worker>/<task>): the swarm never works on it`);
    // Only `git worktree add` is serialized; the setup below (npm ci...) runs in parallel.
    const created = await this.addLock.run(async () => {
      if (existsSync(path) && (isLinkedWorktree(path) || (await this.git.worktrees()).some((w) => w.path === path))) return false;
      mkdirSync(this.dir, { recursive: true });
      const hasBranch = (await this.git.readBranch(branch)) !== undefined;
      const add = () => this.git.worktreeAdd(path, branch, hasBranch ? undefined : baseSha);
      try {
        await add();
      } catch (e) {
        // Registered by an earlier run but its folder is gone: forget it, then add again.
        if (!(e instanceof GitError && e.code === 'WorktreeMissingButRegistered')) throw e;
        await this.git.worktreePrune();
        await add();
      }
      return true;
    });
    // Issue 12 rule 1: an existing worktree is used only while it is still the one the swarm made
    // (an agent of an earlier turn or run may have replaced it); a new one is recorded as made.
    if (!created) {
      await this.verifyWorktree(path, branch);
      return { path, created: false };
    }
    await this.verifyWorktree(path, branch);
    const env = await this.prepareWorktreeEnv(path, onSetupLog, ports);
    if (!env.ok) {
      // Not usable as it is, and a later attempt must run the setup again: remove the worktree
      // just made (nothing of anyone's is in it yet; the branch keeps its commits).
      await this.git.worktreeRemove(path).catch(() => undefined);
      throw new Error(env.message);
    }
    return { path, created: true, env: env.env };
  }

  /**
   * Make a fresh checkout ready to work or test in: the task worktrees (ensure) and the merge
   * check's scratch checkout (mergeCheck.ts) both get it. The ignored files of `.worktreeinclude`
   * and `worktree.include` copied in, the port range's env (src/swarm/worktreeEnv.ts), then the
   * `setup` command, sandboxed like an agent turn (it runs the branch's own scripts: it writes the
   * checkout, its git data and temp; the network is shared for package registries).
   */
  async prepareWorktreeEnv(
    path: string,
    logFile?: string,
    ports?: PortRange,
    role: 'setup' | 'check' = 'setup',
  ): Promise<{ ok: true; env: WorktreeEnvResult } | { ok: false; message: string }> {
    let env: WorktreeEnvResult;
    try {
      env = await prepareEnv(this.root, path, { include: this.include, ports, never: ['.swarm/', relative(this.root, this.dir)] }, this.git);
    } catch (e) {
      return { ok: false, message: `worktree environment: ${(e as Error).message}` };
    }
    if (!this.setup) return { ok: true, env };
    const setupEnv = { ...process.env, ...env.env };
    // In a merge check's scratch checkout the setup gets the check's policy (no object store, no network).
    const prepared = await this.sandbox?.prepare({ role, cwd: path, harness: 'setup', env: setupEnv }, this.setup);
    const r = await execCollect(prepared?.argv ?? this.setup, { cwd: path, timeoutMs: 30 * 60_000, env: setupEnv }).finally(() => prepared?.dispose());
    if (logFile) {
      await fs.mkdir(dirname(logFile), { recursive: true }).catch(() => undefined); // the run's logs/ may not exist yet
      await fs.appendFile(logFile, `$ ${this.setup.join(' ')}\n${r.stdout}${r.stderr}`).catch(() => undefined);
    }
    if (r.exitCode === 0) return { ok: true, env };
    return {
      ok: false,
      message: `worktree setup command ${JSON.stringify(this.setup.join(' '))} failed with ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
    };
  }

  /** Folder of the reviewers' checkouts (issue 12 rule 4): inside .swarm/, which no agent is given. */
  get reviewDir(): string {
    return join(this.root, '.swarm', 'review');
  }

  /**
   * A detached checkout of exactly `sha` for a reviewer to run in (issue 12 rule 4): the worker's
   * own worktree may hold anything it left there (ignored files, notes, programs), and a daemon of
   * it could still write there. Made fresh for each review, removed by removeReviewCheckout.
   */
  async addReviewCheckout(taskId: string, sha: string): Promise<string> {
    return this.addScratchCheckout(this.reviewDir, `${taskId}-${sha.slice(0, 12)}`, sha);
  }

  /** A fresh detached checkout of `sha` at <dir>/<name> (a reviewer's, the merge check's); removed with removeReviewCheckout. */
  async addScratchCheckout(dir: string, name: string, sha: string): Promise<string> {
    const path = join(dir, name);
    await this.addLock.run(async () => {
      if (existsSync(path)) await this.removeReviewCheckout(path);
      mkdirSync(dir, { recursive: true });
      await this.git.worktreeAddDetached(path, sha);
    });
    return path;
  }

  /**
   * Run `fn` (a reviewer's turn) in a fresh checkout of `sha`, with the task text as claimed in a
   * file beside it (for SWARM_TASK_FILE); both are removed afterwards, whatever happens.
   */
  async withReviewCheckout<T>(
    taskId: string,
    sha: string,
    claimed: { title: string; body: string; answer?: { question: string; text: string } },
    fn: (cwd: string, taskFile: string) => Promise<T>,
  ): Promise<T> {
    const cwd = await this.addReviewCheckout(taskId, sha);
    const taskFile = `${cwd}.task.md`;
    try {
      await fs.writeFile(taskFile, reviewTaskText(claimed));
      return await fn(cwd, taskFile);
    } finally {
      await this.removeReviewCheckout(cwd).catch(() => undefined);
      await fs.rm(taskFile, { force: true });
    }
  }

  /** Remove a reviewer's checkout (whatever the reviewer left in it goes with it). */
  async removeReviewCheckout(path: string): Promise<void> {
    // A link (or a file) put there by anyone is removed itself, never followed: `git worktree
    // remove` would resolve a link to another worktree and delete that one.
    const st = await fs.lstat(path).catch(() => undefined);
    if (!st) return;
    if (!st.isDirectory()) {
      await fs.rm(path, { force: true });
      return;
    }
    const removed = await this.git.worktreeRemove(path, { evenLocked: true }).then(
      () => true,
      () => false,
    );
    if (!removed || existsSync(path)) {
      await fs.rm(path, { recursive: true, force: true });
      await this.git.worktreePrune().catch(() => undefined);
    }
  }

  /** Reviewer checkouts an interrupted run left behind (recovery). Returns the paths removed. */
  async removeStaleReviewCheckouts(): Promise<string[]> {
    const names = await fs.readdir(this.reviewDir).catch(() => [] as string[]);
    for (const n of names) {
      if (n.endsWith('.task.md')) await fs.rm(join(this.reviewDir, n), { force: true });
      else await this.removeReviewCheckout(join(this.reviewDir, n));
    }
    return names.map((n) => join(this.reviewDir, n));
  }

  /**
   * The checks of issue 12 rule 1, before the swarm writes in a worktree: the folder is still the one
   * it made (not a symlink, same realpath), its `.git` file still points at the swarm's admin dir
   * (<common dir>/worktrees/<name>, which still points back at the folder and at this repository),
   * and HEAD is still the task branch. Read from the files, not through git (which would follow
   * whatever the `.git` file now says). Throws WorktreeChangedError naming each difference;
   * returns the record to write through.
   */
  async verifyWorktree(path: string, branch?: string): Promise<WorktreeRecord> {
    const rec = this.records.get(path);
    const want = branch ?? rec?.branch;
    const changes: string[] = [];
    const common = realOrUndefined(await this.git.commonDir()) ?? (await this.git.commonDir());
    let st: import('node:fs').Stats | undefined;
    try {
      st = lstatSync(path);
    } catch {
      /* gone */
    }
    if (!st) throw new WorktreeChangedError(path, ['the worktree folder is gone']);
    if (st.isSymbolicLink()) changes.push(`the worktree folder was replaced by a symbolic link to ${realOrUndefined(path) ?? '(a missing target)'}`);
    else if (!st.isDirectory()) changes.push('the worktree folder was replaced by a file');
    const real = realOrUndefined(path);
    // Under the swarm's worktree folder: its realpath as first seen; elsewhere (a worktree git lists
    // that cleanup looks at): only the last component is checked, above.
    const rel = relative(this.dir, path);
    const inside = !!rel && !rel.startsWith('..') && !isAbsolute(rel);
    const expectedReal = rec?.real ?? (inside ? join(this.realDir(), rel) : join(realOrUndefined(dirname(path)) ?? dirname(path), basename(path)));
    if (!st.isSymbolicLink() && real !== expectedReal)
      changes.push(`the worktree folder now resolves to ${real} instead of ${expectedReal} (a folder above it was replaced)`);
    const dotGit = join(path, '.git');
    let gitStat: import('node:fs').Stats | undefined;
    try {
      gitStat = lstatSync(dotGit);
    } catch {
      /* missing */
    }
    let admin: string | undefined;
    if (!gitStat) changes.push('its .git file is gone');
    else if (!gitStat.isFile())
      changes.push(
        `its .git is no longer a file pointing at the swarm's worktree entry (it is a ${gitStat.isSymbolicLink() ? 'symbolic link' : gitStat.isDirectory() ? 'directory: a repository of its own' : 'special file'})`,
      );
    else {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '');
      const target = m ? resolve(path, m[1]) : undefined;
      admin = target ? realOrUndefined(target) : undefined;
      const wanted = rec?.admin;
      if (!m) changes.push('its .git file no longer says "gitdir: ..."');
      else if (!admin || dirname(admin) !== join(common, 'worktrees') || (wanted && admin !== wanted)) {
        changes.push(`its .git file now points at ${m[1]} instead of ${wanted ?? join(common, 'worktrees', '<name>')}`);
        admin = undefined;
      }
    }
    if (admin) {
      const back = (readText(join(admin, 'gitdir')) ?? '').trim();
      if (back && real && realOrUndefined(dirname(resolve(admin, back))) !== real)
        changes.push(`the worktree entry ${basename(admin)} now points at ${back} instead of this folder`);
      const cd = (readText(join(admin, 'commondir')) ?? '').trim();
      if (cd && realOrUndefined(resolve(admin, cd)) !== common) changes.push(`the worktree entry ${basename(admin)} now belongs to another repository (${cd})`);
      const head = (readText(join(admin, 'HEAD')) ?? '').trim();
      const headRef = /^ref:\s*(\S+)$/.exec(head)?.[1];
      if (want && headRef !== `refs/heads/${want}`)
        changes.push(
          `its HEAD is ${headRef ? `on ${headRef}` : `detached at ${head.slice(0, 10) || '(nothing)'}`} instead of the task branch refs/heads/${want}`,
        );
      if (!want && !headRef?.startsWith('refs/heads/swarm/')) changes.push(`its HEAD is ${headRef ? `on ${headRef}` : 'detached'}, not on a swarm branch`);
    }
    // Its branch must stay a plain ref holding a commit id: a symbolic ref ("ref: refs/heads/main")
    // or a link there would make the swarm's own commit, and the branch's deletion, act on the base.
    if (want) changes.push(...branchRefProblems(common, want));
    if (changes.length) throw new WorktreeChangedError(path, changes);
    const record: WorktreeRecord = {
      real: real!,
      admin: admin!,
      branch: want ?? (readText(join(admin!, 'HEAD')) ?? '').trim().replace(/^ref:\s*refs\/heads\//, ''),
    };
    this.records.set(path, record);
    return record;
  }

  /** realpath of the worktree folder, fixed the first time it is asked (before any agent turn of this process). */
  private realDir(): string {
    if (!this.realDirCache) {
      mkdirSync(this.dir, { recursive: true });
      this.realDirCache = realpathSync(this.dir);
    }
    return this.realDirCache;
  }

  /**
   * Commit whatever the agent left uncommitted (untracked files included); returns the branch head.
   * Only in a worktree that passes verifyWorktree, through its verified admin dir (GIT_DIR), so git
   * does not follow a `.git` file changed since; the branch must be where the commit went.
   */
  async commitAll(path: string, message: string, branch?: string): Promise<string> {
    const rec = await this.verifyWorktree(path, branch);
    const env = { GIT_DIR: rec.admin, GIT_WORK_TREE: rec.real };
    const status = await this.git.status(rec.real, env);
    if (status.length) {
      await this.git.addAll({ cwd: rec.real, env });
      await this.git.commit(message, { cwd: rec.real, env });
    }
    // HEAD was verified (above) to be the task branch, and git committed through that admin dir:
    // the branch tip is the head. The HEAD file is read again (not git: issue 17) to be sure.
    const headNow = (readText(join(rec.admin, 'HEAD')) ?? '').trim();
    const tip = await this.git.readBranch(rec.branch);
    if (headNow !== `ref: refs/heads/${rec.branch}` || !tip)
      throw new WorktreeChangedError(path, [
        `after the commit, the worktree's HEAD is "${headNow.slice(0, 60)}" and branch ${rec.branch} is at ${tip?.slice(0, 10) ?? '(nothing)'}, not the task branch's tip`,
      ]);
    return tip;
  }

  /**
   * Snapshot a dirty worktree into a commit on top of its HEAD without touching its files or index
   * (a temporary index), for archiving before removal.
   */
  async snapshotDirty(path: string, message: string): Promise<string | undefined> {
    const status = await this.git.status(path);
    if (!status.length) return undefined;
    const index = join(tmpdir(), `swarm-index-${process.pid}-${Date.now()}`);
    try {
      const env = { GIT_INDEX_FILE: index };
      await this.git.readTree('HEAD', { cwd: path, env });
      await this.git.addAll({ cwd: path, env });
      const tree = await this.git.writeTree({ cwd: path, env });
      const head = await this.git.head({ cwd: path });
      return await this.git.commitTree(tree, [head], message, { cwd: path });
    } finally {
      await fs.rm(index, { force: true });
    }
  }

  /**
   * Remove a worktree and its branch. Anything not on `baseRef` — commits, uncommitted or untracked
   * files — is kept under an archive ref first. Returns the archive ref when one was written.
   */
  async removeSafely(
    taskId: string,
    path: string | undefined,
    branch: string | undefined,
    baseRef: string,
    dryRun = false,
    mergedSha?: string,
  ): Promise<{ archivedRef?: string; reason: string; diskBytes: number }> {
    // Only the swarm's own worktree and branch of this task are ever removed (docs/security.md).
    if (path && resolve(path) !== resolve(this.pathFor(taskId))) path = undefined;
    const checkedOut = branch; // what the worktree has checked out (git's list): verified as such below
    if (branch && !isSwarmBranch(branch)) branch = undefined;
    let tip: string | undefined;
    let diskBytes = 0;
    let reason = 'merged: nothing to keep';
    if (path && existsSync(path)) {
      // Issue 12 rule 1: nothing is snapshotted or removed through a worktree that is no longer the
      // one the swarm made (a symlink to the user's checkout, a .git file pointing elsewhere).
      const rec = await this.verifyWorktree(path, checkedOut);
      diskBytes = await diskUsage(path);
      const snap = dryRun
        ? (await this.git.status(path)).length
          ? 'dirty'
          : undefined
        : await this.snapshotDirty(path, `swarm: uncommitted work of task ${taskId}, kept at cleanup`);
      if (snap) reason = 'uncommitted changes kept in an archive commit';
      // Verified above: HEAD is on rec.branch, so its tip is HEAD (read from the ref, not git: issue 17).
      tip = snap && snap !== 'dirty' ? snap : ((await this.git.readBranch(rec.branch)) ?? (await this.git.head({ cwd: path })));
      if (snap === 'dirty') tip = 'dirty';
    } else if (branch) {
      tip = await this.git.readBranch(branch);
    }
    let archivedRef: string | undefined;
    // `mergedSha`: the caller just merged that commit, so it is on the base without asking git.
    const needsArchive = tip === 'dirty' || (tip !== undefined && tip !== mergedSha && !(await this.git.isAncestor(tip, baseRef)));
    if (needsArchive) {
      archivedRef = archiveRefFor(taskId, tip && tip !== 'dirty' ? tip : 'worktree');
      if (reason.startsWith('merged')) reason = 'commits not on the base kept in an archive ref';
      // The empty old value makes update-ref refuse to overwrite an existing archive.
      if (!dryRun && tip && tip !== 'dirty') await this.git.updateRef(archivedRef, tip, '');
    }
    if (dryRun) return { archivedRef, reason, diskBytes };
    if (path && existsSync(path)) await this.git.worktreeRemove(path);
    else await this.git.worktreePrune().catch(() => undefined);
    // Only the swarm's own branches are deleted: a worktree an agent switched to a user's branch
    // must not take that branch with it (its work is archived above when not on the base).
    if (branch?.startsWith('swarm/')) {
      const cur = await this.git.readBranch(branch);
      if (cur) await this.git.deleteRef(`refs/heads/${branch}`, cur);
    }
    return { archivedRef, reason, diskBytes };
  }
}

/**
 * The task file a reviewer reads: the text as claimed, plus the user's (sealed) answer to the
 * worker's question in the frontmatter, as in a task file (`question:` / `answer:`, JSON-quoted,
 * which YAML reads as double-quoted strings).
 */
export function reviewTaskText(claimed: { title: string; body: string; answer?: { question: string; text: string } }): string {
  const front = claimed.answer ? `---\nquestion: ${JSON.stringify(claimed.answer.question)}\nanswer: ${JSON.stringify(claimed.answer.text)}\n---\n` : '';
  return `${front}# ${claimed.title}\n\n${claimed.body}`;
}

/** What is wrong with a task branch's loose ref file: anything but a regular file holding a commit id. */
export function branchRefProblems(commonDir: string, branch: string): string[] {
  const file = join(commonDir, 'refs', 'heads', branch);
  let st: import('node:fs').Stats;
  try {
    st = lstatSync(file);
  } catch {
    return [];
  } // packed, or not made yet
  if (st.isSymbolicLink()) return [`its branch refs/heads/${branch} was replaced by a symbolic link`];
  if (!st.isFile()) return [`its branch refs/heads/${branch} is no longer a file`];
  const text = readText(file) ?? '';
  if (/^[0-9a-f]{40}([0-9a-f]{24})?\n?$/.test(text)) return [];
  return [
    `its branch refs/heads/${branch} is no longer a plain commit id (it says ${JSON.stringify(text.trim().slice(0, 80))}: a symbolic ref would make the swarm's commit land elsewhere)`,
  ];
}
