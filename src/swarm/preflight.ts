// Preflight (issue 18): what must hold before a swarm claims anything. Every program the config
// starts resolves to an executable (found the way a turn finds it: harness/resolve.ts), git is new
// enough, the sandbox mode can be honoured, the tasks folder and the base exist. Each problem is
// one message: what is wrong, where the swarm looked, how to fix it. `swarm run` exits 2 on any
// (src/cli/main.ts), "Start swarm" shows them with Open settings / Open config
// (src/extension/setupCommands.ts), and Run.main checks again before its first claim (run.ts), so
// no start path claims a task, or makes a worktree, for a run that cannot work.

import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ResolvedConfig } from './config';
import { cliAdapters } from './harness';
import { CLI_SPECS, cliSettingHint, resolveCliCommand, type CliName } from './harness/adapters';
import type { HarnessContext } from './harness/context';
import { absolutePathEntries, resolveProgram } from './harness/resolve';
import type { SandboxStatus } from './sandbox';
import { INSTALL_HINT } from './sandboxPolicy';

/** git 2.38 brought `merge-tree --write-tree`, which the merge queue merges with (merge.ts). */
export const MIN_GIT: readonly [number, number] = [2, 38];

/** How to install each built-in agent CLI (docs/harnesses.md "Setup"). */
export const CLI_INSTALL: Record<CliName, string> = {
  claude: 'npm install -g @anthropic-ai/claude-code',
  codex: 'npm install -g @openai/codex',
  opencode: 'npm install -g opencode-ai',
  gemini: 'npm install -g @google/gemini-cli',
};

export interface PreflightProblem {
  /** What kind of check failed. */
  check: 'harness' | 'command' | 'git' | 'sandbox' | 'tasks' | 'base';
  /** What is wrong, e.g. `the reviewer's harness "claude" (Claude Code) is not installed`. */
  what: string;
  /** Where the swarm looked. */
  looked: string;
  /** How to fix it: the install command, the setting or field to set. */
  fix: string;
  /** Where the fix is made: swarm.json, or the VS Code settings (swarm.cli.*). */
  place: 'config' | 'settings' | 'system';
  /** The harness concerned (harness checks). */
  harness?: string;
}

export function problemText(p: PreflightProblem): string {
  return `${p.what} (looked: ${p.looked}). Fix: ${p.fix}`;
}

/** Who uses a harness, for the messages: `workers w1, w2`, `the reviewer`. */
export interface HarnessUse {
  harness: string;
  users: string[];
}

/** Every harness a start uses: workers and planners, the reviewer unless review is human-only. */
export function harnessesInUse(config: ResolvedConfig): HarnessUse[] {
  const uses = new Map<string, string[]>();
  const add = (h: string, who: string) => uses.set(h, [...(uses.get(h) ?? []), who]);
  for (const w of config.workers) add(w.harness, `${w.role} ${w.id}`);
  if (config.review.mode !== 'human') add(config.review.harness, 'the reviewer');
  return [...uses].map(([harness, users]) => ({ harness, users }));
}

/** The program a harness starts (argv[0] before resolution), or undefined for an unknown name. */
export function harnessProgram(name: string, config: ResolvedConfig, ctx: HarnessContext): string | undefined {
  const hc = Object.hasOwn(config.harnesses, name) ? config.harnesses[name] : undefined;
  if (name === 'demo' && !hc?.command) return ctx.nodePath;
  if (Object.hasOwn(cliAdapters, name)) return resolveCliCommand(name, ctx, hc)[0];
  return hc?.command?.[0];
}

/** The PATH agent programs are looked up in (the login shell's in VS Code, else this process's). */
export function agentPathOf(ctx: HarnessContext): string {
  return ctx.agentPath ?? process.env.PATH ?? '';
}

/** Resolve a harness's program exactly as a turn would (absolute PATH entries outside the repository). */
export function findHarnessProgram(name: string, config: ResolvedConfig, ctx: HarnessContext): { program: string | undefined; path: string | undefined } {
  const program = harnessProgram(name, config, ctx);
  if (!program) return { program, path: undefined };
  const found = resolveProgram(program, agentPathOf(ctx), { base: ctx.repoRoot ?? process.cwd(), untrusted: ctx.untrustedDirs ?? [] });
  if (!found) return { program, path: undefined };
  try {
    return { program, path: statSync(found).isFile() ? found : undefined };
  } catch {
    return { program, path: undefined };
  }
}

function displayName(name: string): string {
  return Object.hasOwn(CLI_SPECS, name) ? `${CLI_SPECS[name as CliName].displayName}` : name;
}

/** One problem per harness in use whose program cannot be found (or whose name means nothing). */
export function harnessProblems(config: ResolvedConfig, ctx: HarnessContext, configName: string): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const searched = absolutePathEntries(agentPathOf(ctx));
  const where = (program: string) => (program.includes('/') ? `${program}` : `"${program}" in the agents' PATH (${searched.join(':') || 'empty'})`);
  for (const { harness, users } of harnessesInUse(config)) {
    const who = users.length > 3 ? `${users.slice(0, 3).join(', ')} and ${users.length - 3} more` : users.join(', ');
    const { program, path } = findHarnessProgram(harness, config, ctx);
    if (!program) {
      problems.push({
        check: 'harness',
        harness,
        what: `harness "${harness}" (used by ${who}) is unknown`,
        looked: `${configName} "harnesses" and the built-in harnesses demo, claude, codex, opencode, gemini`,
        fix: `add "harnesses": { "${harness}": { "command": [...] } } to ${configName}, or use a built-in harness`,
        place: 'config',
      });
      continue;
    }
    if (path) continue;
    const at = problems.length;
    if (Object.hasOwn(CLI_SPECS, harness)) {
      problems.push({
        check: 'harness',
        what: `${displayName(harness)} ("${harness}", used by ${who}) is not installed`,
        looked: where(program),
        fix: `install it: ${CLI_INSTALL[harness as CliName]} — or set its path in ${cliSettingHint(harness)}`,
        place: ctx.cliPaths[harness] && ctx.cliPaths[harness] !== config.harnesses[harness]?.command?.[0] ? 'settings' : 'config',
      });
    } else if (harness === 'demo') {
      problems.push({
        check: 'harness',
        what: `the demo agent's node (${program}) was not found`,
        looked: where(program),
        fix: 'reinstall the extension or the swarm CLI',
        place: 'system',
      });
    } else {
      problems.push({
        check: 'harness',
        what: `the program of harness "${harness}" (used by ${who}) was not found`,
        looked: where(program),
        fix: `install it, or give its absolute path in ${configName} harnesses.${harness}.command`,
        place: 'config',
      });
    }
    problems[at].harness = harness;
  }
  return problems;
}

/** A command the swarm runs itself (not an agent: no sandbox trust rules) whose program is not on PATH. */
export function commandProblem(
  label: string,
  argv: string[] | undefined,
  field: string,
  configName: string,
  env: NodeJS.ProcessEnv = process.env,
): PreflightProblem | undefined {
  const program = argv?.[0];
  if (!program || program.includes('/')) return undefined; // a path: taken from the worktree it runs in
  if (resolveProgram(program, env.PATH, { base: '/', untrusted: [] })) return undefined;
  return {
    check: 'command',
    what: `${label} "${argv.join(' ')}" cannot run: ${program} was not found`,
    looked: `"${program}" in PATH (${absolutePathEntries(env.PATH).join(':')})`,
    fix: `install ${program}, or change "${field}" in ${configName}`,
    place: 'config',
  };
}

/** `git --version` → [major, minor, patch], bounded in time; undefined when git cannot be run. */
export function gitVersion(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<{ version?: [number, number, number]; text: string }> {
  return new Promise((resolve) => {
    let out = '';
    // Absolute PATH entries only: a relative one ("." first) would run a repository's own `git`.
    const child = spawn('git', ['--version'], { env: { ...env, PATH: absolutePathEntries(env.PATH).join(delimiter) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ text: e.message });
    });
    child.on('close', () => {
      clearTimeout(timer);
      const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(out);
      resolve(m ? { version: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], text: out.trim() } : { text: out.trim() || 'no output' });
    });
  });
}

export function gitNewEnough(v: [number, number, number]): boolean {
  return v[0] > MIN_GIT[0] || (v[0] === MIN_GIT[0] && v[1] >= MIN_GIT[1]);
}

/**
 * A git new enough, per PATH, once per process: in the extension host every Start ran the preflight
 * and its `git --version`, and starting a process there blocks the host's event loop while node
 * forks it (tens of ms in a big extension host; issue 17 item 3, docs/decisions.md). Only an answer
 * that passes is kept: a git missing or too old is asked again at the next start (installed meanwhile).
 */
const gitFound = new Map<string, { version: [number, number, number]; text: string }>();

export async function gitProblem(env: NodeJS.ProcessEnv = process.env): Promise<PreflightProblem | undefined> {
  const key = absolutePathEntries(env.PATH).join(delimiter);
  const g = gitFound.get(key) ?? (await gitVersion(env));
  if (g.version && gitNewEnough(g.version)) gitFound.set(key, { version: g.version, text: g.text });
  const pathNote = `"git" in PATH (${absolutePathEntries(env.PATH).join(':')})`;
  if (!g.version)
    return { check: 'git', what: `git could not be run (${g.text})`, looked: pathNote, fix: `install git ${MIN_GIT.join('.')} or newer`, place: 'system' };
  if (!gitNewEnough(g.version))
    return {
      check: 'git',
      what: `git ${g.version.join('.')} is too old: the swarm needs git ${MIN_GIT.join('.')} or newer (merge-tree --write-tree)`,
      looked: pathNote,
      fix: `install git ${MIN_GIT.join('.')} or newer (Debian/Ubuntu: a backport or the git-core PPA; macOS: brew install git) and put it first in PATH`,
      place: 'system',
    };
  return undefined;
}

export function sandboxProblem(status: SandboxStatus | undefined, configName: string): PreflightProblem | undefined {
  if (!status || status.mode !== 'required' || status.sandboxed) return undefined;
  const why = status.reason.replace(/^agents are NOT sandboxed: /, '');
  return {
    check: 'sandbox',
    what: `sandbox.mode is "required" in ${configName}, but ${why}`,
    looked: 'bwrap in PATH (or $SWARM_BWRAP), and a test sandbox',
    fix: `install it: ${INSTALL_HINT} — or set "sandbox": { "mode": "auto" } in ${configName}`,
    place: 'config',
  };
}

export interface PreflightInput {
  root: string;
  config: ResolvedConfig;
  ctx: HarnessContext;
  /** The base branch the run would merge into. */
  base: string;
  git: { revParse(rev: string): Promise<string | undefined> };
  sandbox: SandboxStatus | undefined;
  /** Environment the swarm's own git runs with (PATH). */
  env?: NodeJS.ProcessEnv;
}

/** Every problem that would make the start fail; an empty list means go. */
export async function preflight(i: PreflightInput): Promise<PreflightProblem[]> {
  const configName = i.config.file ? (i.config.file.startsWith(`${i.root}/`) ? i.config.file.slice(i.root.length + 1) : i.config.file) : 'swarm.json';
  const problems = harnessProblems(i.config, i.ctx, configName);
  // Commands from the config the swarm runs itself: [what, argv, its field].
  const commands: [string, string[] | undefined, string][] = [
    ['the worktree setup command', i.config.setup, 'setup'],
    ['the merge check', i.config.mergeCheck?.command, 'merge_check.command'],
  ];
  for (const [label, argv, field] of commands) {
    const p = commandProblem(label, argv, field, configName, i.env);
    if (p) problems.push(p);
  }
  const git = await gitProblem(i.env);
  if (git) problems.push(git);
  const sb = sandboxProblem(i.sandbox, configName);
  if (sb) problems.push(sb);
  const tasks = join(i.root, i.config.tasksDir);
  if (existsSync(tasks) && !statSync(tasks).isDirectory())
    problems.push({
      check: 'tasks',
      what: `the tasks folder ${i.config.tasksDir} is not a folder`,
      looked: tasks,
      fix: `move that file away, or set "tasks_dir" in ${configName}`,
      place: 'config',
    });
  else if (!existsSync(tasks) && i.config.tasksDir !== 'tasks')
    problems.push({
      check: 'tasks',
      what: `the tasks folder ${i.config.tasksDir} does not exist`,
      looked: tasks,
      fix: `create it (with pending/ inside) or correct "tasks_dir" in ${configName}`,
      place: 'config',
    });
  if (!(await i.git.revParse(`refs/heads/${i.base}`)))
    problems.push({
      check: 'base',
      what: `the base branch "${i.base}" does not exist`,
      looked: `refs/heads/${i.base} in ${i.root}`,
      fix: `set "base" in ${configName}, or make a first commit`,
      place: 'config',
    });
  return problems;
}
