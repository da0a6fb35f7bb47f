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
// No vscode imports; the policy (what a turn may write, read and reach) is built in sandboxPolicy.ts.

import { Git } from './git';
import { importTurnObjects, makeTurnObjects } from './turnObjects';
import { addFollowUps } from './followUps';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { startFilterProxy, type FilterProxy } from './netproxy';
import {
  BASE_URL_ENV,
  CLI_PRIVATE,
  CLI_PROTECTED,
  CLI_STATE_PATHS,
  MODEL_HOSTS,
  cliConfigEndpoints,
  exists,
  expandPaths,
  inside,
  loopbackPorts,
  privateCliPaths,
  protectedCliPaths,
} from './sandboxCli';

export {
  BASE_URL_ENV,
  CLI_PRIVATE,
  CLI_PROTECTED,
  CLI_STATE_PATHS,
  MODEL_HOSTS,
  cliConfigEndpoints,
  expandPaths,
  inside,
  loopbackPorts,
  privateCliPaths,
  protectedCliPaths,
};
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, sep } from 'node:path';
import {
  INSTALL_HINT,
  SHARED_OBJECTS,
  turnPolicy,
  type SandboxMode,
  type SandboxPolicy,
  type SandboxSettings,
  type SwarmLayout,
  type TurnScope,
} from './sandboxPolicy';

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
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
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
    result = {
      available: false,
      reason: `bubblewrap (bwrap) is not installed${env.SWARM_BWRAP ? ` (SWARM_BWRAP=${env.SWARM_BWRAP})` : ''}; install it: ${INSTALL_HINT}`,
    };
  } else {
    const r = spawnSync(bwrap, [...BASE_FLAGS, '--unshare-net', 'true'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) {
      const v = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 5000 });
      result = { available: true, bwrap, socat: onPath('socat', env.PATH), version: v.stdout?.trim() || undefined };
    } else {
      const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().split('\n')[0];
      result = {
        available: false,
        bwrap,
        reason: `bubblewrap (${bwrap}) cannot create a sandbox here: ${why} (user namespaces disabled? see docs/security.md)`,
      };
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
  if (settings.mode === 'off')
    return {
      sandboxed: false,
      mode: 'off',
      reason: 'agents are NOT sandboxed: sandbox.mode is "off" in swarm.json; every agent can read and write whatever you can',
    };
  if (avail.available)
    return {
      sandboxed: true,
      mode: settings.mode,
      reason: `agents are sandboxed (${avail.version ?? 'bubblewrap'}${avail.socat ? '' : '; socat missing: loopback model servers need the shared network'})`,
    };
  return { sandboxed: false, mode: settings.mode, reason: `agents are NOT sandboxed: ${avail.reason ?? 'no sandbox'}` };
}

// --- bwrap argv ----------------------------------------------------------------------------------

/** Flags of every sandbox (also what detectSandbox tries). */
export const BASE_FLAGS = [
  '--ro-bind',
  '/',
  '/',
  '--dev',
  '/dev',
  '--proc',
  '/proc',
  '--tmpfs',
  '/dev/shm',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--die-with-parent',
  '--new-session',
  '--cap-drop',
  'ALL',
];

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
  if (policy.followUps) out.push('--bind', join(tmp, FOLLOW_UPS), policy.followUps); // new tasks only (followUps.ts)
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
      for (const [k, v] of [
        ['HTTPS_PROXY', proxy],
        ['HTTP_PROXY', proxy],
        ['https_proxy', proxy],
        ['http_proxy', proxy],
        ['NO_PROXY', noProxy],
        ['no_proxy', noProxy],
        ['NODE_USE_ENV_PROXY', '1'],
      ])
        out.push('--setenv', k, v);
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

/** Folder (inside the turn's temp folder) bound over `tasks/pending/`: the follow-ups a worker writes. */
export const FOLLOW_UPS = 'swarm-follow-ups';

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
      const end = () => {
        inSock.destroy();
        outSock.destroy();
      };
      inSock.on('error', end);
      outSock.on('error', end);
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(join(dir, String(port)), () => res());
    });
    servers.push(server);
  }
  return async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
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
  constructor(
    readonly settings: SandboxSettings,
    readonly layout: SwarmLayout,
    readonly availability: SandboxAvailability,
  ) {
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
    if (policy.followUps) mkdirSync(join(tmp, FOLLOW_UPS));
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
        if (policy.followUps) problems.push(...(await addFollowUps(join(tmp, FOLLOW_UPS), policy.followUps)));
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
