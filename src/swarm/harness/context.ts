// What every harness gets from the workspace: where CLIs are, the PATH agents see, and the
// environment every agent process inherits (e.g. a fallback git identity).

import type { AgentSandbox } from '../sandbox';

export interface HarnessContext {
  /** Executable per harness from settings (`swarm.cli.claude`, ...) or swarm.json `harnesses.<name>.command[0]`. */
  cliPaths: Record<string, string>;
  /** PATH for agent processes (login-shell PATH when VS Code started from a GUI). */
  agentPath?: string;
  /** Node executable for node scripts (demo agent). */
  nodePath: string;
  /** dist/demo-agent.js */
  demoAgentPath: string;
  /** Added to every agent's environment. */
  baseEnv: Record<string, string>;
  /** The repository root: a configured relative program path is taken from here (harness/resolve.ts). */
  repoRoot?: string;
  /** Folders no agent program is looked up in by name (the repository, the worktree folder); the
   *  turn's cwd is always added. */
  untrustedDirs?: string[];
  /** The agent sandbox (src/swarm/sandbox.ts); every turn's process is wrapped by it when on. */
  sandbox?: AgentSandbox;
}
