// The harness interface: how one agent CLI is started for one turn.
// Built in: `command` (any program, contract 2 of design.md), `demo` (the deterministic demo
// agents), and the adapters for claude / codex / opencode / gemini. Every harness runs its
// process through `runAgentProcess` (src/swarm/proc.ts): prompt on stdin or in a file, output
// streamed to a log file with a bounded in-memory tail, per-turn timeout, process-group kill.

export type AgentRole = 'worker' | 'executor' | 'planner' | 'reviewer';

/** What one turn of one agent needs. */
export interface AgentTurnRequest {
  role: AgentRole;
  /** The whole prompt text. Harnesses pass it on stdin or in a file, never as a giant argv. */
  prompt: string;
  /** Absolute path of the file holding the prompt (already written by the engine). */
  promptFile: string;
  /** Working directory: the task's worktree, or the repo root for planners and reviewers. */
  cwd: string;
  /** The SWARM_* variables of contract 2 (and nothing else); harnesses add their own. */
  env: Record<string, string>;
  /** Model spec from the config ("opus-4.5", "gpt-5.5", ...), harness-specific. */
  model?: string;
  /** Session to resume (fix rounds, answers to blocked questions), if the harness gave one. */
  resumeSessionId?: string;
  /** Per-turn timeout in milliseconds. */
  timeoutMs: number;
  /** Absolute path of the log file the turn's output is streamed to (appended). */
  logFile: string;
  /** Aborting kills the agent's whole process group. */
  signal: AbortSignal;
  /** The task's branch (workers, executors): the sandbox lets the turn move this ref and no other. */
  branch?: string;
  /** Called once the process is spawned, so the journal can record pid / process group. */
  onSpawn?: (info: { pid: number; pgid: number }) => void;
  /** Writing the log file failed (a full disk, an I/O error): the output is no longer logged. */
  onLogError?: (e: NodeJS.ErrnoException) => void;
}

export type AgentFailureKind =
  | 'missing_cli' // the program is not installed / not on PATH
  | 'auth' // not logged in, bad key
  | 'rate_limit' // rate or usage limit: pause the pool, do not fail the task
  | 'timeout' // the turn ran past timeoutMs and was killed
  | 'aborted' // the swarm was stopped
  | 'crash'; // anything else: non-zero exit, no usable output

export interface AgentFailure {
  kind: AgentFailureKind;
  message: string;
  /** For rate limits: how long to wait before trying again, when the CLI says. */
  retryAfterMs?: number;
}

export interface AgentUsage {
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
}

export interface AgentTurnResult {
  /** The agent's final reply text (for `command`: its stdout; for CLIs: the parsed final message). */
  reply: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** Session id to resume with on the next turn of the same task, when the CLI reports one. */
  sessionId?: string;
  usage?: AgentUsage;
  /** Set when the turn failed; reply may still hold partial output. */
  failure?: AgentFailure;
  /**
   * Signal lines (contract 3) seen anywhere in the output, for harnesses whose reply is only the
   * bounded tail of stdout: a ready signal followed by a flood of output still counts.
   */
  signalLines?: string[];
  /** What the agent sandbox refused during the turn (`network: host:port — reason`); turn.ts keeps them with the task. */
  sandboxDenied?: string[];
}

export interface Harness {
  /** Name as used in swarm.json ("command", "claude", ...). */
  readonly name: string;
  /** True when `resumeSessionId` is honoured. */
  readonly supportsResume: boolean;
  runTurn(req: AgentTurnRequest): Promise<AgentTurnResult>;
}

/** Settings shared by every harness, resolved from swarm.json `harnesses.<name>` and VS Code settings. */
export interface HarnessSettings {
  /** For `command`: the argv to run. For CLI adapters: optional override of the executable path. */
  command?: string[];
  /** Extra environment for the agent process. */
  env?: Record<string, string>;
  /** Per-turn timeout in seconds. */
  timeoutS: number;
  /** Extra CLI arguments appended by adapters. */
  args?: string[];
}
