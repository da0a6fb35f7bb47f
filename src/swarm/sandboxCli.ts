// The agent CLIs as the sandbox sees them (docs/security.md "Agent sandbox"): the folders each
// writes its state to, what inside them stays read-only, the model hosts each talks to and the
// endpoints its own config names; and the path helpers the policy is built with. Pure functions
// (they read, and create missing protected entries) used by src/swarm/sandbox.ts. No vscode imports.

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** A path's kind, or undefined when it does not exist (symlinks followed). */
export function exists(p: string): 'dir' | 'file' | undefined {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function expandHome(p: string, homes: string[]): string[] {
  if (p === '~') return homes;
  if (p.startsWith('~/')) return homes.map((h) => join(h, p.slice(2)));
  return [p];
}

function homesOf(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  if (env.HOME) out.add(resolve(env.HOME));
  out.add(homedir());
  return [...out];
}

/** `~/x` against every home, `$VAR/x` against the env (dropped when unset), relative against `root`. */
export function expandPaths(paths: string[], env: NodeJS.ProcessEnv, root: string): string[] {
  const homes = homesOf(env);
  const out: string[] = [];
  for (const raw of paths) {
    let p = raw;
    const v = /^\$([A-Z_][A-Z0-9_]*)(.*)$/.exec(p);
    if (v) {
      const val = env[v[1]];
      if (!val) continue;
      p = val + v[2];
    }
    for (const e of expandHome(p, homes)) out.push(isAbsolute(e) ? resolve(e) : resolve(root, e));
  }
  return [...new Set(out)];
}

/** Is `p` equal to or inside `dir`? */
export function inside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Folders (and files) each agent CLI writes its own state to: sessions, settings, caches, logs.
 * A `$VAR` entry is used when the agent's environment sets that variable (then the `~` entries
 * it replaces are not needed, but binding them does no harm).
 */
export const CLI_STATE_PATHS: Record<string, string[]> = {
  claude: ['$CLAUDE_CONFIG_DIR', '~/.claude', '~/.cache/claude', '~/.local/state/claude', '~/.local/share/claude'],
  codex: ['$CODEX_HOME', '~/.codex'],
  opencode: [
    '$XDG_DATA_HOME/opencode',
    '$XDG_CONFIG_HOME/opencode',
    '$XDG_CACHE_HOME/opencode',
    '$XDG_STATE_HOME/opencode',
    '~/.local/share/opencode',
    '~/.config/opencode',
    '~/.cache/opencode',
    '~/.local/state/opencode',
  ],
  gemini: ['$GEMINI_CLI_HOME/.gemini', '~/.gemini'],
};

/**
 * Inside each CLI's writable state folders, what makes that CLI run code or follow instructions
 * later — outside the sandbox, when you run the CLI yourself: settings (hooks, MCP servers,
 * plugins), instruction files, custom commands and agents, scheduled tasks, `.env` files it loads
 * into its environment, packages and programs it installs and loads. An agent that could write
 * them would escape at your next interactive session, so they are bound read-only. A missing one
 * is created first (an empty folder, `{}` for JSON, an empty file), so that an agent cannot create
 * it either. Folders end in `/`. Each CLI has groups of folders with the entries inside them.
 * Found by reading each CLI's package (Claude Code's own sandbox denies writes to the same list of
 * its config-folder entries); docs/security.md "Agent sandbox" has the table.
 */
export const CLI_PROTECTED: Record<string, { dirs: string[]; entries: string[] }[]> = {
  claude: [
    {
      dirs: ['$CLAUDE_CONFIG_DIR', '~/.claude'],
      entries: [
        'settings.json',
        'settings.local.json',
        'CLAUDE.md',
        'commands/',
        'agents/',
        'hooks/',
        'plugins/',
        'skills/',
        'output-styles/',
        'rules/',
        'workflows/',
        'routines/',
        'jobs/',
        'daemon/',
        'cowork_plugins/',
        'scheduled_tasks.json',
        'launch.json',
        'daemon.json',
        'loop.md',
      ],
    },
  ],
  codex: [
    {
      dirs: ['$CODEX_HOME', '~/.codex'],
      entries: [
        'config.toml',
        'AGENTS.md',
        'AGENTS.override.md',
        'rules/',
        'prompts/',
        'skills/',
        'plugins/',
        'hooks.json',
        '.env',
        'managed_config.toml',
        'requirements.toml',
      ],
    },
  ],
  opencode: [
    // The config folder: nothing in it is session state. OpenCode installs its plugin packages
    // there (package.json, node_modules) and loads them.
    {
      dirs: ['$XDG_CONFIG_HOME/opencode', '~/.config/opencode'],
      entries: [
        'opencode.json',
        'opencode.jsonc',
        'config.json',
        'AGENTS.md',
        'plugin/',
        'plugins/',
        'agent/',
        'agents/',
        'command/',
        'commands/',
        'mode/',
        'modes/',
        'tool/',
        'tools/',
        'package.json',
        'bun.lock',
        'node_modules/',
      ],
    },
    // Provider packages it installs into its cache and imports; programs it downloads (ripgrep, language servers) and runs.
    { dirs: ['$XDG_CACHE_HOME/opencode', '~/.cache/opencode'], entries: ['node_modules/', 'package.json', 'bun.lock', 'bin/'] },
    { dirs: ['$XDG_DATA_HOME/opencode', '~/.local/share/opencode'], entries: ['bin/'] },
  ],
  gemini: [
    {
      dirs: ['$GEMINI_CLI_HOME/.gemini', '~/.gemini'],
      entries: ['settings.json', 'GEMINI.md', 'extensions/', 'commands/', 'policies/', 'agents/', 'skills/', 'hooks/', 'trustedFolders.json', '.env'],
    },
  ],
};

/**
 * What a CLI must write to run, but that holds what it obeys later or what a session of yours
 * running now reads: Claude Code rewrites its config file (`~/.claude.json`, or
 * `$CLAUDE_CONFIG_DIR/.claude.json`: it holds `mcpServers`, commands your next `claude` starts) on
 * every start, and sources the shell snapshots and session environment files of live sessions
 * before each command; Codex puts its helper programs (`tmp/arg0/`) where a running Codex of yours
 * runs them. The turn gets a private copy of each file (made from yours, or `{}`) and a private
 * empty folder for each folder, both discarded after the turn.
 */
export const CLI_PRIVATE: Record<string, { files: string[]; dirs: string[] }> = {
  claude: {
    files: ['$CLAUDE_CONFIG_DIR/.claude.json', '~/.claude.json'],
    dirs: ['shell-snapshots', 'session-env', 'backups', 'ide'].flatMap((d) => [`$CLAUDE_CONFIG_DIR/${d}`, `~/.claude/${d}`]),
  },
  codex: { files: [], dirs: ['$CODEX_HOME/tmp', '~/.codex/tmp'] },
};

/**
 * Where a CLI's own program lives inside its writable state folders (a local or native install):
 * bound read-only when present, so an agent cannot replace the CLI you (and `swarm doctor`) run next.
 */
export const CLI_PROGRAM_PATHS: Record<string, string[]> = {
  claude: ['$CLAUDE_CONFIG_DIR/local', '~/.claude/local', '~/.local/share/claude/versions'],
};

/** The protected paths of `harness` (CLI_PROTECTED), made to exist so they can be bound read-only. */
export function protectedCliPaths(harness: string, env: NodeJS.ProcessEnv, root: string): string[] {
  const out: string[] = expandPaths(CLI_PROGRAM_PATHS[harness] ?? [], env, root).filter((p) => exists(p));
  for (const spec of CLI_PROTECTED[harness] ?? []) {
    for (const dir of expandPaths(spec.dirs, env, root)) {
      if (exists(dir) !== 'dir') continue;
      for (const entry of spec.entries) {
        const p = join(dir, entry.replace(/\/$/, ''));
        try {
          if (entry.endsWith('/')) mkdirSync(p, { recursive: true });
          else if (!exists(p)) writeFileSync(p, entry.endsWith('.json') ? '{}\n' : '', { flag: 'wx' });
        } catch {
          /* a read-only parent or a race: bound below only if it exists */
        }
        if (exists(p)) out.push(p);
      }
    }
  }
  return [...new Set(out)];
}

/**
 * The private files and folders of `harness` (CLI_PRIVATE). Folders: those whose parent exists
 * (created, so a private tmpfs can be mounted there). Files: those that exist, and the config file
 * the CLI will use when it is missing (created as `{}`), so the turn never writes the real one.
 */
export function privateCliPaths(harness: string, env: NodeJS.ProcessEnv, root: string): { files: string[]; dirs: string[] } {
  const spec = CLI_PRIVATE[harness];
  if (!spec) return { files: [], dirs: [] };
  const dirs = expandPaths(spec.dirs, env, root).filter((d) => {
    if (exists(dirname(d)) !== 'dir') return false;
    try {
      mkdirSync(d, { recursive: true });
    } catch {
      /* read-only parent */
    }
    return exists(d) === 'dir';
  });
  const files = expandPaths(spec.files, env, root);
  if (harness === 'claude' && files.length) {
    // The one Claude will use: in $CLAUDE_CONFIG_DIR when set, else in the home.
    const inUse = files[0];
    try {
      if (!exists(inUse) && exists(dirname(inUse)) === 'dir') writeFileSync(inUse, '{}\n', { flag: 'wx', mode: 0o600 });
    } catch {
      /* a race or a read-only parent */
    }
  }
  return { files: files.filter((f) => exists(f) === 'file'), dirs };
}

/** Environment variables naming a model API endpoint per CLI (their loopback ports are bridged). */
export const BASE_URL_ENV = /^[A-Z0-9_]*_BASE_URL$/;

/** Model API hosts per CLI: what a CLI turn may reach through the filtering proxy when its model server is not on this machine. */
export const MODEL_HOSTS: Record<string, string[]> = {
  claude: ['api.anthropic.com'],
  codex: ['api.openai.com', 'chatgpt.com'],
  opencode: ['api.anthropic.com', 'api.openai.com', 'opencode.ai', 'models.dev'],
  gemini: ['generativelanguage.googleapis.com', 'oauth2.googleapis.com'],
};

/**
 * Loopback ports and other hosts of a turn's model endpoints: the `*_BASE_URL` variables of the
 * agent's environment plus `configured` (URLs from the CLI's own config files, cliConfigEndpoints).
 */
export function loopbackPorts(env: NodeJS.ProcessEnv, configured: readonly string[] = []): { ports: number[]; remote: string[] } {
  const ports = new Set<number>();
  const remote = new Set<string>();
  const urls = [
    ...Object.entries(env)
      .filter(([k, v]) => v && BASE_URL_ENV.test(k))
      .map(([, v]) => v as string),
    ...configured,
  ];
  for (const v of urls) {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      continue;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
      ports.add(Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
    } else {
      remote.add(host);
    }
  }
  return { ports: [...ports].sort((a, b) => a - b), remote: [...remote] };
}

/**
 * Where a CLI's own user-level config points it (a custom model provider): Codex `base_url` in
 * config.toml, OpenCode `baseURL` in its config, `ANTHROPIC_BASE_URL` in Claude Code's settings.
 * Only files outside the repository, which agents cannot write (CLI_PROTECTED binds them
 * read-only; `$OPENCODE_CONFIG` is the user's choice): a config file in a worktree must not be
 * able to open the network to a host of the agent's choosing.
 */
export function cliConfigEndpoints(harness: string, env: NodeJS.ProcessEnv, root: string): string[] {
  const sources: Record<string, { files: string[]; re: RegExp }> = {
    codex: { files: ['$CODEX_HOME/config.toml', '~/.codex/config.toml'], re: /^\s*base_url\s*=\s*["']([^"'\n]+)["']/gm },
    opencode: {
      files: [
        '$OPENCODE_CONFIG',
        '$XDG_CONFIG_HOME/opencode/opencode.json',
        '$XDG_CONFIG_HOME/opencode/opencode.jsonc',
        '~/.config/opencode/opencode.json',
        '~/.config/opencode/opencode.jsonc',
      ],
      re: /"baseURL"\s*:\s*"([^"\n]+)"/g,
    },
    claude: { files: ['$CLAUDE_CONFIG_DIR/settings.json', '~/.claude/settings.json'], re: /"ANTHROPIC_BASE_URL"\s*:\s*"([^"\n]+)"/g },
  };
  const src = sources[harness];
  if (!src) return [];
  const out = new Set<string>();
  for (const f of expandPaths(src.files, env, root)) {
    if (inside(f, root)) continue;
    let text: string;
    try {
      text = readFileSync(f, 'utf8').slice(0, 1 << 20);
    } catch {
      continue;
    }
    for (const m of text.matchAll(src.re)) out.add(m[1]);
  }
  return [...out];
}
