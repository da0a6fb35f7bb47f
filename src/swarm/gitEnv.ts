// How the swarm's own git runs (docs/security.md, "The swarm's own git"): the configuration it
// overrides and the environment it gets. Used by Git (git.ts) and nothing else that runs git.

import { delimiter, isAbsolute } from 'node:path';

/**
 * Every git command of the swarm runs without hooks: hooks in a worktree may come from an agent's
 * branch (a tracked, relative core.hooksPath such as .husky), and the swarm never runs code an
 * agent wrote — not in a worktree, not in the user's checkout after a merge. Nor any other
 * configured program that git would start on its own or that changes content on the way in or
 * out (docs/security.md, "The swarm's own git"): no fsmonitor, no pager, no signing program;
 * external diffs and textconv are off on every diff-like command (NO_DIFF_PROGRAMS), and every
 * filter, diff and merge driver named in the config is neutralised (driverOverrides).
 */
export const SAFE_CONFIG = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.pager=cat',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'advice.graftFileDeprecated=false',
];

/** Options for commands that show diffs: git's own diff only (an empty diff.external fails). */
export const NO_DIFF_PROGRAMS = ['--no-ext-diff', '--no-textconv'];
export const DIFF_LIKE = new Set(['diff', 'log', 'show']);

/**
 * Replace objects and grafts would let anyone who can write refs/replace/ (every worktree can)
 * make a sha show other content than it has: the sha reviewed would not be what merges.
 */
const SAFE_ENV: Record<string, string> = { GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

/** Inherited variables that would point git elsewhere or make it start a program. */
const DROPPED_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_EXTERNAL_DIFF',
  'GIT_PAGER',
  'PAGER',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_ASKPASS',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_CONFIG_PARAMETERS',
  'GIT_REPLACE_REF_BASE',
  'GIT_ATTR_SOURCE',
  'GIT_SHALLOW_FILE',
];

/**
 * `-c` overrides for every filter, diff and merge driver the config names: a .gitattributes line
 * (an agent can commit one) picks a driver by name, so each configured one is made inert. Filters
 * pass content through unchanged, diffs use no program, and a merge driver becomes git's own text
 * merge (`git merge-file`).
 */
export function driverOverrides(configNames: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of configNames) {
    const m = /^(filter|diff|merge)\.(.+)\.([^.]+)$/i.exec(key.trim());
    if (!m) continue;
    const kind = m[1].toLowerCase();
    const name = m[2];
    if (seen.has(`${kind}.${name}`)) continue;
    seen.add(`${kind}.${name}`);
    if (kind === 'filter')
      out.push('-c', `filter.${name}.clean=`, '-c', `filter.${name}.smudge=`, '-c', `filter.${name}.process=`, '-c', `filter.${name}.required=false`);
    else if (kind === 'diff') out.push('-c', `diff.${name}.textconv=`, '-c', `diff.${name}.command=`);
    else out.push('-c', `merge.${name}.driver=git merge-file -q %A %O %B`, '-c', `merge.${name}.recursive=text`);
  }
  return out;
}

/** The environment of the swarm's git commands (see SAFE_ENV and DROPPED_ENV). */
export function safeGitEnv(base: NodeJS.ProcessEnv, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...withoutDropped(base), ...extra, ...SAFE_ENV };
}

function withoutDropped(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of DROPPED_ENV) delete env[k];
  for (const k of Object.keys(env)) if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(k)) delete env[k];
  // `git` from absolute PATH entries only: with "." (or "") in PATH, the checkout's own `git` would run.
  if (env.PATH !== undefined)
    env.PATH = env.PATH.split(delimiter)
      .filter((e) => e && isAbsolute(e))
      .join(delimiter);
  return env;
}

/**
 * process.env without DROPPED_ENV, copied at most once a second: copying process.env (a native
 * object, every read a getenv) for each of the ~28 git processes of a task took about 1 s of the
 * extension host's main thread in a 12-task run (issue 17, bench `smooth` profile). The variables
 * that decide which git runs and which config it reads are compared on every call (a change is
 * seen at once); any other variable set in the process reaches git within a second.
 */
let processEnvCopy: { at: number; key: string; env: NodeJS.ProcessEnv } | undefined;
const ENV_KEY_VARS = ['PATH', 'HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM', 'GIT_EXEC_PATH'];
export function safeProcessEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const now = Date.now();
  const key = ENV_KEY_VARS.map((k) => process.env[k] ?? '\0').join('\n');
  if (!processEnvCopy || processEnvCopy.key !== key || now - processEnvCopy.at > 1000 || now < processEnvCopy.at)
    processEnvCopy = { at: now, key, env: withoutDropped(process.env) };
  return { ...processEnvCopy.env, ...extra, ...SAFE_ENV };
}
