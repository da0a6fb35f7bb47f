// What `swarm init` / "Swarm: Initialize swarm" writes as swarm.json (issue 18): the agent CLIs
// installed on this machine, found the way a turn finds them (harness/resolve.ts: the agents'
// PATH, the swarm.cli.* settings), run the workers and the reviewer; with none installed, the
// built-in demo agents, with a comment saying how to switch. The choice is said back to the user.

import { parseSwarmConfig } from './config';
import { CLI_SPECS, type CliName } from './harness/adapters';
import type { HarnessContext } from './harness/context';
import { CLI_INSTALL, findHarnessProgram } from './preflight';

/** Preference when several CLIs are installed. */
export const CLI_PREFERENCE: CliName[] = ['claude', 'codex', 'opencode', 'gemini'];

export interface InitChoice {
  /** The harness the workers and the reviewer use. */
  harness: CliName | 'demo';
  /** Every agent CLI found, with its path. */
  found: { name: CliName; path: string }[];
  /** One sentence for the user. */
  message: string;
}

export interface InitOptions {
  /** PATH the agents get (the login shell's in VS Code); default this process's. */
  agentPath?: string;
  /** swarm.cli.* settings. */
  cliPaths?: Record<string, string>;
}

/** Which agent CLIs are installed, and which one a new swarm.json should use. */
export function chooseHarness(root: string, o: InitOptions = {}): InitChoice {
  const ctx: HarnessContext = {
    cliPaths: { ...o.cliPaths },
    agentPath: o.agentPath,
    nodePath: process.execPath,
    demoAgentPath: '',
    baseEnv: {},
    repoRoot: root,
    untrustedDirs: [root],
  };
  const config = parseSwarmConfig({}, '(defaults)');
  const found: InitChoice['found'] = [];
  for (const name of CLI_PREFERENCE) {
    const { path } = findHarnessProgram(name, config, ctx);
    if (path) found.push({ name, path });
  }
  if (!found.length) {
    return {
      harness: 'demo',
      found,
      message: `no agent CLI (${CLI_PREFERENCE.join(', ')}) was found, so swarm.json uses the built-in demo agents; to use a real one, install it (e.g. ${CLI_INSTALL.claude}) and set "harness" in swarm.json (workers and review)`,
    };
  }
  const pick = found[0];
  const others = found.slice(1).map((f) => f.name);
  return {
    harness: pick.name,
    found,
    message: `swarm.json uses ${CLI_SPECS[pick.name].displayName} (${pick.path}) for the workers and the reviewer${others.length ? `; also installed: ${others.join(', ')} (set "harness" to switch)` : ''}`,
  };
}

/** The commented starter swarm.json for a choice. */
export function starterConfig(choice: Pick<InitChoice, 'harness' | 'found'> = { harness: 'demo', found: [] }): string {
  const h = choice.harness;
  const others = choice.found.filter((f) => f.name !== h).map((f) => `"${f.name}"`);
  const chosen =
    h === 'demo'
      ? `    // No agent CLI was found when this file was written (${CLI_PREFERENCE.join(', ')}), so the built-in
    // demo agents run (no API key, no real coding). To switch: install one, e.g.
    // ${CLI_INSTALL.claude}, then set "harness": "claude" here and in "review".
    // \`swarm doctor\` (or "Swarm: Check setup") shows what is installed.`
      : `    // ${CLI_SPECS[h].displayName} was found on this machine${others.length ? `; also installed: ${others.join(', ')}` : ''}. "harness": "demo" runs the
    // built-in demo agents instead (no API key). \`swarm doctor\` shows what is installed.`;
  return `// Worktree Swarm configuration (JSON with comments). Schema: the extension validates this file.
{
  // Branch approved changes merge into (default: the branch checked out when the swarm starts).
  // "base": "main",
  "tasks_dir": "tasks",
  "workers": [
    // harness: demo (built-in, no API key), claude, codex, opencode, gemini, or a name from "harnesses".
${chosen}
    { "role": "worker", "harness": "${h}", "count": 2, "iterations": 10 }
    // { "role": "planner", "harness": "claude", "model": "opus-4.5", "max_pending": 10 },
    // { "role": "executor", "harness": "codex", "model": "gpt-5.5", "count": 3, "iterations": 10 }
  ],
  "review": {
    // agent: the reviewer decides; human: you decide in the review panel; agent+human: both.
    "mode": "agent",
    "harness": "${h}",
    "max_rounds": 3
  },
  "harnesses": {
    // Any program can be an agent: it gets the prompt on stdin and SWARM_* variables.
    // "mine": { "command": ["node", "scripts/my-agent.js"], "timeout_s": 1800 }
  },
  "policy": {
    "deny": [".git/**", "**/*.pem", "**/.env*", "secrets/**"],
    "max_lines_added": 800
  },
  // Agents run in a bubblewrap sandbox (Linux): auto = where installed, required = refuse without
  // it, off = no sandbox. allow_write / deny_read / allow_domains: see docs/security.md.
  "sandbox": { "mode": "auto" }
}
`;
}
