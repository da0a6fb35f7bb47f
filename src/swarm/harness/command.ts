// The `command` harness (contract 2 of design.md): any program, cwd = the worktree, the prompt on
// stdin and in $SWARM_PROMPT_FILE, the SWARM_* variables in its environment, stdout = the reply.
// Conventions for scripted agents: exit code 75 (EX_TEMPFAIL) means "rate limited" (optionally
// `SWARM_RETRY_AFTER: <seconds>` on stderr); with `resume: true` the program gets
// SWARM_SESSION_ID and may print `SWARM_SESSION: <id>` to name its session. A line
// `SWARM_USAGE: cost_usd=0.12 input_tokens=1500 output_tokens=300` (any of the three) reports
// usage; several such lines in one turn add up (budgets and cost views: src/swarm/budget.ts).

import { notStarted, resolveAgentProgram, runAgentProcess, type AgentProcessOptions, type AgentProcessResult } from '../proc';
import { READY_SIGNAL, DONE_SIGNAL } from '../signals';
import type { AgentFailure, AgentTurnRequest, AgentTurnResult, AgentUsage, Harness } from './types';
import { sumUsage } from '../cost';
import type { HarnessContext } from './context';
import { scrubAgentEnv } from '../decisionKey';
import { appendFileSync } from 'node:fs';
import { terminalSafe } from '../text';
import type { ProgramTrust } from './resolve';

export const EX_TEMPFAIL = 75;

export function agentEnv(ctx: HarnessContext, req: AgentTurnRequest, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.baseEnv, ...extra, ...req.env, SWARM_PROMPT_FILE: req.promptFile };
  if (ctx.agentPath) env.PATH = ctx.agentPath;
  // Nothing that could carry or name the decision key reaches an agent (docs/security.md).
  return scrubAgentEnv(env);
}

/** Where a turn's program may come from: the user's environment, never the repository or a worktree (issue 12 rule 4). */
export function agentTrust(ctx: HarnessContext, req: AgentTurnRequest): ProgramTrust {
  return { base: ctx.repoRoot ?? req.cwd, untrusted: [...(ctx.untrustedDirs ?? []), req.cwd] };
}

/**
 * Run one turn's process, inside the agent sandbox when the context has one that is on
 * (src/swarm/sandbox.ts): the argv is wrapped in bwrap with the turn's policy (role, worktree,
 * branch, the harness's state folders), and the temp folder and loopback bridges are removed after.
 */
export async function runTurnProcess(ctx: HarnessContext, req: AgentTurnRequest, harness: string, given: AgentProcessOptions): Promise<AgentProcessResult> {
  // The program is found (in the user's environment only) before the sandbox wraps it.
  const resolved = resolveAgentProgram(given);
  if ('error' in resolved) return notStarted(resolved.error);
  const opts = resolved.opts;
  const prepared = await ctx.sandbox?.prepare({ role: req.role, cwd: req.cwd, branch: req.branch, harness, env: opts.env }, opts.argv);
  if (!prepared) return runAgentProcess(opts);
  try {
    const r = await runAgentProcess({ ...opts, argv: prepared.argv });
    // What the sandbox refused goes into the turn's log, where the user and the review look (docs/security.md).
    const denied = prepared.denied();
    if (denied.length && opts.logFile)
      appendFileSync(opts.logFile, `\n[swarm sandbox] denied ${denied.length}:\n${denied.map((d) => `  ${terminalSafe(d)}`).join('\n')}\n`);
    // …and with the result, which the engine keeps with the task for the review (sandboxDenials.ts).
    const withDenied = denied.length ? { ...r, sandboxDenied: denied.map((d) => terminalSafe(d)) } : r;
    // bwrap reports what it could not do (exec the program, make a bind) on stderr with exit 1.
    const line = r.exitCode === 1 ? r.stderrTail.split('\n').find((l) => l.startsWith('bwrap: ')) : undefined;
    if (!line) return withDenied;
    const missing = /execvp .*No such file or directory/.test(line);
    return {
      ...withDenied,
      spawnError: Object.assign(new Error(missing ? `${opts.argv[0]}: not found (${line})` : `the sandbox could not start: ${line}`), {
        code: missing ? 'ENOENT' : 'ESANDBOX',
      }),
    };
  } finally {
    const problems = await prepared.dispose();
    if (problems.length && opts.logFile) appendFileSync(opts.logFile, `\n${problems.map((p) => `[swarm sandbox] ${terminalSafe(p)}`).join('\n')}\n`);
  }
}

/** Failure class from how a process ended, for harnesses with no better signal. */
export function classifyExit(r: AgentProcessResult, program: string, settingHint?: string): AgentFailure | undefined {
  if (r.spawnError) {
    const missing = r.spawnError.code === 'ENOENT';
    return {
      kind: missing ? 'missing_cli' : 'crash',
      message: missing
        ? `${program} was not found${settingHint ? ` (set its path in ${settingHint})` : ''}: ${r.spawnError.message}`
        : `could not start ${program}: ${r.spawnError.message}`,
    };
  }
  if (r.aborted) return { kind: 'aborted', message: 'stopped' };
  if (r.timedOut) return { kind: 'timeout', message: `turn timed out after ${Math.round(r.durationMs / 1000)} s; the process group was killed` };
  if (r.exitCode !== 0) {
    const lastErr = r.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return { kind: 'crash', message: `${program} exited with ${r.exitCode ?? r.signal}${lastErr ? `: ${lastErr}` : ''}` };
  }
  return undefined;
}

export class CommandHarness implements Harness {
  readonly supportsResume: boolean;
  constructor(
    readonly name: string,
    private readonly argv: string[],
    private readonly ctx: HarnessContext,
    private readonly opts: { env?: Record<string, string>; resume?: boolean } = {},
  ) {
    this.supportsResume = !!opts.resume;
  }

  async runTurn(req: AgentTurnRequest): Promise<AgentTurnResult> {
    const extra: Record<string, string> = { ...this.opts.env };
    if (this.supportsResume && req.resumeSessionId) extra.SWARM_SESSION_ID = req.resumeSessionId;
    if (req.model) extra.SWARM_MODEL = req.model;
    const signalLines: string[] = [];
    let usage: AgentUsage | undefined;
    const r = await runTurnProcess(this.ctx, req, this.name, {
      onStdoutLine: (line) => {
        const t = line.trim();
        const u = parseUsageLine(t);
        if (u) usage = sumUsage(usage, u);
        if ((t === READY_SIGNAL || t === DONE_SIGNAL || /^BLOCKED:\s*\S/.test(t)) && signalLines.length < 16) signalLines.push(t.slice(0, 4000));
      },
      argv: this.argv,
      cwd: req.cwd,
      env: agentEnv(this.ctx, req, extra),
      stdin: req.prompt,
      timeoutMs: req.timeoutMs,
      logFile: req.logFile,
      signal: req.signal,
      onSpawn: req.onSpawn,
      onLogError: req.onLogError,
      trust: agentTrust(this.ctx, req),
    });
    let failure = classifyExit(r, this.argv[0], `swarm.json harnesses.${this.name}.command`);
    if (failure?.kind === 'crash' && r.exitCode === EX_TEMPFAIL) {
      const m = /SWARM_RETRY_AFTER:\s*(\d+)/.exec(r.stderrTail);
      failure = { kind: 'rate_limit', message: `${this.argv[0]} reported a rate limit`, retryAfterMs: m ? Number(m[1]) * 1000 : undefined };
    }
    const session = /^SWARM_SESSION:\s*(\S+)\s*$/m.exec(r.stdoutTail);
    return {
      reply: r.stdoutTail,
      exitCode: r.exitCode,
      signal: r.signal,
      durationMs: r.durationMs,
      sessionId: session?.[1] ?? req.resumeSessionId,
      failure,
      signalLines,
      ...(usage ? { usage } : {}),
      ...(r.sandboxDenied ? { sandboxDenied: r.sandboxDenied } : {}),
    };
  }
}

const USAGE_KEYS: Record<string, keyof AgentUsage> = { cost_usd: 'costUsd', input_tokens: 'inputTokens', output_tokens: 'outputTokens' };

/** `SWARM_USAGE: cost_usd=0.12 input_tokens=1500`: the usage it reports, or undefined for any other line. */
export function parseUsageLine(line: string): AgentUsage | undefined {
  const m = /^SWARM_USAGE:\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const u: AgentUsage = {};
  for (const pair of m[1].split(/\s+/)) {
    const [k, v] = pair.split('=');
    const key = USAGE_KEYS[k];
    const n = Number(v);
    if (key && v !== undefined && v !== '' && Number.isFinite(n) && n >= 0) u[key] = n;
  }
  return Object.keys(u).length ? u : undefined;
}
