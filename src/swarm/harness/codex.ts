// OpenAI Codex CLI adapter (`codex exec`, verified with 0.169.0; see docs/harnesses.md).
//   codex exec --json --skip-git-repo-check -C CWD
//        (--dangerously-bypass-approvals-and-sandbox | -s workspace-write [--add-dir TASKS] | -s read-only)
//        [-m M] [args...] [resume ID] -
// "-" makes Codex read the prompt from stdin; stdin is closed after it (Codex hangs on an open
// stdin). The session id is the thread id of `thread.started`; `exec resume ID` continues it.

import { CodexJsonParser } from './codex-parse';
import type { CliPlanOptions, CliSpec } from './adapters';
import type { AgentTurnRequest } from './types';
import { outsideDir } from './cli-parse';

export const codexSpec: CliSpec = {
  name: 'codex',
  displayName: 'Codex CLI',
  supportsResume: true,
  cumulativeUsage: ['inputTokens', 'outputTokens'],
  plan(req: AgentTurnRequest, o: CliPlanOptions) {
    const args = ['exec', '--json', '--skip-git-repo-check', '-C', req.cwd];
    const tasks = req.env.SWARM_TASKS_DIR;
    if (o.sandboxed || o.outerSandbox) {
      // Inside the swarm's sandbox Codex's own (bubblewrap) sandbox cannot start — nested mount
      // namespaces without capabilities — and would fail every write (tasks/pending/ of a
      // planner); ours already confines the turn to what its role may write.
      args.push('--dangerously-bypass-approvals-and-sandbox');
    } else if (req.role === 'planner') {
      args.push('-s', 'workspace-write');
      if (tasks && outsideDir(tasks, req.cwd)) args.push('--add-dir', tasks);
    } else {
      args.push('-s', 'read-only');
    }
    if (req.model) args.push('-m', req.model.trim());
    args.push(...o.extraArgs);
    if (o.resume) args.push('resume', o.resume);
    args.push('-');
    return { args, env: {}, stdin: req.prompt };
  },
  parser: () => new CodexJsonParser(),
  sessionNotFound: (parsed, stderr) =>
    /no (?:rollout|session|thread|conversation) found|(?:session|thread|rollout)[^\n]*not found/i.test(`${parsed.failure?.message ?? ''}\n${stderr}`),
};
