// Claude Code adapter (`claude -p`, verified with 2.1.330; see docs/harnesses.md).
//   claude -p --output-format stream-json --verbose [--model M] [--resume ID]
//          (--dangerously-skip-permissions | --permission-mode acceptEdits|dontAsk) [--add-dir TASKS] [args...]
// The prompt goes on stdin (with no positional prompt, -p reads stdin), stdin is then closed.
// Permission bypass only in a linked worktree; as root Claude refuses it unless IS_SANDBOX=1.

import { ClaudeStreamParser } from './claude-parse';
import type { CliPlanOptions, CliSpec } from './adapters';
import type { AgentTurnRequest } from './types';
import { outsideDir } from './cli-parse';

/** "opus-4.5" → "claude-opus-4-5"; aliases ("opus", "sonnet") and full names pass through. */
export function claudeModel(model: string): string {
  const m = /^(opus|sonnet|haiku|fable)-(\d+)(?:[.-](\d+))?$/i.exec(model.trim());
  if (m) return `claude-${m[1].toLowerCase()}-${m[2]}${m[3] ? `-${m[3]}` : ''}`;
  return model.trim();
}

export const claudeSpec: CliSpec = {
  name: 'claude',
  displayName: 'Claude Code',
  supportsResume: true,
  cumulativeUsage: ['costUsd'],
  plan(req: AgentTurnRequest, o: CliPlanOptions) {
    const args = ['-p', '--output-format', 'stream-json', '--verbose'];
    if (req.model) args.push('--model', claudeModel(req.model));
    if (o.resume) args.push('--resume', o.resume);
    const env: Record<string, string> = {};
    if (o.sandboxed) {
      args.push('--dangerously-skip-permissions');
      if (o.isRoot) env.IS_SANDBOX = '1';
    } else if (req.role === 'planner') {
      args.push('--permission-mode', 'acceptEdits');
    } else {
      args.push('--permission-mode', 'dontAsk');
    }
    const tasks = req.env.SWARM_TASKS_DIR;
    if (tasks && req.role !== 'reviewer' && outsideDir(tasks, req.cwd)) args.push('--add-dir', tasks);
    args.push(...o.extraArgs);
    return { args, env, stdin: req.prompt };
  },
  parser: () => new ClaudeStreamParser(),
  sessionNotFound: (parsed, stderr) => /no conversation found|session .*not found/i.test(`${parsed.reply}\n${stderr}`),
};
