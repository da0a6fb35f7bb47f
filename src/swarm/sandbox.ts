// The agent sandbox (docs/security.md "Agent sandbox", docs/decisions.md "Agent sandbox"): every
// agent turn and the worktree `setup` command run inside bubblewrap (Linux), driven directly.
//   - the whole file system read-only (`--ro-bind / /`), then write access only where the turn
//     needs it: its worktree, the git data a commit on its own branch writes, the CLI's own state
//     folders, a private temp folder, and `sandbox.allow_write`;
//   - credential stores hidden (`deny_read`: an empty tmpfs over a folder, /dev/null over a file);
//   - its own PID namespace, killed with the turn (`--unshare-pid --die-with-parent`), its own
//     session (`--new-session`), and no capabilities (`--cap-drop ALL`: as root, bwrap keeps every
//     capability otherwise, and `mount -o remount,rw /` would undo the read-only view);
//   - network: none (`--unshare-net`), plus bridges to the loopback ports of the harness's
//     `*_BASE_URL` (socat inside, a unix socket out), plus — when the turn needs hosts outside this
//     machine (its CLI's model API, `sandbox.allow_domains`) — an HTTP proxy the engine serves that
//     lets through only those host names (src/swarm/netproxy.ts). Only the `setup` command, or a
//     machine without socat, shares the host's network.
// No vscode imports; the policy builders are pure functions with their own tests.

import { decisionKeyPath } from './decisionKey';
import { Git } from './git';
import { importTurnObjects, makeTurnObjects } from './turnObjects';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { startFilterProxy, type FilterProxy } from './netproxy';
import { BASE_URL_ENV, CLI_PRIVATE, CLI_PROTECTED, CLI_STATE_PATHS, MODEL_HOSTS, cliConfigEndpoints, exists, expandPaths, inside, loopbackPorts, privateCliPaths, protectedCliPaths } from './sandboxCli';

export { BASE_URL_ENV, CLI_PRIVATE, CLI_PROTECTED, CLI_STATE_PATHS, MODEL_HOSTS, cliConfigEndpoints, expandPaths, inside, loopbackPorts, privateCliPaths, protectedCliPaths };
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { AgentRole } from './harness/types';

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
  '~/.ssh', '~/.aws', '~/.gnupg', '~/.netrc', '~/.config/gcloud', '~/.kube', '~/.docker/config.json',
  '~/.azure', '~/.config/gh', '~/.git-credentials', '~/.config/git/credentials', '~/.npmrc', '~/.pypirc',
  '~/.password-store', '~/.local/share/keyrings', '~/.vault-token', '~/.terraform.d/credentials.tfrc.json',
  '~/.config/hub', '~/.cargo/credentials.toml', '~/.cargo/credentials', '~/.gem/credentials',
];

export const INSTALL_HINT = 'sudo apt-get install bubblewrap socat ripgrep';

// --- availability --------------------------------------------------------------------------------

export interface SandboxAvailability {
  available: boolean;
  /** bwrap executable used. */
  bwrap?: string;
  /** socat executable (needed to bridge loopback ports into a turn without network). */
  socat?: string;
  version?: string;
  /** Why not (what is missing / what failed). */
  reason?: string;
}

function onPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const d of pathVar.split(delimiter)) {
    if (!d) continue;
    const p = join(d, name);
    try { if (statSync(p).isFile()) return p; } catch { /* next */ }
  }
  return undefined;
}

const availabilityCache = new Map<string, SandboxAvailability>();

/**
 * Is bubblewrap present and usable? Tried once per bwrap path and process (a real `bwrap … true`
 * with every namespace a turn uses), then cached. `SWARM_BWRAP` names the executable (a seam for
 * tests and unusual installs); otherwise `bwrap` on PATH.
 */
export function detectSandbox(env: NodeJS.ProcessEnv = process.env): SandboxAvailability {
  if (process.platform !== 'linux') return { available: false, reason: `no sandbox on ${process.platform} yet (bubblewrap is Linux only)` };
  const bwrap = env.SWARM_BWRAP || onPath('bwrap', env.PATH);
  const key = bwrap ?? '';
  const cached = availabilityCache.get(key);
  if (cached) return cached;
  let result: SandboxAvailability;
  if (!bwrap || !existsSync(bwrap)) {
    result = { available: false, reason: `bubblewrap (bwrap) is not installed${env.SWARM_BWRAP ? ` (SWARM_BWRAP=${env.SWARM_BWRAP})` : ''}; install it: ${INSTALL_HINT}` };
  } else {
    const r = spawnSync(bwrap, [...BASE_FLAGS, '--unshare-net', 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) {
      const v = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5000 });
      result = { available: true, bwrap, socat: onPath('socat', env.PATH), version: v.stdout?.trim() || undefined };
    } else {
      const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n')[0];
      result = { available: false, bwrap, reason: `bubblewrap (${bwrap}) cannot create a sandbox here: ${why} (user namespaces disabled? see docs/security.md)` };
    }
  }
  availabilityCache.set(key, result);
  return result;
}

/** What a run reports: are agents sandboxed, and if not, why. */
export interface SandboxStatus {
  sandboxed: boolean;
  mode: SandboxMode;
  /** One line for the status bar, the CLI and the run log. */
  reason: string;
}

export function sandboxStatus(settings: Pick<SandboxSettings, 'mode'>, avail: SandboxAvailability): SandboxStatus {
  if (settings.mode === 'off') return { sandboxed: false, mode: 'off', reason: 'agents are NOT sandboxed: sandbox.mode is "off" in swarm.json; every agent can read and write whatever you can' };
  if (avail.available) return { sandboxed: true, mode: settings.mode, reason: `agents are sandboxed (${avail.version ?? 'bubblewrap'}${avail.socat ? '' : '; socat missing: loopback model servers need the shared network'})` };
  return { sandboxed: false, mode: settings.mode, reason: `agents are NOT sandboxed: ${avail.reason ?? 'no sandbox'}` };
}

// --- policy --------------------------------------------------------------------------------------

/**
 * none: no network; loopback: bridges to these loopback ports only; filtered: those bridges plus
 * the filtering proxy on `proxyPort` inside, letting through `hosts` only; host: the host's network.
 */
export type NetworkPolicy = { mode: 'none' } | { mode: 'loopback'; ports: number[] } | { mode: 'filtered'; ports: number[]; hosts: string[]; proxyPort: number } | { mode: 'host'; why: string };

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
  } catch { /* not a linked worktree */ }
  const worktreesDir = join(commonDir, 'worktrees');
  if (!admin || dirname(admin) !== worktreesDir) {
    problems.push(`${cwd} is not a linked worktree of ${commonDir}: its git data stays read-only`);
    return { allowWrite, readOnly, problems };
  }
  // The admin dir must point back at this worktree (an agent could have edited .git before).
  let back = '';
  try { back = resolve(admin, readFileSync(join(admin, 'gitdir'), 'utf8').trim()); } catch { /* missing */ }
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
export function networkFor(scope: Pick<TurnScope, 'role' | 'harness' | 'env'>, settings: Pick<SandboxSettings, 'allowDomains'>, haveSocat: boolean, configured: readonly string[] = []): NetworkPolicy {
  if (scope.role === 'setup') return { mode: 'host', why: 'the setup command (npm ci, ...) fetches packages' };
  const { ports, remote } = loopbackPorts(scope.env, configured);
  // A CLI with no local model server talks to its public API.
  const model = MODEL_CLIS.has(scope.harness) && !ports.length && !remote.length ? MODEL_HOSTS[scope.harness] ?? [] : [];
  const hosts = [...new Set([...model, ...remote, ...settings.allowDomains])];
  if (!ports.length && !hosts.length) return { mode: 'none' };
  if (!haveSocat) return { mode: 'host', why: `socat is not installed, so ${ports.length ? 'the loopback model server' : 'the filtering proxy'} cannot be bridged in (${INSTALL_HINT})` };
  if (!hosts.length) return { mode: 'loopback', ports };
  let proxyPort = PROXY_PORT;
  while (ports.includes(proxyPort)) proxyPort++;
  return { mode: 'filtered', ports, hosts, proxyPort };
}

/** What a turn's network is, in words (run info, `swarm status`). */
export function describeNetwork(n: NetworkPolicy): string {
  switch (n.mode) {
    case 'none': return 'no network';
    case 'loopback': return `loopback ports ${n.ports.join(', ')} only`;
    case 'filtered': return `only ${n.hosts.join(', ')}${n.ports.length ? ` and loopback ports ${n.ports.join(', ')}` : ''} (through the swarm's proxy)`;
    case 'host': return `the host's network (${n.why})`;
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
  if (scope.role === 'planner' || scope.role === 'worker') {
    // Planners write new tasks; workers may add follow-ups (executors only take tasks).
    const pending = join(layout.tasksDir, 'pending');
    mkdirSync(pending, { recursive: true });
    allowWrite.push(pending);
  }
  const state = expandPaths(CLI_STATE_PATHS[scope.harness] ?? [], scope.env, layout.root);
  for (const p of state) {
    // A missing state folder is created first (the CLI could not create it under a read-only home).
    try { mkdirSync(p, { recursive: true }); } catch { /* read-only parent: skipped */ }
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
  try { mkdirSync(keyDir, { recursive: true, mode: 0o700 }); } catch { /* masked below only if it exists */ }
  const denyRead = [...expandPaths([...DEFAULT_DENY_READ, ...settings.denyRead], scope.env, layout.root), keyDir, ...socketFolders(scope.env).filter((d) => ![...allowWrite, tmpdir()].some((w) => inside(w, d)))];
  return { allowWrite: [...new Set(allowWrite)], readOnly: [...new Set(readOnly)], denyRead, privateFiles: priv.files, privateDirs: priv.dirs, network: networkFor(scope, settings, haveSocat, cliConfigEndpoints(scope.harness, scope.env, layout.root)), cwd: scope.cwd, problems, ...(privateObjects ? { privateObjects } : {}) };
}

// --- bwrap argv ----------------------------------------------------------------------------------

/** Flags of every sandbox (also what detectSandbox tries). */
export const BASE_FLAGS = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/dev/shm', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];

/** Folder (inside the turn's temp folder) holding the unix sockets bridged to loopback ports. */
export const BRIDGE_DIR = 'swarm-net';

/**
 * The bwrap argv that runs `argv` under `policy`. `tmp` is the turn's private temp folder (bound
 * writable, TMPDIR points there); `socat` is needed for loopback bridges.
 */
export function bwrapArgv(bwrap: string, policy: SandboxPolicy, argv: string[], tmp: string, socat?: string, objects?: string): string[] {
  const out = [bwrap, ...BASE_FLAGS];
  if (policy.network.mode !== 'host') out.push('--unshare-net');
  // Shallow paths first, so a deeper bind is not covered by a shallower one.
  const depth = (p: string) => p.split(sep).length;
  for (const p of [...policy.allowWrite, tmp].sort((a, b) => depth(a) - depth(b))) if (exists(p)) out.push('--bind', p, p);
  for (const p of [...policy.readOnly].sort((a, b) => depth(a) - depth(b))) {
    if (exists(p)) out.push('--ro-bind', p, p);
    // A missing config.worktree would be honoured once created (extensions.worktreeConfig): an
    // empty read-only one is put in its place.
    else if (p.endsWith(`${sep}config.worktree`) && exists(dirname(p)) === 'dir') out.push('--ro-bind', '/dev/null', p);
  }
  // The turn's own object store over the shared one, which stays readable (read-only) as its alternate.
  if (policy.privateObjects && objects) out.push('--ro-bind', policy.privateObjects, join(tmp, SHARED_OBJECTS), '--bind', objects, policy.privateObjects);
  for (const p of policy.privateDirs ?? []) out.push('--tmpfs', p);
  (policy.privateFiles ?? []).forEach((p, i) => out.push('--bind', privateCopyPath(tmp, i), p));
  for (const p of policy.denyRead) {
    const k = exists(p);
    if (k === 'dir') out.push('--tmpfs', p, '--remount-ro', p);
    else if (k === 'file') out.push('--ro-bind', '/dev/null', p);
  }
  out.push('--chdir', policy.cwd, '--setenv', 'TMPDIR', tmp, '--setenv', 'TMP', tmp, '--setenv', 'TEMP', tmp, '--setenv', 'SWARM_SANDBOX', '1');
  out.push('--unsetenv', 'SSH_AUTH_SOCK', '--unsetenv', 'GPG_AGENT_INFO', '--unsetenv', 'DBUS_SESSION_BUS_ADDRESS', '--unsetenv', 'XDG_RUNTIME_DIR');
  const net = policy.network;
  if ((net.mode === 'loopback' || net.mode === 'filtered') && socat) {
    // Inside (only `lo` exists): socat listens on each port and forwards to a unix socket that
    // the engine serves outside — connected to the real loopback port, or the filtering proxy.
    // Start the bridges, wait until they listen (bounded), then exec the agent.
    const bridges = net.ports.map((p) => ({ port: p, socket: join(tmp, BRIDGE_DIR, String(p)) }));
    if (net.mode === 'filtered') {
      bridges.push({ port: net.proxyPort, socket: join(tmp, BRIDGE_DIR, PROXY_SOCKET) });
      const proxy = `http://127.0.0.1:${net.proxyPort}`;
      const noProxy = 'localhost,127.0.0.1,::1';
      for (const [k, v] of [['HTTPS_PROXY', proxy], ['HTTP_PROXY', proxy], ['https_proxy', proxy], ['http_proxy', proxy], ['NO_PROXY', noProxy], ['no_proxy', noProxy], ['NODE_USE_ENV_PROXY', '1']]) out.push('--setenv', k, v);
    }
    const lines = bridges.map((b) => `${socat} TCP-LISTEN:${b.port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${b.socket} 2>/dev/null &`);
    const hex = bridges.map((b) => b.port.toString(16).toUpperCase().padStart(4, '0'));
    const wait = `i=0; while [ $i -lt 500 ]; do ok=1; for h in ${hex.join(' ')}; do grep -q ":$h 00000000:0000 0A" /proc/net/tcp || ok=0; done; [ $ok = 1 ] && break; i=$((i+1)); sleep 0.01; done`;
    out.push('--', '/bin/sh', '-c', `${lines.join('\n')}\n${wait}\nexec "$@"`, 'swarm-sandbox', ...argv);
  } else {
    out.push('--', ...argv);
  }
  return out;
}

/** Where the turn's own copy of its `i`-th private file is (inside its temp folder). */
export function privateCopyPath(tmp: string, i: number): string {
  return join(tmp, 'swarm-private', String(i));
}

/** The filtering proxy's unix socket in the bridge folder. */
export const PROXY_SOCKET = 'proxy';

/** Serve `<tmp>/swarm-net/<port>` unix sockets outside the sandbox, each piped to 127.0.0.1:<port>. */
export async function startBridges(tmp: string, ports: number[]): Promise<() => Promise<void>> {
  const dir = join(tmp, BRIDGE_DIR);
  mkdirSync(dir, { recursive: true });
  const servers: Server[] = [];
  for (const port of ports) {
    const server = createServer((inSock) => {
      const outSock = connect(port, '127.0.0.1');
      inSock.pipe(outSock).pipe(inSock);
      const end = () => { inSock.destroy(); outSock.destroy(); };
      inSock.on('error', end);
      outSock.on('error', end);
    });
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(join(dir, String(port)), () => res()); });
    servers.push(server);
  }
  return async () => { await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))); };
}

// --- the engine's side -------------------------------------------------------------------------

/** A turn made ready to run sandboxed: the argv to spawn, and what to undo afterwards. */
export interface PreparedTurn {
  argv: string[];
  policy: SandboxPolicy;
  /** What the sandbox refused this turn so far (network: `host:port — reason`). */
  denied(): string[];
  /**
   * Import the turn's new git objects (re-hashed), remove the temp folder, stop the loopback
   * bridges and the proxy. Returns what went wrong that the turn's log should say.
   */
  dispose(): Promise<string[]>;
}

/** The swarm's sandbox: one per workspace, shared by every harness (HarnessContext.sandbox). */
export class AgentSandbox {
  readonly status: SandboxStatus;
  /** The repository's git, for the turns' own object stores (one instance: it caches the common dir and the driver overrides). */
  private readonly git: Git;
  constructor(readonly settings: SandboxSettings, readonly layout: SwarmLayout, readonly availability: SandboxAvailability) {
    this.status = sandboxStatus(settings, availability);
    this.git = new Git(layout.root);
  }

  get on(): boolean {
    return this.status.sandboxed;
  }

  /** Wrap one turn's argv; undefined when the sandbox is off or unavailable (auto mode). */
  async prepare(scope: TurnScope, argv: string[]): Promise<PreparedTurn | undefined> {
    if (!this.on || !this.availability.bwrap) return undefined;
    const policy = turnPolicy(scope, this.layout, this.settings, !!this.availability.socat);
    const tmp = mkdtempSync(join(tmpdir(), 'swarm-turn-'));
    // Where its branch was: if its objects are refused, the branch goes back there (never left pointing at nothing).
    const branchBefore = policy.privateObjects && scope.branch ? await this.git.readBranch(scope.branch).catch(() => undefined) : undefined;
    // Outside the temp folder: the turn sees it only as the mount over <common>/objects, so it cannot replace it with a link.
    const objects = policy.privateObjects ? makeTurnObjects(join(tmp, SHARED_OBJECTS)) : undefined;
    (policy.privateFiles ?? []).forEach((f, i) => {
      mkdirSync(dirname(privateCopyPath(tmp, i)), { recursive: true });
      copyFileSync(f, privateCopyPath(tmp, i));
    });
    const net = policy.network;
    let stop: (() => Promise<void>) | undefined;
    let proxy: FilterProxy | undefined;
    try {
      if (net.mode === 'loopback' || net.mode === 'filtered') stop = await startBridges(tmp, net.ports);
      if (net.mode === 'filtered') proxy = await startFilterProxy(join(tmp, BRIDGE_DIR, PROXY_SOCKET), net.hosts);
    } catch (e) {
      await stop?.();
      rmSync(tmp, { recursive: true, force: true });
      if (objects) rmSync(objects, { recursive: true, force: true });
      throw e;
    }
    return {
      argv: bwrapArgv(this.availability.bwrap, policy, argv, tmp, this.availability.socat, objects),
      policy,
      denied: () => (proxy?.denied ?? []).map((d) => `network: ${d}`),
      dispose: async () => {
        const problems: string[] = [];
        await stop?.();
        await proxy?.close();
        // The turn's processes are gone (its PID namespace died with it): its objects are final.
        if (objects) {
          problems.push(...(await importTurnObjects(this.git, this.layout.commonDir, objects, scope.branch, scope.cwd, branchBefore)));
          rmSync(objects, { recursive: true, force: true });
        }
        rmSync(tmp, { recursive: true, force: true });
        return problems;
      },
    };
  }
}

/** The sandbox of a workspace; `required` without bubblewrap is the caller's error to raise. */
export function createSandbox(settings: SandboxSettings, layout: SwarmLayout, env: NodeJS.ProcessEnv = process.env): AgentSandbox {
  return new AgentSandbox(settings, layout, settings.mode === 'off' ? { available: false, reason: 'off' } : detectSandbox(env));
}
