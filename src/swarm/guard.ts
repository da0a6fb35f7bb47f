// Hazard 11: a worker's worktree shares .git with the user's repository, so an agent that sets
// core.hooksPath / core.fsmonitor / core.sshCommand / a filter or diff driver / an alias, or
// writes .git/hooks/*, could make the user's own git run its code later. The swarm snapshots what
// can run code before each turn and compares after; any change stops the worker and is reported.
// Nothing is undone silently.
//
// Watched:
//   - config keys that run programs or choose what runs (RISKY_KEYS below) in the repository's
//     local config (<common dir>/config), the main worktree's config.worktree and every linked
//     worktree's <common dir>/worktrees/*/config.worktree, plus (opt-in) the global config;
//   - the content of files those configs include (include.path / includeIf.*.path);
//   - the hooks: every file in <common dir>/hooks (except *.sample) and in core.hooksPath
//     folders, by sha256 and executable bit.

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { execCollect } from './proc';

/** Keys (lower-cased, as `git config --list` prints them) that can run code or pick what runs. */
export const RISKY_KEYS: readonly RegExp[] = [
  /^core\.(hookspath|fsmonitor|sshcommand|pager|editor|askpass|gitproxy|worktree|attributesfile|alternaterefscommand)$/,
  /^sequence\.editor$/,
  /^diff\.(external|tool|guitool)$/,
  /^merge\.(tool|guitool)$/,
  /^diff\..+\.(textconv|command)$/,
  /^merge\..+\.(driver|recursive)$/,
  /^filter\..+\.(clean|smudge|process)$/,
  /^(difftool|mergetool)\..+\.(cmd|path)$/,
  /^include\.path$/,
  /^includeif\..+\.path$/,
  /^credential\.(.+\.)?helper$/,
  /^gpg\.(.+\.)?program$/,
  /^gpg\.ssh\.defaultkeycommand$/,
  /^(commit|tag)\.gpgsign$/,
  /^pager\..+$/,
  /^alias\..+$/,
  /^uploadpack\.packobjectshook$/,
  /^remote\..+\.(uploadpack|receivepack|vcs)$/,
  /^protocol\.(.+\.)?allow$/,
  /^url\..+\.(insteadof|pushinsteadof)$/,
  /^submodule\..+\.update$/,
  /^hook\..+\.(command|event)$/,
  /^(web\.browser|browser\..+\.(cmd|path)|man\..+\.(cmd|path))$/,
  /^sendemail\.(smtpserver|sendmailcmd|tocmd|cccmd)$/,
  /^interactive\.difffilter$/,
  /^ssh\.variant$/,
  /^extensions\.worktreeconfig$/,
];

export function isRiskyKey(key: string): boolean {
  const k = key.toLowerCase();
  return RISKY_KEYS.some((r) => r.test(k));
}

export interface GuardSnapshot {
  repoRoot: string;
  /** Absolute git common dir (the shared .git). */
  commonDir: string;
  /** "<config file>\t<key>" → its values in order (risky keys only). File names are display paths. */
  config: Record<string, string[]>;
  /** Watched files (hooks, included config files): display path → "sha256 [x]" or "unreadable". */
  files: Record<string, string>;
}

export interface GuardOptions {
  /** Also watch the user's global git config (~/.gitconfig, $XDG_CONFIG_HOME/git/config). Default false. */
  global?: boolean;
  /** Environment for git (default process.env). */
  env?: NodeJS.ProcessEnv;
}

// Not through Git (git.ts) on purpose: the guard reads the config as the user's own git sees it,
// without the swarm's safe overrides and environment.
async function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execCollect(['git', ...args], { cwd, env: { ...(env ?? process.env), GIT_OPTIONAL_LOCKS: '0' }, timeoutMs: 30_000 });
  return { ok: r.exitCode === 0, out: r.stdout, err: r.stderr.trim() };
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** `git config -z --list` output → [key, value] pairs (a key without "=" has value ""). */
export function parseConfigZ(out: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const nl = rec.indexOf('\n');
    pairs.push(nl === -1 ? [rec, ''] : [rec.slice(0, nl), rec.slice(nl + 1)]);
  }
  return pairs;
}

async function fileDigest(p: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return undefined;
    const data = await fs.readFile(p);
    return `${createHash('sha256').update(data).digest('hex')}${st.mode & 0o111 ? ' x' : ''}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'unreadable';
  }
}

function expandPath(p: string, baseDir: string): string {
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

// The guard runs before and after every agent turn; git processes are the swarm's main cost, so
// two things that cannot change between snapshots are not asked of git again:
// - the common dir of a repository root (with the default environment, same <root>/.git);
// - the listing of a config file whose bytes are those of a file git listed before (checked before
//   and after git read it, so a file written meanwhile is never cached). Keyed by the bytes, not
//   the path: with --no-includes the listing depends on nothing else, and every new worktree's
//   config.worktree holds the same few lines (one process fewer per task).
const commonDirs = new Map<string, string>();
const configListings = new Map<string, string>();

async function readBytes(file: string): Promise<Buffer | undefined> {
  return fs.readFile(file).catch(() => undefined);
}

/** Take a snapshot of everything in the shared repository's git setup that could run code. */
export async function snapshotGitGuard(repoRoot: string, opts: GuardOptions = {}): Promise<GuardSnapshot> {
  const env = opts.env;
  // Keyed by the identity of <root>/.git too, so a repository re-initialized or moved in place is
  // asked again (a .git directory keeps its inode while git works in it; a .git file is re-read
  // when it is rewritten).
  const dotGit = await fs.stat(join(repoRoot, '.git')).catch(() => undefined);
  const cacheKey = env || !dotGit ? undefined : `${repoRoot}\0${dotGit.dev}:${dotGit.ino}${dotGit.isDirectory() ? '' : `:${dotGit.size}:${dotGit.mtimeMs}`}`;
  let commonDir: string | undefined = cacheKey ? commonDirs.get(cacheKey) : undefined;
  if (!commonDir) {
    const abs = await git(repoRoot, ['rev-parse', '--path-format=absolute', '--git-common-dir'], env);
    if (abs.ok && abs.out.trim()) commonDir = abs.out.trim();
    else {
      const rel = await git(repoRoot, ['rev-parse', '--git-common-dir'], env);
      if (!rel.ok) throw new Error(`not a git repository: ${repoRoot}: ${rel.err}`);
      commonDir = resolve(repoRoot, rel.out.trim());
    }
    if (cacheKey) commonDirs.set(cacheKey, commonDir);
  }
  const top = dirname(commonDir);
  const display = (p: string) => {
    const r = relative(top, p);
    return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
  };

  const configFiles: string[] = [join(commonDir, 'config'), join(commonDir, 'config.worktree')];
  for (const name of await fs.readdir(join(commonDir, 'worktrees')).catch(() => [] as string[]))
    configFiles.push(join(commonDir, 'worktrees', name, 'config.worktree'));
  const snap: GuardSnapshot = { repoRoot, commonDir, config: {}, files: {} };
  const hookDirs = new Set<string>([join(commonDir, 'hooks')]);

  const listConfig = async (file: string, args: string[]) => {
    if (!file) return git(repoRoot, ['config', '-z', '--no-includes', ...args, '--list'], env);
    const bytes = await readBytes(file);
    const key = bytes && createHash('sha256').update(bytes).digest('hex');
    const cached = key ? configListings.get(key) : undefined;
    if (cached !== undefined) return { ok: true, out: cached, err: '' };
    const r = await git(repoRoot, ['config', '-z', '--no-includes', ...args, '--list'], env);
    const after = await readBytes(file);
    if (r.ok && key && bytes && after && bytes.equals(after)) {
      if (configListings.size >= 256) configListings.clear();
      configListings.set(key, r.out);
    }
    return r;
  };

  const readConfig = async (file: string, label: string, args: string[]) => {
    const r = await listConfig(file, args);
    if (!r.ok) {
      // Gone since it was listed (another worker's worktree removed after its merge): absent, as if
      // it had not been listed; a file that stays is reported unreadable.
      if (file && !(await exists(file))) return;
      if (r.err) snap.config[`${label}\t(file)`] = [`unreadable: ${r.err.split('\n')[0]}`];
      return;
    }
    for (const [key, value] of parseConfigZ(r.out)) {
      if (!isRiskyKey(key)) continue;
      (snap.config[`${label}\t${key}`] ??= []).push(value);
      const k = key.toLowerCase();
      if (k === 'core.hookspath' && value) hookDirs.add(expandPath(value, repoRoot));
      if ((k === 'include.path' || (k.startsWith('includeif.') && k.endsWith('.path'))) && value) {
        const target = expandPath(value, file ? dirname(file) : homedir());
        snap.files[`include ${display(target)}`] = (await fileDigest(target)) ?? 'missing';
      }
    }
  };

  for (const file of configFiles) {
    if (!(await exists(file))) continue;
    await readConfig(file, display(file), ['--file', file]);
  }
  if (opts.global) await readConfig('', '(global)', ['--global']);

  for (const dir of hookDirs) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (name.endsWith('.sample')) continue;
      const p = join(dir, name);
      const d = await fileDigest(p);
      if (d) snap.files[display(p)] = d;
    }
  }
  return snap;
}

/**
 * Run `fn` between two snapshots of the shared repository's git setup; `findings` are what changed
 * (diffGitGuard). For agent turns of every role: a reviewer or planner runs as the user too.
 */
export async function guarded<T>(repoRoot: string, fn: () => Promise<T>): Promise<{ result: T; findings: string[] }> {
  const before = await snapshotGitGuard(repoRoot).catch(() => undefined);
  const result = await fn();
  const findings = before ? diffGitGuard(before, await snapshotGitGuard(repoRoot)) : [];
  return { result, findings };
}

const q = (v: string) => JSON.stringify(v.length > 200 ? `${v.slice(0, 197)}...` : v);
const list = (vs: string[]) => (vs.length === 1 ? q(vs[0]) : `[${vs.map(q).join(', ')}]`);

/** Human-readable differences between two snapshots ([] when nothing that can run code changed). */
export function diffGitGuard(before: GuardSnapshot, after: GuardSnapshot): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(before.config), ...Object.keys(after.config)]);
  for (const k of [...keys].sort()) {
    const [file, key] = k.split('\t');
    const b = before.config[k];
    const a = after.config[k];
    if (b && a && b.length === a.length && b.every((v, i) => v === a[i])) continue;
    if (!b) out.push(`git config ${key} set to ${list(a!)} in ${file} (was unset)`);
    else if (!a) out.push(`git config ${key} removed from ${file} (was ${list(b)})`);
    else out.push(`git config ${key} in ${file} changed from ${list(b)} to ${list(a)}`);
  }
  const files = new Set([...Object.keys(before.files), ...Object.keys(after.files)]);
  for (const f of [...files].sort()) {
    const b = before.files[f];
    const a = after.files[f];
    if (b === a) continue;
    const what = f.startsWith('include ') ? `included config file ${f.slice(8)}` : `hook ${f}`;
    if (b === undefined) out.push(`${what} added${a?.endsWith(' x') ? ' (executable)' : ''}`);
    else if (a === undefined) out.push(`${what} removed`);
    else if (b.split(' ')[0] === a.split(' ')[0]) out.push(`${what} ${a.endsWith(' x') ? 'became executable' : 'is no longer executable'}`);
    else out.push(`${what} changed`);
  }
  return out;
}
