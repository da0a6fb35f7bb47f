// `swarm doctor` and "Swarm: Check setup" (issue 18): a checklist of what a first real run needs,
// each item ✓ / ✗ (or ! for a warning, · for information) with the fix. git, each built-in agent
// CLI (path, version, and logged in where the CLI has a cheap local check that costs no tokens),
// the PATH agents get against the front end's own, the sandbox, the config, the files
// `.worktreeinclude` names, free disk space. Every command is bounded in time and none needs the
// network. No vscode import: the extension passes its login-shell PATH in (src/extension/setupCommands.ts).

import { Git } from './git'; // its safe configuration: the repository's own config (fsmonitor, hooks) runs nothing here either
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { absolutePathEntries, isInside } from './harness/resolve';
import { readRegularFile } from './safefs';
import { WORKTREE_INCLUDE_FILE, parseIncludeFile } from './worktreeEnv';
import { parseSwarmConfig, type ResolvedConfig } from './config';
import { loadConfig } from './configLoad';
import { ConfigError } from './errors';
import { CLI_SPECS, type CliName } from './harness/adapters';
import type { HarnessContext } from './harness/context';
import { CLI_INSTALL, MIN_GIT, findHarnessProgram, gitNewEnough, gitVersion, harnessProblems, harnessesInUse, problemText } from './preflight';
import { detectSandbox, sandboxStatus } from './sandbox';
import { INSTALL_HINT } from './sandboxPolicy';

export type CheckStatus = 'ok' | 'fail' | 'warn' | 'info';

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found (paths, versions, counts). */
  detail: string;
  /** How to fix it, for fail and warn. */
  fix?: string;
}

export interface DoctorReport {
  root: string | undefined;
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** A folder inside the repository (or any folder: then the repository checks are skipped). */
  repo: string;
  configPath?: string;
  /** swarm.cli.* settings. */
  cliPaths?: Record<string, string>;
  /** The PATH agents get (the login shell's in VS Code); default this process's. */
  agentPath?: string;
  /** The front end's own PATH and its name ("VS Code's", "this terminal's"). */
  hostPath?: { path: string | undefined; label: string; note?: string };
  /** Per command (version, login check); default 30 s (a busy machine starts a large CLI slowly). */
  timeoutMs?: number;
}

export const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!', info: '·' };

/** Run a program with no stdin, bounded in time (its whole process group is killed at the end). */
export function runBounded(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean; error?: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      resolve({ code: null, stdout, stderr, timedOut, error: (e as Error).message });
      return;
    }
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < 1 << 20) stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 1 << 20) stderr += c.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, timedOut, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      kill();
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** Is the CLI logged in? Only local, non-billing checks; undefined when the CLI has none. */
async function loginCheck(name: CliName, program: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: boolean | undefined; detail: string }> {
  if (name === 'claude') {
    const r = await runBounded([program, 'auth', 'status'], env, timeoutMs);
    const m = /"loggedIn"\s*:\s*(true|false)/.exec(r.stdout);
    if (!m)
      return {
        ok: undefined,
        detail: r.timedOut
          ? '`claude auth status` did not answer in time'
          : `\`claude auth status\` said: ${
              plain(r.stderr || r.stdout)
                .trim()
                .split('\n')[0] || `exit ${r.code}`
            }`,
      };
    const method = /"authMethod"\s*:\s*"([^"]*)"/.exec(r.stdout)?.[1];
    return m[1] === 'true' ? { ok: true, detail: `logged in${method ? ` (${method})` : ''}` } : { ok: false, detail: 'not logged in (`claude auth status`)' };
  }
  if (name === 'codex') {
    const r = await runBounded([program, 'login', 'status'], env, timeoutMs);
    const said =
      plain(`${r.stdout}\n${r.stderr}`)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^WARNING/.test(l))
        .pop() ?? '';
    if (r.timedOut) return { ok: undefined, detail: '`codex login status` did not answer in time' };
    return r.code === 0 ? { ok: true, detail: said || 'logged in' } : { ok: false, detail: `${said || 'not logged in'} (\`codex login status\`)` };
  }
  if (name === 'opencode') {
    const r = await runBounded([program, 'auth', 'list'], env, timeoutMs);
    const out = plain(r.stdout + r.stderr);
    const creds = Number(/(\d+) credentials?/.exec(out)?.[1] ?? 0);
    const envVars = Number(/(\d+) environment variables?/.exec(out)?.[1] ?? 0);
    if (r.timedOut) return { ok: undefined, detail: '`opencode auth list` did not answer in time' };
    return creds + envVars > 0
      ? { ok: true, detail: `${creds} stored credential(s), ${envVars} key(s) in the environment` }
      : { ok: false, detail: 'no credentials (`opencode auth list`)' };
  }
  // Gemini CLI has no status command: its own key variables and stored sign-in.
  for (const k of ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI']) if (env[k]) return { ok: true, detail: `${k} is set` };
  const dir = join(env.GEMINI_CLI_HOME || env.HOME || homedir(), '.gemini');
  if (existsSync(join(dir, 'oauth_creds.json'))) return { ok: true, detail: `signed in (${join(dir, 'oauth_creds.json')})` };
  return { ok: false, detail: `no GEMINI_API_KEY and no sign-in in ${dir}` };
}

const LOGIN_FIX: Record<CliName, string> = {
  claude: 'run `claude` once and log in (or set ANTHROPIC_API_KEY)',
  codex: 'run `codex login` (or `codex login --with-api-key`)',
  opencode: "run `opencode auth login` (or set the provider's API key variable)",
  gemini: 'run `gemini` once and sign in, or set GEMINI_API_KEY',
};

/**
 * Why doctor must not run `path` (configured as `program`), or undefined: a relative path, or a
 * file inside the repository or its worktrees (realpaths too), is the repository's own program —
 * a cloned repository's swarm.json could name `./evil.sh` for `--version`.
 */
export function fromRepository(program: string, path: string, repoDirs: string[]): string | undefined {
  if (program.includes('/') && !isAbsolute(program)) return 'inside the repository (a relative path)';
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  for (const d of repoDirs) {
    if (isInside(resolve(path), resolve(d)) || isInside(real(path), real(d))) return 'inside the repository';
  }
  return undefined;
}

async function cliCheck(
  name: CliName,
  config: ResolvedConfig,
  ctx: HarnessContext,
  used: boolean,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const title = `${CLI_SPECS[name].displayName} (${name})`;
  const { program, path } = findHarnessProgram(name, config, ctx);
  const use = used ? 'used by your config' : 'not used by your config';
  if (!path)
    return {
      id: `cli:${name}`,
      title,
      status: used ? 'fail' : 'info',
      detail: `not found (looked for ${program?.includes('/') ? program : `"${program}" in the agents' PATH`}; ${use})`,
      fix: `${CLI_INSTALL[name]} — or set its path in the VS Code setting swarm.cli.${name} or swarm.json harnesses.${name}.command`,
    };
  const inRepo = fromRepository(program!, path, ctx.untrustedDirs ?? []);
  if (inRepo)
    return {
      id: `cli:${name}`,
      title,
      status: 'warn',
      detail: `${path}: not run: ${inRepo} (${use})`,
      fix: 'swarm doctor runs no program the repository brings (a cloned repository could name any script); check it yourself, or name an installed CLI',
    };
  const v = await runBounded([path, '--version'], env, timeoutMs);
  const login = await loginCheck(name, path, env, timeoutMs);
  const version =
    plain(v.stdout).trim().split('\n').filter(Boolean).pop() ??
    (v.timedOut ? `no answer to --version within ${timeoutMs / 1000} s` : `--version: exit ${v.code}`);
  const detail = `${path}, ${version}; ${login.detail} (${use})`;
  if (login.ok === false) return { id: `cli:${name}`, title, status: used ? 'fail' : 'warn', detail, fix: LOGIN_FIX[name] };
  if (login.ok === undefined) return { id: `cli:${name}`, title, status: 'warn', detail, fix: 'could not tell whether it is logged in; run it once by hand' };
  return { id: `cli:${name}`, title, status: 'ok', detail };
}

function pathCheck(agentPath: string | undefined, host: DoctorOptions['hostPath']): DoctorCheck {
  const title = 'PATH the agents get';
  const hostPath = host?.path ?? process.env.PATH ?? '';
  if (agentPath === undefined || agentPath === hostPath)
    return { id: 'path', title, status: 'ok', detail: `${host?.label ?? "this process's"} PATH${host?.note ? ` (${host.note})` : ''}: ${hostPath}` };
  const a = agentPath.split(delimiter).filter(Boolean);
  const h = hostPath.split(delimiter).filter(Boolean);
  const onlyAgents = a.filter((e) => !h.includes(e));
  const onlyHost = h.filter((e) => !a.includes(e));
  return {
    id: 'path',
    title,
    status: 'ok',
    detail: `the login shell's PATH${host?.note ? ` (${host.note})` : ''}: ${agentPath}${onlyAgents.length ? `; added to ${host?.label ?? "this process's"} PATH: ${onlyAgents.join(', ')}` : ''}${onlyHost.length ? `; only in ${host?.label ?? "this process's"} PATH (kept after the login shell's): ${onlyHost.join(', ')}` : ''}`,
  };
}

async function worktreeIncludeCheck(root: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DoctorCheck | undefined> {
  // Read as the worktree copy reads it (worktreeEnv.ts): never through a link (a link to
  // ~/.ssh/id_rsa would print the key as "patterns"), never a FIFO, bounded.
  const inc = await readRegularFile(join(root, WORKTREE_INCLUDE_FILE), 256 * 1024);
  if (inc.kind === 'absent') return undefined;
  if (inc.kind === 'skipped')
    return {
      id: 'worktreeinclude',
      title: WORKTREE_INCLUDE_FILE,
      status: 'warn',
      detail: `not read: ${inc.note}; worktrees get nothing from it`,
      fix: `make ${WORKTREE_INCLUDE_FILE} a regular file in your checkout`,
    };
  const patterns = parseIncludeFile(inc.text)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('!'));
  const missing: string[] = [];
  let files = 0;
  const git = new Git(root);
  for (const p of patterns.slice(0, 100)) {
    // Files the pattern matches in the checkout, tracked or not (gitignore syntax).
    const listed = await git.filesMatching([p], { tracked: true, env, timeoutMs }).catch(() => '');
    const n = listed.split('\0').filter((l) => l && !l.startsWith('.swarm/')).length;
    if (n === 0) missing.push(p);
    files += n;
  }
  if (missing.length)
    return {
      id: 'worktreeinclude',
      title: '.worktreeinclude',
      status: 'warn',
      detail: `${missing.length} of ${patterns.length} pattern(s) match nothing in ${root}: ${missing.join(', ')}`,
      fix: 'create those files in your checkout (worktrees get copies of them), or remove the lines',
    };
  return {
    id: 'worktreeinclude',
    title: '.worktreeinclude',
    status: 'ok',
    detail: `${patterns.length} pattern(s), ${files} file(s) to copy into each worktree`,
  };
}

function gib(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${Math.round(n / (1 << 20))} MiB`;
}

async function diskCheck(root: string, config: ResolvedConfig, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DoctorCheck> {
  const title = 'Free disk space for worktrees';
  const st = await fs.statfs(root).catch(() => undefined);
  if (!st) return { id: 'disk', title, status: 'warn', detail: `could not read the free space of ${root}` };
  const free = st.bavail * st.bsize;
  const tree = await new Git(root).lsTreeSizes('HEAD', { env, timeoutMs }).catch(() => '');
  const checkout = tree.split('\0').reduce((n, l) => n + (Number(/^\S+ blob \S+\s+(\d+)\t/.exec(l)?.[1]) || 0), 0);
  const checkouts = config.workers.filter((w) => w.role !== 'planner').length + 1; // one per worker, one for the review
  const needed = checkout * checkouts;
  const detail = `${gib(free)} free; a checkout is ${gib(checkout)}, ${checkouts} at once need ${gib(needed)} (before any setup command)`;
  if (free < needed) return { id: 'disk', title, status: 'fail', detail, fix: 'free disk space, or run fewer workers (count in swarm.json)' };
  if (free < Math.max(2 * needed, 1 << 30))
    return { id: 'disk', title, status: 'warn', detail, fix: 'little room left: free disk space, or run fewer workers' };
  return { id: 'disk', title, status: 'ok', detail };
}

async function repoRoot(dir: string, timeoutMs: number): Promise<string | undefined> {
  const r = await new Git(dir).topLevel(timeoutMs).catch(() => undefined);
  return r && 'path' in r ? r.path : undefined;
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const env: NodeJS.ProcessEnv = { ...process.env, ...(o.agentPath ? { PATH: o.agentPath } : {}) };
  const checks: DoctorCheck[] = [];
  // Its own programs (git) from absolute PATH entries only: a relative entry ("." first) would find
  // the repository's `git` when it runs git there.
  const own: NodeJS.ProcessEnv = { ...process.env, PATH: absolutePathEntries(process.env.PATH).join(delimiter) };
  const g = await gitVersion(own, timeoutMs);
  if (!g.version)
    checks.push({ id: 'git', title: 'git', status: 'fail', detail: `git could not be run: ${g.text}`, fix: `install git ${MIN_GIT.join('.')} or newer` });
  else
    checks.push({
      id: 'git',
      title: 'git',
      status: gitNewEnough(g.version) ? 'ok' : 'fail',
      detail: `${g.text} (needs ${MIN_GIT.join('.')} or newer)`,
      ...(gitNewEnough(g.version) ? {} : { fix: `install git ${MIN_GIT.join('.')} or newer and put it first in PATH` }),
    });

  const root = g.version ? await repoRoot(o.repo, timeoutMs) : undefined;
  let config: ResolvedConfig = parseSwarmConfig({}, '(defaults)');
  if (!root)
    checks.push({
      id: 'config',
      title: 'Configuration',
      status: 'fail',
      detail: `${o.repo} is not inside a git repository`,
      fix: 'run it in a git repository (git init)',
    });
  else {
    try {
      config = loadConfig(root, o.configPath);
      const uses = harnessesInUse(config)
        .map((u) => `${u.harness} (${u.users.length > 2 ? `${u.users.length} uses` : u.users.join(', ')})`)
        .join(', ');
      checks.push(
        config.file
          ? { id: 'config', title: 'Configuration', status: 'ok', detail: `${config.file} is valid; harnesses: ${uses}` }
          : {
              id: 'config',
              title: 'Configuration',
              status: 'warn',
              detail: 'no swarm.json: the built-in demo agents would run',
              fix: 'swarm init (or "Swarm: Initialize swarm") writes one that uses the agent CLIs installed here',
            },
      );
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      checks.push({
        id: 'config',
        title: 'Configuration',
        status: 'fail',
        detail: e.issues.map((i) => `${i.file}: ${i.field}: ${i.message}`).join('; '),
        fix: 'correct those fields (VS Code validates swarm.json against its schema)',
      });
    }
  }
  const worktreeDir = root ? join(root, config.worktreeDir) : undefined;
  const ctx: HarnessContext = {
    cliPaths: { ...o.cliPaths },
    agentPath: o.agentPath,
    nodePath: process.execPath,
    demoAgentPath: '',
    baseEnv: {},
    repoRoot: root,
    untrustedDirs: root ? [root, worktreeDir!] : [],
  };
  for (const [name, h] of Object.entries(config.harnesses)) if (h.command?.length && !ctx.cliPaths[name]) ctx.cliPaths[name] = h.command[0];
  const used = new Set(harnessesInUse(config).map((u) => u.harness));
  // Two CLIs at a time: each starts a large program, and a busy machine must not time them out.
  const names = Object.keys(CLI_SPECS) as CliName[];
  const cliChecks: DoctorCheck[] = [];
  for (let i = 0; i < names.length; i += 2)
    cliChecks.push(...(await Promise.all(names.slice(i, i + 2).map((n) => cliCheck(n, config, ctx, used.has(n), env, timeoutMs)))));
  checks.push(...cliChecks);
  for (const p of harnessProblems(config, ctx, config.file ? 'swarm.json' : '(defaults)').filter((x) => !x.harness || !Object.hasOwn(CLI_SPECS, x.harness))) {
    checks.push({ id: 'harness', title: 'Custom harness', status: 'fail', detail: problemText(p), fix: p.fix });
  }
  checks.push(pathCheck(o.agentPath, o.hostPath));

  const avail = detectSandbox(process.env);
  const sb = sandboxStatus(config.sandbox, avail);
  const rg = (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'rg')));
  const sbDetail = `${sb.reason}${avail.available ? `; socat ${avail.socat ? 'found' : 'missing'}; ripgrep ${rg ? 'found' : 'missing'}` : ''} (sandbox.mode "${config.sandbox.mode}")`;
  const sbStatus: CheckStatus = sb.sandboxed ? (avail.socat && rg ? 'ok' : 'warn') : config.sandbox.mode === 'required' ? 'fail' : 'warn';
  checks.push({
    id: 'sandbox',
    title: 'Agent sandbox',
    status: sbStatus,
    detail: sbDetail,
    ...(sbStatus === 'ok'
      ? {}
      : {
          fix:
            process.platform === 'linux'
              ? `install it: ${INSTALL_HINT}${avail.bwrap && !avail.available ? ' (bwrap is there but cannot make a sandbox: see docs/security.md)' : ''}`
              : 'no sandbox on this platform yet: see docs/security.md',
        }),
  });

  if (root) {
    const wi = await worktreeIncludeCheck(root, own, timeoutMs);
    if (wi) checks.push(wi);
    checks.push(await diskCheck(root, config, own, timeoutMs));
  }
  return { root, ok: !checks.some((c) => c.status === 'fail'), checks };
}

/** The checklist as text lines (CLI, the Check setup document). */
export function formatDoctor(r: DoctorReport): string[] {
  const lines: string[] = [];
  for (const c of r.checks) {
    lines.push(`${MARK[c.status]} ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'ok') lines.push(`    fix: ${c.fix}`);
  }
  lines.push(r.ok ? 'Ready: nothing stops a run.' : `Not ready: ${r.checks.filter((c) => c.status === 'fail').length} problem(s) above (✗) stop a run.`);
  return lines;
}
