// Hazard 17: VS Code started from a desktop launcher (Dock, .desktop file) inherits the
// session's minimal PATH, not the one the user's shell profile builds, so `claude`, `codex`,
// installed by npm/brew/nvm into ~/.local/bin or similar, are "not found". Resolve the login
// shell's PATH once, with a timeout (a slow or interactive rc file must not hang the swarm),
// and give it to agent processes; explicit `swarm.cli.*` paths still win in the engine.

import { execFile } from 'node:child_process';
import { delimiter } from 'node:path';

const START = '__SWARM_PATH_START__';
const END = '__SWARM_PATH_END__';

/**
 * True when the environment looks like a GUI launch: no terminal variables. Started from a
 * terminal (`code .`), VS Code already has the shell's PATH and nothing needs resolving.
 */
export function startedFromGui(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32') return false;
  if (env.VSCODE_CLI || env.TERM_PROGRAM || env.TERM) return false;
  return true;
}

/** The PATH between the markers (rc files may print banners around it). */
export function parseMarkedPath(stdout: string): string | undefined {
  const start = stdout.lastIndexOf(START);
  if (start < 0) return undefined;
  const end = stdout.indexOf(END, start + START.length);
  if (end < 0) return undefined;
  const value = stdout.slice(start + START.length, end).trim();
  return value || undefined;
}

/** Login-shell entries first, then the ones only the current process has; no duplicates. */
export function mergePaths(loginPath: string, currentPath: string | undefined): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of [...loginPath.split(delimiter), ...(currentPath ?? '').split(delimiter)]) {
    if (!entry || seen.has(entry)) continue;
    seen.add(entry);
    out.push(entry);
  }
  return out.join(delimiter);
}

export interface ShellPathResult {
  /** The PATH to give agents; undefined means "inherit the extension host's". */
  path: string | undefined;
  /** What happened, for the output channel. */
  note: string;
}

/** Run `$SHELL -ilc` once and read its PATH. Never rejects. */
export function resolveLoginShellPath(options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; timeoutMs?: number } = {}): Promise<ShellPathResult> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (!startedFromGui(env, platform)) return Promise.resolve({ path: undefined, note: 'started from a terminal: using its PATH' });
  const shell = env.SHELL || '/bin/sh';
  return new Promise((resolve) => {
    execFile(
      shell,
      // ${PATH} with braces: the end marker starts with word characters, so a bare $PATH would
      // be read as the (unset) variable PATH__SWARM_PATH_END__.
      ['-ilc', `printf '%s' "${START}\${PATH}${END}"`],
      // `-i` shells may try to read the terminal; give them none. Disown the shell's job
      // control noise by setting a dumb terminal.
      { timeout: options.timeoutMs ?? 5000, env: { ...env, TERM: 'dumb' }, encoding: 'utf8', windowsHide: true },
      (error, stdout) => {
        const found = parseMarkedPath(stdout ?? '');
        if (found) return resolve({ path: mergePaths(found, env.PATH), note: `PATH from ${shell} login shell` });
        resolve({ path: undefined, note: `could not read the PATH of ${shell} (${error ? error.message : 'no output'}); agents use VS Code's PATH` });
      },
    );
  });
}
