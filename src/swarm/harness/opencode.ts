// OpenCode adapter (`opencode run`, verified with 1.18.33; see docs/harnesses.md).
//   opencode run --format json --dir CWD --title T [-m provider/model] [-s ID] [--auto] [args...]
// The prompt goes on stdin (a positional prompt reaches the model wrapped in quotes); stdin is
// closed after it (opencode run hangs on an open stdin). OpenCode takes its project directory
// from $PWD, so PWD is set to the worktree too. Outside a worktree (reviewer, planner) edits and
// shell are denied through OPENCODE_PERMISSION instead of --auto. On a data folder without a
// database, the first turn runs alone until its first event (adapters.ts firstStart): OpenCode
// processes starting at once there crash creating it.

import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { OpencodeJsonParser } from './opencode-parse';
import type { CliPlanOptions, CliSpec } from './adapters';
import type { AgentTurnRequest } from './types';

export const OPENCODE_REVIEWER_PERMISSION = { edit: 'deny', bash: 'deny', webfetch: 'deny', external_directory: 'deny', task: 'deny' } as const;
export const OPENCODE_PLANNER_PERMISSION = { bash: 'deny', webfetch: 'deny', external_directory: 'deny', task: 'deny' } as const;

/** OpenCode's data folder (its database lives there), as OpenCode finds it. */
export function opencodeDataDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share'), 'opencode');
}

/** The data folder while it has no database yet (OPENCODE_DB set: that file). */
export function opencodeFreshState(env: NodeJS.ProcessEnv): string | undefined {
  const dir = opencodeDataDir(env);
  if (env.OPENCODE_DB) return undefined; // the user's own database: not ours to order
  try {
    if (readdirSync(dir).some((f) => /^opencode(?:-[\w.-]+)?\.db$/.test(f))) return undefined;
  } catch {
    /* no folder yet: fresh */
  }
  return dir;
}

export const opencodeSpec: CliSpec = {
  name: 'opencode',
  displayName: 'OpenCode',
  supportsResume: true,
  plan(req: AgentTurnRequest, o: CliPlanOptions) {
    const title = ['swarm', req.role, req.env.SWARM_TASK_ID].filter(Boolean).join(' ');
    const args = ['run', '--format', 'json', '--dir', req.cwd, '--title', title];
    if (req.model) args.push('-m', req.model.trim());
    if (o.resume) args.push('-s', o.resume);
    const env: Record<string, string> = {};
    if (o.sandboxed) args.push('--auto');
    else env.OPENCODE_PERMISSION = JSON.stringify(req.role === 'planner' ? OPENCODE_PLANNER_PERMISSION : OPENCODE_REVIEWER_PERMISSION);
    args.push(...o.extraArgs);
    return { args, env, stdin: req.prompt };
  },
  parser: () => new OpencodeJsonParser(),
  // Two processes migrating a new database at once crash (issue 19): the first start runs alone.
  freshState: opencodeFreshState,
  sessionNotFound: (parsed, stderr) => /session[^\n]*not found|NotFoundError/i.test(`${parsed.failure?.message ?? ''}\n${stderr}`),
};
