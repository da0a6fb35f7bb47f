// The sandbox's policy (docs/security.md "Agent sandbox"): the settings, and what one turn may write,
// read and reach — pure functions of the turn, the swarm's layout and the settings, tested on their
// own. src/swarm/sandbox.ts turns a policy into a bwrap argv and runs it.

import { decisionKeyPath } from './decisionKey';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { AgentRole } from './harness/types';
import { CLI_STATE_PATHS, MODEL_HOSTS, cliConfigEndpoints, expandPaths, inside, loopbackPorts, privateCliPaths, protectedCliPaths } from './sandboxCli';

export type SandboxMode = 'auto' | 'required' | 'off';

export interface SandboxSettings {
  mode: SandboxMode;
  /** Extra writable paths (absolute, `~/...`, or relative to the repository root). */
  allowWrite: string[];
  /** Hidden paths, added to DEFAULT_DENY_READ. */
  denyRead: string[];
  /** Hosts agents may reach besides the harness's model API (through the filtering proxy). */
  allowDomains: string[];
}

/** Credential stores an agent never reads (`~` = the home directory). */
export const DEFAULT_DENY_READ = [
  '~/.ssh',
  '~/.aws',
  '~/.gnupg',
  '~/.netrc',
  '~/.config/gcloud',
  '~/.kube',
  '~/.docker/config.json',
  '~/.azure',
  '~/.config/gh',
  '~/.git-credentials',
  '~/.config/git/credentials',
  '~/.npmrc',
  '~/.pypirc',
  '~/.password-store',
  '~/.local/share/keyrings',
  '~/.vault-token',
  '~/.terraform.d/credentials.tfrc.json',
  '~/.config/hub',
  '~/.cargo/credentials.toml',
  '~/.cargo/credentials',
  '~/.gem/credentials',
];

export const INSTALL_HINT = 'sudo apt-get install bubblewrap socat ripgrep';

// --- policy --------------------------------------------------------------------------------------

/**
 * none: no network; loopback: bridges to these loopback ports only; filtered: those bridges plus
 * the filtering proxy on `proxyPort` inside, letting through `hosts` only; host: the host's network.
 */
export type NetworkPolicy =
  | { mode: 'none' }
  | { mode: 'loopback'; ports: number[] }
  | { mode: 'filtered'; ports: number[]; hosts: string[]; proxyPort: number }
  | { mode: 'host'; why: string };

/** The loopback port inside a turn where the filtering proxy answers (the next free one when a model port takes it). */
export const PROXY_PORT = 3128;

export interface SandboxPolicy {
  /** Bound read-write (each must exist; missing ones are skipped). */
  allowWrite: string[];
  /** Bound read-only again inside a writable path (files and folders that must stay as they are). */
  readOnly: string[];
  /** Hidden: an empty tmpfs over a folder, /dev/null over a file. */
  denyRead: string[];
  /** The turn's own copy of each file (made by AgentSandbox.prepare, discarded after the turn): CLI_PRIVATE. */
  privateFiles?: string[];
  /** A private empty tmpfs over each folder, discarded after the turn: CLI_PRIVATE. */
  privateDirs?: string[];
  network: NetworkPolicy;
  cwd: string;
  /**
   * The repository's object store (`<common>/objects`) when the turn commits: inside the sandbox a
   * fresh store of the turn's own is bound over it, with the real one read-only (SHARED_OBJECTS in
   * its temp folder) as its alternate; the engine imports the new objects after the turn,
   * re-hashed (Git.importObjects). No environment variable: other repositories the turn makes or
   * uses (fixtures, submodules) keep their own stores.
   */
  privateObjects?: string;
  /**
   * `tasks/pending/` when the turn adds follow-up tasks (a worker): a private empty folder is bound
   * over it and its new files are added after the turn (followUps.ts), so the turn cannot read or
   * rewrite the pending tasks already there.
   */
  followUps?: string;
}

/** Where, inside a turn's temp folder, the shared object store shows read-only (SandboxPolicy.privateObjects). */
export const SHARED_OBJECTS = 'git-shared-objects';

/** The swarm's layout a turn's policy is cut from (paths absolute). */
export interface SwarmLayout {
  /** The user's checkout. */
  root: string;
  /** The repository's common git dir (`.git` of the main checkout). */
  commonDir: string;
  /** The tasks folder (planners write its pending/). */
  tasksDir: string;
}

export interface TurnScope {
  /** `check`: the merge check (mergeCheck.ts), in a scratch checkout; it writes only there and in temp. */
  role: AgentRole | 'setup' | 'check';
  /** Working directory: the task's worktree (worker, executor, reviewer, setup) or the root (planner). */
  cwd: string;
  /** The task's branch (worker, executor): its ref file and reflog become writable. */
  branch?: string;
  /** The harness name (picks the CLI's state folders). */
  harness: string;
  /** The agent's environment (HOME, *_BASE_URL, CODEX_HOME...). */
  env: NodeJS.ProcessEnv;
}

/**
 * The git paths a commit on `branch` in linked worktree `cwd` writes, and the files inside them
 * that must stay read-only. Measured (test/integration/sandbox.test.ts): `git add` / `commit` /
 * `reset` / `rebase` in a linked worktree write
 *   - <common>/objects/ (new objects; turnPolicy gives a turn its own store instead, SandboxPolicy.privateObjects),
 *   - its admin dir <common>/worktrees/<name>/ (index, HEAD, ORIG_HEAD, logs/HEAD, rebase state),
 *   - the folder of its branch ref, refs/heads/swarm/<worker>/ (`<task>.lock`, renamed over
 *     `<task>`), and the folder of its reflog, logs/refs/heads/swarm/<worker>/.
 * Not written: packed-refs (only ref deletion rewrites it), config, hooks, other refs.
 * Inside those folders every other existing entry (sibling branches, `commondir`, `gitdir`,
 * `config.worktree`) is bound read-only again, and the worktree's own `.git` file too: rewriting
 * it (or `commondir`) would point the engine's next git command at a repository of the agent's
 * making, whose config runs programs (core.fsmonitor) outside the sandbox.
 */
export function gitWritePaths(cwd: string, commonDir: string, branch: string | undefined): { allowWrite: string[]; readOnly: string[]; problems: string[] } {
  const allowWrite: string[] = [];
  const readOnly: string[] = [];
  const problems: string[] = [];
  const dotGit = join(cwd, '.git');
  let admin: string | undefined;
  try {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8').slice(0, 4096));
    if (m) admin = resolve(cwd, m[1]);
  } catch {
    /* not a linked worktree */
  }
  const worktreesDir = join(commonDir, 'worktrees');
  if (!admin || dirname(admin) !== worktreesDir) {
    problems.push(`${cwd} is not a linked worktree of ${commonDir}: its git data stays read-only`);
    return { allowWrite, readOnly, problems };
  }
  // The admin dir must point back at this worktree (an agent could have edited .git before).
  let back = '';
  try {
    back = resolve(admin, readFileSync(join(admin, 'gitdir'), 'utf8').trim());
  } catch {
    /* missing */
  }
  if (back !== dotGit) {
    problems.push(`${admin}/gitdir does not point back to ${dotGit}: its git data stays read-only`);
    return { allowWrite, readOnly, problems };
  }
  allowWrite.push(join(commonDir, 'objects'), admin);
  readOnly.push(dotGit, join(admin, 'gitdir'), join(admin, 'commondir'), join(admin, 'config.worktree'));
  if (branch && /^[A-Za-z0-9._/-]+$/.test(branch) && !branch.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    const leaf = branch.split('/').pop()!;
    for (const top of [join(commonDir, 'refs', 'heads'), join(commonDir, 'logs', 'refs', 'heads')]) {
      const dir = dirname(join(top, branch));
      if (dir === top) {
        // A branch right under refs/heads/ would make every branch's folder writable: not granted.
        problems.push(`branch ${branch} has no folder of its own under refs/heads/: its ref stays read-only`);
        break;
      }
      mkdirSync(dir, { recursive: true });
      allowWrite.push(dir);
      for (const name of readdirSync(dir)) if (name !== leaf) readOnly.push(join(dir, name));
    }
  }
  return { allowWrite, readOnly, problems };
}

/** Harnesses that talk to a model API themselves (the rest are scripts: no network unless allowed). */
const MODEL_CLIS = new Set(Object.keys(CLI_STATE_PATHS));

/** The network a turn gets. */
export function networkFor(
  scope: Pick<TurnScope, 'role' | 'harness' | 'env'>,
  settings: Pick<SandboxSettings, 'allowDomains'>,
  haveSocat: boolean,
  configured: readonly string[] = [],
): NetworkPolicy {
  if (scope.role === 'setup') return { mode: 'host', why: 'the setup command (npm ci, ...) fetches packages' };
  const { ports, remote } = loopbackPorts(scope.env, configured);
  // A CLI with no local model server talks to its public API.
  const model = MODEL_CLIS.has(scope.harness) && !ports.length && !remote.length ? (MODEL_HOSTS[scope.harness] ?? []) : [];
  const hosts = [...new Set([...model, ...remote, ...settings.allowDomains])];
  if (!ports.length && !hosts.length) return { mode: 'none' };
  if (!haveSocat)
    return {
      mode: 'host',
      why: `socat is not installed, so ${ports.length ? 'the loopback model server' : 'the filtering proxy'} cannot be bridged in (${INSTALL_HINT})`,
    };
  if (!hosts.length) return { mode: 'loopback', ports };
  let proxyPort = PROXY_PORT;
  while (ports.includes(proxyPort)) proxyPort++;
  return { mode: 'filtered', ports, hosts, proxyPort };
}

/** What a turn's network is, in words (run info, `swarm status`). */
export function describeNetwork(n: NetworkPolicy): string {
  switch (n.mode) {
    case 'none':
      return 'no network';
    case 'loopback':
      return `loopback ports ${n.ports.join(', ')} only`;
    case 'filtered':
      return `only ${n.hosts.join(', ')}${n.ports.length ? ` and loopback ports ${n.ports.join(', ')}` : ''} (through the swarm's proxy)`;
    case 'host':
      return `the host's network (${n.why})`;
  }
}

/**
 * Folders of the user's session sockets, hidden like credentials: a unix socket stays connectable
 * under a read-only bind and without a network, so the session bus (`systemd-run --user` runs a
 * command outside the sandbox), the ssh agent (your keys, whatever `~/.ssh` shows) and X11 would
 * be doors out. `XDG_RUNTIME_DIR` is also unset inside.
 */
export function socketFolders(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const e of [env, process.env]) {
    if (e.XDG_RUNTIME_DIR && isAbsolute(e.XDG_RUNTIME_DIR)) out.add(e.XDG_RUNTIME_DIR);
    const ssh = e.SSH_AUTH_SOCK;
    // Its folder when it is a private one (ssh-agent's /tmp/ssh-XXXX), never a shared parent like /tmp itself.
    if (ssh && isAbsolute(ssh) && /^\/(tmp|run|var\/run)\/[^/]+/.test(dirname(ssh))) out.add(dirname(ssh));
  }
  if (typeof process.getuid === 'function') out.add(`/run/user/${process.getuid()}`);
  out.add('/tmp/.X11-unix');
  return [...out];
}

/** The whole policy of one turn. */
export function turnPolicy(scope: TurnScope, layout: SwarmLayout, settings: SandboxSettings, haveSocat: boolean): SandboxPolicy & { problems: string[] } {
  const allowWrite: string[] = [];
  const readOnly: string[] = [];
  const problems: string[] = [];
  let privateObjects: string | undefined;
  const writesWorktree = scope.role === 'worker' || scope.role === 'executor' || scope.role === 'setup' || scope.role === 'check';
  if (writesWorktree) {
    if (inside(layout.root, scope.cwd) || scope.cwd === layout.root) {
      problems.push(`${scope.cwd} is the user's checkout: not writable`);
    } else {
      allowWrite.push(scope.cwd);
      const g = gitWritePaths(scope.cwd, layout.commonDir, scope.role === 'setup' || scope.role === 'check' ? undefined : scope.branch);
      // The shared object store is never written from a turn: new objects go to the turn's own
      // store, imported re-hashed after it (a turn could otherwise delete or swap objects every
      // branch needs, or plant an alternate store). The merge check writes no object at all.
      const objects = join(layout.commonDir, 'objects');
      if (g.allowWrite.includes(objects) && scope.role !== 'check') privateObjects = objects;
      allowWrite.push(...g.allowWrite.filter((p) => p !== objects));
      readOnly.push(...g.readOnly);
      problems.push(...g.problems);
    }
  }
  let followUps: string | undefined;
  if (scope.role === 'planner' || scope.role === 'worker') {
    // Planners write (and re-plan) tasks; workers may add follow-ups, new files only (followUps.ts:
    // another task's text stays as its author wrote it). Executors only take tasks.
    const pending = join(layout.tasksDir, 'pending');
    mkdirSync(pending, { recursive: true });
    if (scope.role === 'planner') allowWrite.push(pending);
    else followUps = pending;
  }
  const state = expandPaths(CLI_STATE_PATHS[scope.harness] ?? [], scope.env, layout.root);
  for (const p of state) {
    // A missing state folder is created first (the CLI could not create it under a read-only home).
    try {
      mkdirSync(p, { recursive: true });
    } catch {
      /* read-only parent: skipped */
    }
    allowWrite.push(p);
  }
  // ...but not what the CLI would run or obey later, outside the sandbox (CLI_PROTECTED), and a
  // private copy of what it must write but obeys later (CLI_PRIVATE: ~/.claude.json).
  readOnly.push(...protectedCliPaths(scope.harness, scope.env, layout.root));
  const priv = privateCliPaths(scope.harness, scope.env, layout.root);
  allowWrite.push(...expandPaths(settings.allowWrite, scope.env, layout.root));
  // The human-decision key too (docs/security.md, human decisions): an agent that could read it could sign approvals.
  // Its folder is made now if missing, so it is masked even before the first decision creates the key.
  const keyDir = dirname(decisionKeyPath());
  try {
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  } catch {
    /* masked below only if it exists */
  }
  // The engine process's socket, token and pid file (src/shared/engineSocket.ts): a turn that could
  // reach them could speak for the user (approve its own task). Hidden even before the engine makes them.
  const engineDir = join(layout.root, '.swarm', 'engine');
  try {
    mkdirSync(engineDir, { recursive: true, mode: 0o700 });
  } catch {
    /* masked below only if it exists */
  }
  const denyRead = [
    ...expandPaths([...DEFAULT_DENY_READ, ...settings.denyRead], scope.env, layout.root),
    keyDir,
    engineDir,
    ...socketFolders(scope.env).filter((d) => ![...allowWrite, tmpdir()].some((w) => inside(w, d))),
  ];
  return {
    allowWrite: [...new Set(allowWrite)],
    readOnly: [...new Set(readOnly)],
    denyRead,
    privateFiles: priv.files,
    privateDirs: priv.dirs,
    network: networkFor(scope, settings, haveSocat, cliConfigEndpoints(scope.harness, scope.env, layout.root)),
    cwd: scope.cwd,
    problems,
    ...(privateObjects ? { privateObjects } : {}),
    ...(followUps ? { followUps } : {}),
  };
}
