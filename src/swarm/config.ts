// swarm.json (JSON with comments) and the seed's oompa.json, validated with zod into one
// ResolvedConfig. Every bad field gives one ConfigIssue naming the file, the field and what was
// expected; nothing is written while loading.

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { prototypeKeys, toIssues } from './configIssues';
import type { AgentRole } from './harness/types';
import type { SandboxSettings } from './sandboxPolicy';

export const BUILTIN_HARNESSES = ['demo', 'command', 'claude', 'codex', 'opencode', 'gemini'] as const;
export const DEFAULT_DENY = ['.git/**', '**/*.pem', '**/.env*', 'secrets/**'];

const harnessName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a harness name: lowercase letters, digits, "-" or "_"');
const relPath = z.string().min(1, 'a non-empty path');
export const posInt = z.number().int('a whole number').positive('a number above 0');

const workerSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, 'a short name: lowercase letters, digits and "-"')
      .optional()
      .describe('Prefix of the worker ids (default: the role\'s first letter, "w1", "e2", "p1"...)'),
    role: z
      .enum(['worker', 'executor', 'planner'])
      .default('worker')
      .describe(
        'worker: takes tasks and may add follow-ups; executor: only takes tasks, never retires early; planner: writes new tasks into pending, no worktree',
      ),
    harness: harnessName.default('demo').describe('Which agent CLI runs this worker: demo, claude, codex, opencode, gemini, or a name from "harnesses"'),
    model: z.string().optional().describe('Model for the harness, e.g. "opus-4.5" or "gpt-5.5"'),
    count: posInt.max(64, 'at most 64').default(1).describe('How many workers of this kind run in parallel'),
    iterations: posInt.max(100000, 'at most 100000').default(5).describe('How many tasks (planner: turns) each worker takes before retiring'),
    prompt: relPath.optional().describe('Prompt template, relative to the repo root (default: the built-in prompt of the role)'),
    max_pending: posInt.optional().describe('Planner back-pressure: stop adding tasks while pending has at least this many (default 10)'),
  })
  .strict();

const reviewSchema = z
  .object({
    mode: z
      .enum(['agent', 'human', 'agent+human'])
      .default('agent')
      .describe('agent: the reviewer agent decides; human: you decide in the review panel; agent+human: the agent reviews, then you approve'),
    harness: harnessName.default('demo'),
    model: z.string().optional(),
    max_rounds: posInt.max(20, 'at most 20').default(3).describe('Review rounds (fix rounds included) before the task is handed to you'),
    max_diff_bytes: posInt.default(200_000).describe('Diff budget given to the reviewer; larger diffs are cut with a note'),
    on_reject: z.enum(['pending', 'blocked']).default('pending').describe('Where a REJECTED task goes: back to pending with the feedback, or blocked for you'),
    prompt: relPath.optional(),
  })
  .strict();

const harnessSchema = z
  .object({
    command: z
      .array(z.string().min(1, 'a non-empty argument'))
      .min(1, 'at least the program to run')
      .optional()
      .describe('The program and its arguments (command harness), or the CLI executable for a built-in adapter'),
    args: z.array(z.string()).optional().describe('Extra arguments for a built-in adapter'),
    env: z.record(z.string(), z.string()).optional(),
    timeout_s: posInt.default(1800).describe('Per-turn timeout in seconds'),
    resume: z.boolean().optional().describe('command harness: the program honours SWARM_SESSION_ID and prints "SWARM_SESSION: <id>"'),
  })
  .strict();

const policySchema = z
  .object({
    deny: z.array(z.string().min(1)).default(DEFAULT_DENY).describe('Globs no change may touch'),
    max_lines_added: posInt.default(800),
    max_file_bytes: posInt.default(1_000_000),
    binary: z.enum(['reject', 'human', 'allow']).default('human'),
    on_violation: z.enum(['reject', 'human']).default('human').describe('What a deny-glob or size violation does: reject the round, or hand it to you'),
  })
  .strict();

const limitsSchema = z
  .object({
    max_consecutive_errors: posInt.default(3).describe('A worker stops after this many failed turns in a row'),
    max_attempts: posInt.default(3).describe('A task that failed this many times is blocked for you'),
    backoff_failures: posInt.default(3).describe('This many failures of one pool (harness+model) ...'),
    backoff_window_s: posInt.default(60).describe('... within this many seconds ...'),
    backoff_pause_s: posInt.default(1800).describe('... pause the pool this long'),
    rate_limit_pause_s: posInt.default(300).describe('Pause of a pool after a rate-limit reply when the CLI does not say how long'),
    poll_ms: posInt
      .default(500)
      .describe(
        'How often idle workers look for new tasks and the run checks for decisions when the task folders cannot be watched (they are woken by file changes otherwise, with a safety look every 5 s or this, whichever is longer)',
      ),
    max_cost_usd: z
      .number()
      .positive('a number above 0')
      .finite()
      .optional()
      .describe('Budget of a run in USD: once its agents have cost this much, no new turn starts (src/swarm/budget.ts)'),
    task_max_cost_usd: z
      .number()
      .positive('a number above 0')
      .finite()
      .optional()
      .describe('Budget of each task in USD (all its rounds and reviews), unless its frontmatter sets max_cost_usd'),
    unpriced_turn_usd: z
      .number()
      .min(0, 'a number, 0 or above')
      .finite()
      .optional()
      .describe(
        'Where a budget applies, what a turn that reports no cost counts as (USD); unset: such a turn stops new turns with "cost unknown" (src/swarm/budget.ts)',
      ),
  })
  .strict();

const sandboxSchema = z
  .object({
    mode: z
      .enum(['auto', 'required', 'off'])
      .default('auto')
      .describe(
        'auto: agents run in a bubblewrap sandbox where it is installed, else a warning; required: refuse to start without it; off: no sandbox (a warning at start)',
      ),
    allow_write: z
      .array(z.string().min(1, 'a non-empty path'))
      .default([])
      .describe('Extra paths agents may write (absolute, ~/..., or relative to the repo root)'),
    deny_read: z
      .array(z.string().min(1, 'a non-empty path'))
      .default([])
      .describe('Paths hidden from agents, besides the built-in credential stores (~/.ssh, ~/.aws, ...)'),
    allow_domains: z
      .array(z.string().regex(/^[A-Za-z0-9*.-]+(:\d+)?$/, 'a host name'))
      .default([])
      .describe(
        'Hosts agents may reach besides their model API (exact names, *.domain for subdomains, optional :port), through the filtering proxy of the sandbox',
      ),
  })
  .strict();

// --- merge_check (issue 14: the base only ever points at commits that passed the check) -----------
const mergeCheckSchema = z
  .object({
    command: z
      .array(z.string().min(1, 'a non-empty argument'))
      .min(1, 'at least the program to run')
      .describe(
        'The check, run in a scratch checkout of each exact merge result before the base moves (e.g. ["npm", "test"]); env: SWARM_* and SWARM_MERGE_SHA',
      ),
    timeout_s: posInt.max(86_400, 'at most 86400').default(900).describe('A check running longer is killed (its whole process tree) and counts as failed'),
    batch: posInt
      .max(32, 'at most 32')
      .default(8)
      .describe('Up to this many queued approved changes are checked together; a failing batch is bisected (1: one at a time)'),
  })
  .strict();

// --- worktree environment (README "Worktree environment"; src/swarm/worktreeEnv.ts, ports.ts) ---
export const DEFAULT_PORT_BASE = 4100;
export const DEFAULT_PORT_COUNT = 10;
const worktreeSchema = z
  .object({
    include: z
      .array(
        z
          .string()
          .min(1, 'a non-empty pattern')
          .max(512, 'at most 512 characters')
          .refine((p) => !p.includes('\0') && !/(^|\/)\.\.(\/|$)/.test(p), 'a pattern inside the repository (no "..")'),
      )
      .max(256, 'at most 256 patterns')
      .default([])
      .describe('Patterns (gitignore syntax, as in .worktreeinclude) of ignored files copied from your checkout into each new worktree'),
    port_base: z
      .number()
      .int('a whole number')
      .min(1024, 'at least 1024')
      .max(65535, 'at most 65535')
      .default(DEFAULT_PORT_BASE)
      .describe('First port of the ranges given to worktrees (SWARM_PORT)'),
    port_count: posInt.max(1000, 'at most 1000').default(DEFAULT_PORT_COUNT).describe('Ports per worktree (SWARM_PORT_COUNT)'),
  })
  .strict()
  .refine((w) => w.port_base + w.port_count <= 65536, { message: 'port_base + port_count must stay at or below 65536', path: ['port_count'] });

export const swarmConfigSchema = z
  .object({
    $schema: z.string().optional(),
    base: z
      .string()
      .regex(/^(?!-)[A-Za-z0-9._/-]+$/, 'a branch name')
      .optional()
      .describe('Branch approved changes merge into (default: the branch checked out now)'),
    tasks_dir: relPath.default('tasks'),
    worktree_dir: relPath.default('.swarm/worktrees'),
    setup: z.array(z.string().min(1)).min(1, 'at least the program to run').optional().describe('Command run once in each new worktree (e.g. ["npm", "ci"])'),
    workers: z
      .array(workerSchema)
      .min(1, 'at least one worker')
      .default([{ role: 'worker', harness: 'demo', count: 2, iterations: 5 }]),
    review: reviewSchema.default({ mode: 'agent', harness: 'demo', max_rounds: 3, max_diff_bytes: 200_000, on_reject: 'pending' }),
    harnesses: z.record(harnessName, harnessSchema).default({}),
    policy: policySchema.default({ deny: DEFAULT_DENY, max_lines_added: 800, max_file_bytes: 1_000_000, binary: 'human', on_violation: 'human' }),
    limits: limitsSchema.default({
      max_consecutive_errors: 3,
      max_attempts: 3,
      backoff_failures: 3,
      backoff_window_s: 60,
      backoff_pause_s: 1800,
      rate_limit_pause_s: 300,
      poll_ms: 500,
    }),
    timeout_s: posInt.default(1800).describe('Default per-turn timeout for harnesses that set none'),
    sandbox: sandboxSchema.default({ mode: 'auto', allow_write: [], deny_read: [], allow_domains: [] }).describe('The agent sandbox (docs/security.md)'),
    merge_check: mergeCheckSchema.optional().describe('The project\'s check, run on each exact merge result before the base moves (README, "Merge checks")'),
    worktree: worktreeSchema
      .default({ include: [], port_base: DEFAULT_PORT_BASE, port_count: DEFAULT_PORT_COUNT })
      .describe('What each new worktree gets: ignored files copied in, its own port range'),
  })
  .strict();

export type SwarmConfigInput = z.input<typeof swarmConfigSchema>;
type ParsedConfig = z.output<typeof swarmConfigSchema>;

export interface WorkerSpec {
  id: string;
  role: AgentRole;
  harness: string;
  model?: string;
  iterations: number;
  prompt?: string;
  maxPending: number;
}

export interface HarnessConfig {
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  timeoutS: number;
  resume?: boolean;
}

export interface ResolvedConfig {
  /** Absolute path of the file read, or undefined for built-in defaults. */
  file: string | undefined;
  format: 'swarm' | 'oompa' | 'default';
  base: string | undefined;
  tasksDir: string;
  worktreeDir: string;
  setup?: string[];
  workers: WorkerSpec[];
  review: {
    mode: 'agent' | 'human' | 'agent+human';
    harness: string;
    model?: string;
    maxRounds: number;
    maxDiffBytes: number;
    onReject: 'pending' | 'blocked';
    prompt?: string;
  };
  harnesses: Record<string, HarnessConfig>;
  policy: { deny: string[]; maxLinesAdded: number; maxFileBytes: number; binary: 'reject' | 'human' | 'allow'; onViolation: 'reject' | 'human' };
  limits: {
    maxConsecutiveErrors: number;
    maxAttempts: number;
    backoffFailures: number;
    backoffWindowMs: number;
    backoffPauseMs: number;
    rateLimitPauseMs: number;
    pollMs: number;
    maxCostUsd?: number;
    taskMaxCostUsd?: number;
    unpricedTurnUsd?: number;
  };
  timeoutS: number;
  sandbox: SandboxSettings;
  /** The merge check (README, "Merge checks"); undefined: merges are not checked. */
  mergeCheck?: { command: string[]; timeoutS: number; batch: number };
  worktree: WorktreeSettings;
}

/** config `worktree`: include patterns copied into new worktrees, and the port ranges. */
export interface WorktreeSettings {
  include: string[];
  portBase: number;
  portCount: number;
}

function workerPrefix(role: AgentRole): string {
  return role === 'planner' ? 'p' : role === 'executor' ? 'e' : 'w';
}

export function resolveConfig(parsed: ParsedConfig, file: string | undefined, format: ResolvedConfig['format'], display: string): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  const known = new Set<string>([...BUILTIN_HARNESSES, ...Object.keys(parsed.harnesses)]);
  parsed.workers.forEach((w, i) => {
    if (!known.has(w.harness))
      issues.push({
        file: display,
        field: `workers[${i}].harness`,
        message: `expected one of ${[...known].map((k) => JSON.stringify(k)).join(', ')}, found ${JSON.stringify(w.harness)}`,
      });
  });
  if (!known.has(parsed.review.harness))
    issues.push({
      file: display,
      field: 'review.harness',
      message: `expected one of ${[...known].map((k) => JSON.stringify(k)).join(', ')}, found ${JSON.stringify(parsed.review.harness)}`,
    });
  for (const [name, h] of Object.entries(parsed.harnesses)) {
    if (!BUILTIN_HARNESSES.includes(name as (typeof BUILTIN_HARNESSES)[number]) && !h.command)
      issues.push({
        file: display,
        field: `harnesses.${name}.command`,
        message: 'expected the program to run (a custom harness needs "command"), found nothing',
      });
  }
  if (parsed.tasks_dir.includes('..') || isAbsolute(parsed.tasks_dir))
    issues.push({ file: display, field: 'tasks_dir', message: `expected a folder inside the repository, found ${JSON.stringify(parsed.tasks_dir)}` });
  if (issues.length) throw new ConfigError(issues);

  const counters = new Map<string, number>();
  const workers: WorkerSpec[] = [];
  for (const w of parsed.workers) {
    const prefix = w.name ?? workerPrefix(w.role);
    for (let n = 0; n < w.count; n++) {
      const k = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, k);
      workers.push({
        id: `${prefix}${k}`,
        role: w.role,
        harness: w.harness,
        model: w.model,
        iterations: w.iterations,
        prompt: w.prompt,
        maxPending: w.max_pending ?? 10,
      });
    }
  }
  const harnesses: Record<string, HarnessConfig> = Object.create(null) as Record<string, HarnessConfig>;
  for (const [name, h] of Object.entries(parsed.harnesses))
    harnesses[name] = { command: h.command, args: h.args, env: h.env, timeoutS: h.timeout_s, resume: h.resume };
  return {
    file,
    format,
    base: parsed.base,
    tasksDir: parsed.tasks_dir,
    worktreeDir: parsed.worktree_dir,
    setup: parsed.setup,
    workers,
    review: {
      mode: parsed.review.mode,
      harness: parsed.review.harness,
      model: parsed.review.model,
      maxRounds: parsed.review.max_rounds,
      maxDiffBytes: parsed.review.max_diff_bytes,
      onReject: parsed.review.on_reject,
      prompt: parsed.review.prompt,
    },
    harnesses,
    policy: {
      deny: parsed.policy.deny,
      maxLinesAdded: parsed.policy.max_lines_added,
      maxFileBytes: parsed.policy.max_file_bytes,
      binary: parsed.policy.binary,
      onViolation: parsed.policy.on_violation,
    },
    limits: {
      maxConsecutiveErrors: parsed.limits.max_consecutive_errors,
      maxAttempts: parsed.limits.max_attempts,
      backoffFailures: parsed.limits.backoff_failures,
      backoffWindowMs: parsed.limits.backoff_window_s * 1000,
      backoffPauseMs: parsed.limits.backoff_pause_s * 1000,
      rateLimitPauseMs: parsed.limits.rate_limit_pause_s * 1000,
      pollMs: parsed.limits.poll_ms,
      maxCostUsd: parsed.limits.max_cost_usd,
      taskMaxCostUsd: parsed.limits.task_max_cost_usd,
      unpricedTurnUsd: parsed.limits.unpriced_turn_usd,
    },
    timeoutS: parsed.timeout_s,
    sandbox: {
      mode: parsed.sandbox.mode,
      allowWrite: parsed.sandbox.allow_write,
      denyRead: parsed.sandbox.deny_read,
      allowDomains: parsed.sandbox.allow_domains,
    },
    mergeCheck: parsed.merge_check
      ? { command: parsed.merge_check.command, timeoutS: parsed.merge_check.timeout_s, batch: parsed.merge_check.batch }
      : undefined,
    worktree: { include: parsed.worktree.include, portBase: parsed.worktree.port_base, portCount: parsed.worktree.port_count },
  };
}

/** Validate an already-parsed swarm.json object. */
export function parseSwarmConfig(raw: unknown, display = 'swarm.json', file?: string): ResolvedConfig {
  const reserved = prototypeKeys(raw, display);
  if (reserved.length) throw new ConfigError(reserved);
  const r = swarmConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(toIssues(display, r.error, raw));
  return resolveConfig(r.data, file, 'swarm', display);
}

/** JSON schema for swarm.json, from the same zod schema (contributed to VS Code via jsonValidation). */
export function swarmJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(swarmConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Worktree Swarm configuration (swarm.json)', allowTrailingCommas: true };
}
