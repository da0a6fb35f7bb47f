// The agent-CLI adapters (claude, codex, opencode, gemini) on the harness interface, and their
// registration in `cliAdapters`. Each CLI is described by a CliSpec (its own file: argv, env,
// output parser); CliHarness runs one turn of any of them through runTurnProcess (sandboxed when on):
//   - executable: VS Code setting swarm.cli.<name> (ctx.cliPaths) ?? swarm.json
//     harnesses.<name>.command (its first element is the program, the rest are put before our
//     flags) ?? the name on PATH; extra flags from harnesses.<name>.args; env from .env
//   - the prompt on stdin, then stdin closed; the process in its own group (timeout / stop kill it)
//   - permission bypass flags only when the turn runs in a linked git worktree (a worker's);
//     reviewers and planners run in the user's checkout with the CLI's restricted modes
//   - stdout parsed line by line (JSON events) into reply, session id, usage and a failure class.
// Registration: importing this module registers the four adapters into the registry's
// `cliAdapters` (src/swarm/workspace.ts does `import './harness/adapters'`). index.ts must not
// import this module (that would be an import cycle: this module imports the registry).

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { agentEnv, agentTrust, classifyExit, runTurnProcess } from './command';
import { kindFromText, failureFrom, oneLine, retryAfterFromStderr, stderrGist, type ParsedTurn, type TurnParser } from './cli-parse';
import type { HarnessContext } from './context';
import { cliAdapters, type AdapterFactory } from './index';
import type { AgentFailure, AgentTurnRequest, AgentTurnResult, AgentUsage, Harness } from './types';
import { claudeSpec } from './claude';
import { codexSpec } from './codex';
import { opencodeSpec } from './opencode';
import { geminiSpec } from './gemini';

export type CliName = 'claude' | 'codex' | 'opencode' | 'gemini';

export interface CliPlanOptions {
  /** harnesses.<name>.args from swarm.json. */
  extraArgs: string[];
  /** The turn runs in a linked git worktree of a worker/executor: permission bypass allowed. */
  sandboxed: boolean;
  /** Session to resume, if any. */
  resume?: string;
  /** The swarm's own sandbox wraps the turn (src/swarm/sandbox.ts): a CLI sandbox inside it
   *  (Codex's bubblewrap) cannot work and is not needed; ours enforces the role's limits. */
  outerSandbox: boolean;
  /** The swarm runs as root (Claude Code then needs IS_SANDBOX=1 for its bypass flag). */
  isRoot: boolean;
}

export interface CliTurnPlan {
  /** Arguments after the executable. */
  args: string[];
  /** Environment the adapter adds (the user's harnesses.<name>.env wins over it). */
  env: Record<string, string>;
  /** Written to stdin, which is then closed. */
  stdin: string;
}

export interface CliSpec {
  readonly name: CliName;
  readonly displayName: string;
  readonly supportsResume: boolean;
  plan(req: AgentTurnRequest, o: CliPlanOptions): CliTurnPlan;
  parser(): TurnParser;
  /** A failure from exit code and stderr, when the structured output had none. */
  exitFailure?(exitCode: number | null, stderr: string, parsed: ParsedTurn): AgentFailure | undefined;
  /** The CLI said the session to resume does not exist (then the turn is run once more, fresh). */
  sessionNotFound?(parsed: ParsedTurn, stderr: string): boolean;
  /** The CLI's state folder while it was never initialised, else undefined: a first start there
   *  runs alone until it prints its first event (OpenCode creates its database from every process
   *  at once and crashes: "Failed query: CREATE TABLE `workspace`"). */
  freshState?(env: NodeJS.ProcessEnv): string | undefined;
  /** Usage fields the CLI reports as the session's running total, not the turn's (Codex tokens,
   *  Claude's total_cost_usd): the adapter subtracts the total it saw last for that session. */
  readonly cumulativeUsage?: readonly (keyof AgentUsage)[];
  /** Keeps a session for the turn that resumes it, where the CLI itself may delete it (Gemini's
   *  start-up cleanup: gemini-session.ts): `save` after every turn, `restore` before a resume. */
  readonly keepSession?: { save(env: NodeJS.ProcessEnv, sessionId: string): unknown; restore(env: NodeJS.ProcessEnv, sessionId: string): unknown };
}

export interface CliHarnessSettings {
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
}

export const CLI_SPECS: Record<CliName, CliSpec> = { claude: claudeSpec, codex: codexSpec, opencode: opencodeSpec, gemini: geminiSpec };

/** Where the user sets the executable, for "not found" messages. */
export function cliSettingHint(name: string): string {
  return `the VS Code setting swarm.cli.${name} or swarm.json harnesses.${name}.command`;
}

/**
 * A linked worktree has a `.git` file pointing into `<common dir>/worktrees/<name>`; the main
 * checkout has a `.git` folder, a submodule a `.git` file pointing into `.../modules/<name>`.
 */
export function isLinkedWorktree(dir: string): boolean {
  try {
    const f = join(dir, '.git');
    if (!statSync(f).isFile()) return false;
    return /^gitdir:\s*.*[\\/]worktrees[\\/][^\\/]+\s*$/m.test(readFileSync(f, 'utf8').slice(0, 4096));
  } catch {
    return false;
  }
}

export function resolveCliCommand(name: string, ctx: HarnessContext, cfg: CliHarnessSettings | undefined): string[] {
  const fromSetting = ctx.cliPaths[name];
  const command = cfg?.command?.length ? cfg.command : undefined;
  // The workspace also copies harnesses.<name>.command[0] into cliPaths: then the whole command
  // (with its extra elements, e.g. ["npx", "--no-install", "claude"]) is meant.
  if (fromSetting && (!command || fromSetting !== command[0])) return [fromSetting];
  if (command) return [...command];
  return [name];
}

/** First starts in a CLI's never-initialised state folder, by folder (process-wide). */
const starting = new Map<string, Promise<void>>();

/**
 * Wait while another turn makes `key`'s state (its first start); then, if the state is still not
 * made, be that first start: the returned release lets the others go (call it at the turn's first
 * output and at its end). No key: nothing to wait for.
 */
export async function firstStart(key: string | undefined, stillFresh: () => boolean): Promise<() => void> {
  if (!key) return () => undefined;
  for (let p = starting.get(key); p; p = starting.get(key)) await p;
  if (!stillFresh()) return () => undefined;
  let done!: () => void;
  starting.set(
    key,
    new Promise<void>((r) => {
      done = r;
    }),
  );
  let released = false;
  return () => {
    if (released) return;
    released = true;
    starting.delete(key);
    done();
  };
}

/** Last running totals per harness+session, for CLIs with cumulative usage (bounded, process-wide:
 *  the engine may create a harness object per turn). */
const sessionTotals = new Map<string, AgentUsage>();

export class CliHarness implements Harness {
  readonly name: string;
  readonly supportsResume: boolean;

  constructor(
    readonly spec: CliSpec,
    private readonly ctx: HarnessContext,
    private readonly cfg: CliHarnessSettings = {},
  ) {
    this.name = spec.name;
    this.supportsResume = spec.supportsResume;
  }

  /** The argv and env additions for a turn (exposed for tests and the docs). `resume: null` = fresh session. */
  planTurn(req: AgentTurnRequest, resume: string | null = (this.supportsResume && req.resumeSessionId) || null): { argv: string[]; plan: CliTurnPlan } {
    const sandboxed = (req.role === 'worker' || req.role === 'executor') && isLinkedWorktree(req.cwd);
    const plan = this.spec.plan(req, {
      extraArgs: this.cfg.args ?? [],
      sandboxed,
      outerSandbox: !!this.ctx.sandbox?.on,
      resume: resume ?? undefined,
      isRoot: process.getuid?.() === 0,
    });
    return { argv: [...resolveCliCommand(this.name, this.ctx, this.cfg), ...plan.args], plan };
  }

  async runTurn(req: AgentTurnRequest): Promise<AgentTurnResult> {
    const resume = this.supportsResume ? req.resumeSessionId : undefined;
    const first = await this.runOnce(req, resume);
    if (resume && first.notFound && !req.signal.aborted) {
      // The session is gone (another machine, cleaned config dir): start a fresh one.
      const again = await this.runOnce(req, undefined);
      return { ...again.result, durationMs: first.result.durationMs + again.result.durationMs };
    }
    return first.result;
  }

  private async runOnce(req: AgentTurnRequest, resume: string | undefined): Promise<{ result: AgentTurnResult; notFound: boolean }> {
    const { argv, plan } = this.planTurn(req, resume ?? null);
    const parser = this.spec.parser();
    const env = agentEnv(this.ctx, req, { ...plan.env, ...this.cfg.env, PWD: req.cwd });
    if (resume)
      try {
        this.spec.keepSession?.restore(env, resume);
      } catch {
        /* the resume finds what it finds */
      }
    const release = await firstStart(this.spec.freshState?.(env), () => !!this.spec.freshState?.(env));
    const r = await runTurnProcess(this.ctx, req, this.name, {
      argv,
      cwd: req.cwd,
      env,
      stdin: plan.stdin,
      timeoutMs: req.timeoutMs,
      logFile: req.logFile,
      signal: req.signal,
      onSpawn: req.onSpawn,
      onLogError: req.onLogError,
      onStdoutLine: (line) => {
        release();
        parser.push(line);
      },
      trust: agentTrust(this.ctx, req),
    }).finally(release);
    const parsed = parser.result();
    if (parsed.sessionId)
      try {
        this.spec.keepSession?.save(env, parsed.sessionId);
      } catch {
        /* kept next time */
      }
    const program = argv[0];
    let failure = classifyExit(r, program, cliSettingHint(this.name));
    if (failure?.kind === 'missing_cli')
      failure = {
        ...failure,
        message: `${this.spec.displayName} (${program}) was not found. Install it or set its path in ${cliSettingHint(this.name)}. (${r.spawnError?.message ?? ''})`,
      };
    let reply = parsed.reply;
    if (!failure || failure.kind === 'crash') {
      if (r.exitCode === 127 && !parsed.completed && parsed.nonJsonLines + (parsed.sessionId ? 1 : 0) === 0) {
        failure = {
          kind: 'missing_cli',
          message:
            `${this.spec.displayName} could not be started by ${program} (exit 127: command not found). Set its path in ${cliSettingHint(this.name)}. ${oneLine(stderrGist(r.stderrTail))}`.trim(),
        };
      } else if (parsed.failure) {
        failure = parsed.failure;
      } else if (r.exitCode !== 0) {
        failure = this.spec.exitFailure?.(r.exitCode, r.stderrTail, parsed) ?? exitFailure(this.spec.displayName, r.exitCode, r.signal, r.stderrTail, parsed);
      } else if (!parsed.completed && !parsed.reply) {
        const out = r.stdoutTail.trim();
        if (parsed.nonJsonLines > 0 && !parsed.sessionId && out)
          reply = out; // not JSON at all (custom args changed the format?): plain text reply
        else
          failure = {
            kind: 'crash',
            message: `${this.spec.displayName} exited without a reply${parsed.notes.length ? `: ${parsed.notes[parsed.notes.length - 1]}` : ''}`,
          };
      }
    }
    if (failure?.kind === 'rate_limit' && failure.retryAfterMs === undefined) {
      const wait = retryAfterFromStderr(r.stderrTail);
      if (wait !== undefined && wait > 0) failure = { ...failure, retryAfterMs: wait };
    }
    const usage =
      parsed.usage && this.spec.cumulativeUsage?.length && parsed.sessionId
        ? this.turnUsage(parsed.sessionId, parsed.usage, this.spec.cumulativeUsage)
        : parsed.usage;
    const notFound = !!resume && !!failure && failure.kind === 'crash' && !!this.spec.sessionNotFound?.(parsed, r.stderrTail);
    const result: AgentTurnResult = {
      reply,
      exitCode: r.exitCode,
      signal: r.signal,
      durationMs: r.durationMs,
      sessionId: parsed.sessionId ?? resume,
      ...(usage ? { usage } : {}),
      ...(failure ? { failure } : {}),
      ...(r.sandboxDenied ? { sandboxDenied: r.sandboxDenied } : {}),
    };
    return { result, notFound };
  }

  private turnUsage(session: string, reported: AgentUsage, fields: readonly (keyof AgentUsage)[]): AgentUsage {
    const key = `${this.name}\0${session}`;
    const last = sessionTotals.get(key);
    sessionTotals.delete(key);
    sessionTotals.set(key, reported);
    if (sessionTotals.size > 1000) sessionTotals.delete(sessionTotals.keys().next().value as string);
    return last ? usageDelta(reported, last, fields) : reported;
  }
}

/** For the cumulative `fields`: reported − previous (a total that went down keeps the reported value); others as reported. */
export function usageDelta(reported: AgentUsage, prev: AgentUsage, fields: readonly (keyof AgentUsage)[]): AgentUsage {
  const out: AgentUsage = { ...reported };
  for (const f of fields) {
    const a = reported[f];
    const b = prev[f];
    if (a !== undefined && b !== undefined && a >= b) out[f] = Math.round((a - b) * 1e9) / 1e9;
  }
  return out;
}

/** A failure from a non-zero exit with nothing structured: stderr decides rate_limit / auth / crash. */
export function exitFailure(program: string, exitCode: number | null, signal: NodeJS.Signals | null, stderr: string, parsed: ParsedTurn): AgentFailure {
  const gist = stderrGist(stderr) || parsed.notes.slice(-2).join(' | ');
  const kind = kindFromText(gist) ?? kindFromText(stderr.slice(-4000));
  const base = `${program} exited with ${exitCode ?? signal}`;
  if (kind) return failureFrom(program, `${base}: ${gist || stderr.slice(-300)}`, kind === 'auth' ? 401 : 429);
  return { kind: 'crash', message: `${base}${gist ? `: ${oneLine(gist)}` : ''}` };
}

function factory(spec: CliSpec): AdapterFactory {
  return (ctx, cfg) => new CliHarness(spec, ctx, cfg ? { command: cfg.command, args: cfg.args, env: cfg.env } : {});
}

/** The four adapters by harness name. */
export const builtinCliAdapters: Record<CliName, AdapterFactory> = {
  claude: factory(claudeSpec),
  codex: factory(codexSpec),
  opencode: factory(opencodeSpec),
  gemini: factory(geminiSpec),
};

/** Register the adapters into a registry; entries already present (e.g. a test's fake) are kept. */
export function registerCliAdapters(target: Record<string, AdapterFactory>): void {
  for (const [name, f] of Object.entries(builtinCliAdapters)) if (!target[name]) target[name] = f;
}

registerCliAdapters(cliAdapters);
