// One place runs every git command (after VS Code's git extension): `Git.exec` → typed GitError.
// Mutations of shared git state (`worktree add`, ref moves) are serialized by the callers.

import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { execCollect } from './proc';
import { GitError } from './errors';

export interface GitExecOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are not errors (e.g. merge-tree's 1 = conflicts). */
  okCodes?: number[];
  timeoutMs?: number;
}

/**
 * Every git command of the swarm runs without hooks: hooks in a worktree may come from an agent's
 * branch (a tracked, relative core.hooksPath such as .husky), and the swarm never runs code an
 * agent wrote — not in a worktree, not in the user's checkout after a merge. Nor any other
 * configured program that git would start on its own or that changes content on the way in or
 * out (docs/security.md, "The swarm's own git"): no fsmonitor, no pager, no signing program;
 * external diffs and textconv are off on every diff-like command (NO_DIFF_PROGRAMS), and every
 * filter, diff and merge driver named in the config is neutralised (driverOverrides).
 */
export const SAFE_CONFIG = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.fsmonitor=false',
  '-c', 'core.pager=cat',
  '-c', 'commit.gpgSign=false',
  '-c', 'advice.graftFileDeprecated=false',
];

/** Options for commands that show diffs: git's own diff only (an empty diff.external fails). */
const NO_DIFF_PROGRAMS = ['--no-ext-diff', '--no-textconv'];
const DIFF_LIKE = new Set(['diff', 'log', 'show']);

/**
 * Replace objects and grafts would let anyone who can write refs/replace/ (every worktree can)
 * make a sha show other content than it has: the sha reviewed would not be what merges.
 */
const SAFE_ENV: Record<string, string> = { GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

/** Inherited variables that would point git elsewhere or make it start a program. */
const DROPPED_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_ASKPASS', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_CONFIG_PARAMETERS', 'GIT_REPLACE_REF_BASE', 'GIT_ATTR_SOURCE', 'GIT_SHALLOW_FILE'];

/**
 * `-c` overrides for every filter, diff and merge driver the config names: a .gitattributes line
 * (an agent can commit one) picks a driver by name, so each configured one is made inert. Filters
 * pass content through unchanged, diffs use no program, and a merge driver becomes git's own text
 * merge (`git merge-file`).
 */
export function driverOverrides(configNames: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of configNames) {
    const m = /^(filter|diff|merge)\.(.+)\.([^.]+)$/i.exec(key.trim());
    if (!m) continue;
    const kind = m[1].toLowerCase();
    const name = m[2];
    if (seen.has(`${kind}.${name}`)) continue;
    seen.add(`${kind}.${name}`);
    if (kind === 'filter') out.push('-c', `filter.${name}.clean=`, '-c', `filter.${name}.smudge=`, '-c', `filter.${name}.process=`, '-c', `filter.${name}.required=false`);
    else if (kind === 'diff') out.push('-c', `diff.${name}.textconv=`, '-c', `diff.${name}.command=`);
    else out.push('-c', `merge.${name}.driver=git merge-file -q %A %O %B`, '-c', `merge.${name}.recursive=text`);
  }
  return out;
}

/** The environment of the swarm's git commands (see SAFE_ENV and DROPPED_ENV). */
export function safeGitEnv(base: NodeJS.ProcessEnv, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...withoutDropped(base), ...extra, ...SAFE_ENV };
}

function withoutDropped(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of DROPPED_ENV) delete env[k];
  for (const k of Object.keys(env)) if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(k)) delete env[k];
  return env;
}

/**
 * process.env without DROPPED_ENV, copied at most once a second: copying process.env (a native
 * object, every read a getenv) for each of the ~28 git processes of a task took about 1 s of the
 * extension host's main thread in a 12-task run (issue 17, bench `smooth` profile). The variables
 * that decide which git runs and which config it reads are compared on every call (a change is
 * seen at once); any other variable set in the process reaches git within a second.
 */
let processEnvCopy: { at: number; key: string; env: NodeJS.ProcessEnv } | undefined;
const ENV_KEY_VARS = ['PATH', 'HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM', 'GIT_EXEC_PATH'];
function safeProcessEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const now = Date.now();
  const key = ENV_KEY_VARS.map((k) => process.env[k] ?? '\0').join('\n');
  if (!processEnvCopy || processEnvCopy.key !== key || now - processEnvCopy.at > 1000 || now < processEnvCopy.at) processEnvCopy = { at: now, key, env: withoutDropped(process.env) };
  return { ...processEnvCopy.env, ...extra, ...SAFE_ENV };
}

/** A fallback identity so swarm commits work on machines with no git user configured. */
export const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'Worktree Swarm',
  GIT_AUTHOR_EMAIL: 'swarm@localhost',
  GIT_COMMITTER_NAME: 'Worktree Swarm',
  GIT_COMMITTER_EMAIL: 'swarm@localhost',
};

/** A full commit (or object) id, sha1 or sha256: what `Git.memo` may key on. */
export const isSha = (s: string): boolean => /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s);

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
  async tryExec(args: string[], opts: GitExecOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string; stdoutBytes: Buffer }> {
    const env = safeProcessEnv({ ...this.identityEnv, ...opts.env });
    const cmd = DIFF_LIKE.has(args[0]) ? [args[0], ...NO_DIFF_PROGRAMS, ...args.slice(1)] : args;
    const r = await execCollect(['git', ...SAFE_CONFIG, ...(await this.driverArgs()), ...cmd], { cwd: opts.cwd ?? this.root, input: opts.input, env, timeoutMs: opts.timeoutMs ?? 120_000 });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, stdoutBytes: r.stdoutBytes };
  }

  /**
   * The blobs that `to` has and `from` does not, re-hashed from their bytes: git trusts a loose
   * object's content without checking it against its id, so an agent that can write the object
   * store could swap the bytes of a reviewed blob and keep its id. Returns what does not match.
   */
  async blobsNotMatchingIds(from: string, to: string): Promise<string[]> {
    const parts = (await this.exec(['diff-tree', '-r', '--no-renames', '-z', from, to])).split('\0');
    const ids = new Map<string, string>();
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const m = /^:\d+ (\d+) \S+ ([0-9a-f]{40,64}) /.exec(parts[i]);
      if (m && m[1] !== '160000' && !/^0+$/.test(m[2])) ids.set(m[2], parts[i + 1]);
    }
    if (!ids.size) return [];
    const { objects } = await this.rehash([...ids.keys()]);
    return objects.filter((o) => o.type !== 'blob' || !o.matches).map((o) => (o.type !== 'blob' ? `${ids.get(o.id) ?? o.id} (${o.id}: ${o.type})` : `${ids.get(o.id) ?? o.id} (object ${o.id.slice(0, 12)} holds other bytes)`));
  }

  /**
   * Every object `to` reaches and `from` does not (commits, trees, blobs: `rev-list --objects`),
   * re-hashed from the bytes git reads for it. A swapped subtree or commit keeps its id as a blob
   * does (docs/security.md): checked right before the base moves, after any wait (a merge check).
   */
  async objectsNotMatchingIds(from: string, to: string): Promise<string[]> {
    const list = await this.exec(['rev-list', '--objects', '--no-object-names', to, '--not', from]);
    const ids = [...new Set(list.split('\n').map((l) => l.trim()).filter((l) => /^[0-9a-f]{40,64}$/.test(l)))];
    if (!ids.length) return [];
    const { objects, failed } = await this.rehash(ids);
    const bad = objects.filter((o) => !o.matches).map((o) => (o.unread ? `${o.id} (${o.type})` : `${o.type} ${o.id.slice(0, 12)} holds other bytes`));
    if (bad.length === 0 && failed) bad.push(`git cat-file failed: ${failed}`);
    return bad;
  }

  /**
   * One `git cat-file --batch` of `ids`: each object's type and whether the bytes git serves for
   * it hash to its id (sha1 or sha256 by the id's length). A missing (or unreadable) object is `unread`.
   */
  private async rehash(ids: string[]): Promise<{ objects: { id: string; type: string; matches: boolean; unread?: true }[]; failed?: string }> {
    const r = await this.tryExec(['cat-file', '--batch'], { input: `${ids.join('\n')}\n` });
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

  private drivers: { key: string; args: string[] } | undefined;

  /**
   * driverOverrides for the drivers configured now. Read again when the repository's config or
   * the user's global config changed (a stat each, no process); the guard reports who changed it.
   */
  private async driverArgs(): Promise<string[]> {
    const files = [this.commonDirCache ? join(this.commonDirCache, 'config') : join(this.root, '.git', 'config'), join(homedir(), '.gitconfig'), join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'git', 'config')];
    const key = (await Promise.all(files.map((f) => fs.stat(f).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}`, () => '-')))).join('|');
    if (this.drivers?.key === key) return this.drivers.args;
    const r = await execCollect(['git', ...SAFE_CONFIG, 'config', '--name-only', '--get-regexp', '^(filter|diff|merge)\\.'], { cwd: this.root, env: safeProcessEnv(), timeoutMs: 30_000 });
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

  /**
   * Bring the objects a sandboxed turn wrote into its own object store (sandbox.ts) into the
   * repository's store, each one re-hashed and checked on the way in (`unpack-objects --strict`,
   * `index-pack --strict` for many, as git's receive-pack does): bytes that do not match their id,
   * malformed trees and commits, or links to objects that exist nowhere are refused. The turn's
   * processes are gone; its store is first reduced to loose objects and packs in regular files
   * (no links, FIFOs, alternates or commit graphs), at most MAX_IMPORT_PACKS packs. Streamed, and
   * bounded in time. Returns how many objects came in; throws a GitError when git refused them.
   */
  async importObjects(dir: string, timeoutMs = 10 * 60_000): Promise<number> {
    const st = await fs.lstat(dir);
    if (!st.isDirectory()) throw new GitError(`the turn's object store ${dir} is not a folder`, ['import'], null, '', '');
    const ids = await privateObjectIds(dir, (idx) => this.exec(['show-index'], { input: idx }));
    if (!ids.length) return 0;
    const commonObjects = join(await this.commonDir(), 'objects');
    const head = ['git', ...SAFE_CONFIG, ...(await this.driverArgs())];
    const env = safeGitEnv(process.env);
    const pack = spawn(head[0], [...head.slice(1), 'pack-objects', '--stdout', '-q'], { cwd: this.root, env: safeGitEnv(process.env, { GIT_OBJECT_DIRECTORY: dir, GIT_ALTERNATE_OBJECT_DIRECTORIES: commonObjects }), stdio: ['pipe', 'pipe', 'pipe'] });
    const take = spawn(head[0], [...head.slice(1), ...(ids.length > 100 ? ['index-pack', '--stdin', '--strict'] : ['unpack-objects', '-q', '--strict'])], { cwd: this.root, env, stdio: ['pipe', 'ignore', 'pipe'] });
    const ended = (c: ReturnType<typeof spawn>, what: string) => new Promise<{ what: string; code: number | null; err: string }>((res) => {
      let err = '';
      c.stderr!.on('data', (d: Buffer) => { if (err.length < 65_536) err += d.toString(); });
      c.on('error', (e) => { err += e.message; });
      c.on('close', (code) => res({ what, code, err }));
    });
    const done = Promise.all([ended(pack, 'pack-objects'), ended(take, ids.length > 100 ? 'index-pack' : 'unpack-objects')]);
    pack.stdout!.pipe(take.stdin!);
    take.stdin!.on('error', () => { /* it refused and exited: its stderr says why */ });
    pack.stdin!.on('error', () => { /* the same */ });
    pack.stdin!.end(`${ids.join('\n')}\n`);
    const timer = setTimeout(() => { pack.kill('SIGKILL'); take.kill('SIGKILL'); }, timeoutMs);
    const results = await done.finally(() => clearTimeout(timer));
    const bad = results.find((r) => r.code !== 0);
    if (bad) {
      const line = bad.err.trim().split('\n').filter(Boolean).pop() ?? (bad.code === null ? `killed after ${Math.round(timeoutMs / 1000)} s` : `exit ${bad.code}`);
      throw new GitError(`git ${bad.what}: ${line}`, [bad.what], bad.code, bad.err, '');
    }
    return ids.length;
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
      const loose = (await fs.readFile(join(dir, ref), 'utf8').catch((e: NodeJS.ErrnoException) => { absent = e.code === 'ENOENT'; return ''; })).trim();
      if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
      if (!loose) {
        const packed = await fs.readFile(join(dir, 'packed-refs'), 'utf8').catch(() => '');
        const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`) && /^[0-9a-f]{40,64} /.test(l));
        if (line) return line.split(' ')[0];
        // No loose ref, none packed, and the refs are files (no reftable): the branch does not
        // exist; git need not be asked (issue 17: one process fewer per new task branch).
        if (absent && !existsSync(join(dir, 'reftable'))) return undefined;
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
    const ask = async () => { const r = await this.tryExec(['merge-base', a, b]); return r.code === 0 ? r.stdout.trim() : undefined; };
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
    if (hit) { this.memos.delete(key); this.memos.set(key, hit); return hit; }
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
}

/** At most this many packs come in from one turn (a turn's git makes one or two, if any). */
export const MAX_IMPORT_PACKS = 16;

/**
 * The ids of the objects stored in a turn's object directory, after reducing it to what an object
 * store holds: loose objects (regular files under two-hex folders) and packs (regular files under
 * pack/). Everything else — links, FIFOs, info/ (alternates, commit graph), other files — is
 * removed first (never followed), so git reads nothing else when it packs them.
 */
async function privateObjectIds(dir: string, showIndex: (idx: Buffer) => Promise<string>): Promise<string[]> {
  const ids = new Set<string>();
  const idx: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const kind = /^[0-9a-f]{2}$/.test(e.name) ? 'loose' : e.name === 'pack' ? 'pack' : undefined;
    if (!kind || !e.isDirectory()) { await fs.rm(p, { recursive: true, force: true }); continue; }
    for (const f of await fs.readdir(p, { withFileTypes: true })) {
      if (!f.isFile()) { await fs.rm(join(p, f.name), { recursive: true, force: true }); continue; }
      if (kind === 'loose' && /^[0-9a-f]{38}([0-9a-f]{24})?$/.test(f.name)) ids.add(e.name + f.name);
      if (kind === 'pack' && f.name.endsWith('.idx')) idx.push(join(p, f.name));
    }
  }
  if (idx.length > MAX_IMPORT_PACKS) throw new GitError(`the turn left ${idx.length} packs (at most ${MAX_IMPORT_PACKS} are taken in)`, ['import'], null, '', '');
  for (const f of idx) {
    for (const line of (await showIndex(await fs.readFile(f))).split('\n')) {
      const m = /^\d+ ([0-9a-f]{40,64})\b/.exec(line);
      if (m) ids.add(m[1]);
    }
  }
  return [...ids];
}
