// Gemini CLI adapter (`gemini`, verified with 0.61.0; see docs/harnesses.md).
//   gemini -o stream-json --skip-trust (--approval-mode yolo|auto_edit|plan) [-m M] [--resume ID]
//          [--include-directories TASKS] [args...]
// No -p: with stdin not a terminal Gemini runs headless and takes the whole prompt from stdin.
// Errors of an API call end the process with the HTTP status modulo 256 (429 → 173).

import { GeminiStreamParser, geminiStderrFailure, GEMINI_EXIT } from './gemini-parse';
import type { CliPlanOptions, CliSpec } from './adapters';
import type { AgentTurnRequest } from './types';
import { failureFrom, outsideDir, stderrGist } from './cli-parse';
import { keepGeminiSession, restoreGeminiSession } from './gemini-session';

/** "2.5-pro" → "gemini-2.5-pro"; anything else passes through. */
export function geminiModel(model: string): string {
  const m = model.trim();
  return /^\d/.test(m) ? `gemini-${m}` : m;
}

export const geminiSpec: CliSpec = {
  name: 'gemini',
  displayName: 'Gemini CLI',
  supportsResume: true,
  plan(req: AgentTurnRequest, o: CliPlanOptions) {
    const args = ['-o', 'stream-json', '--skip-trust'];
    args.push('--approval-mode', o.sandboxed ? 'yolo' : req.role === 'planner' ? 'auto_edit' : 'plan');
    if (req.model) args.push('-m', geminiModel(req.model));
    if (o.resume) args.push('--resume', o.resume);
    const tasks = req.env.SWARM_TASKS_DIR;
    if (tasks && req.role !== 'reviewer' && outsideDir(tasks, req.cwd)) args.push('--include-directories', tasks);
    args.push(...o.extraArgs);
    return { args, env: {}, stdin: req.prompt };
  },
  parser: () => new GeminiStreamParser(),
  exitFailure(exitCode, stderr) {
    const fromStderr = geminiStderrFailure(stderr);
    if (fromStderr && fromStderr.kind !== 'crash') return fromStderr;
    const gist = stderrGist(stderr);
    if (exitCode === GEMINI_EXIT.rateLimit) return failureFrom('gemini', fromStderr?.message ?? `exit 173 (HTTP 429)${gist ? `: ${gist}` : ''}`, 429);
    if (exitCode === GEMINI_EXIT.auth) return failureFrom('gemini', fromStderr?.message ?? `exit 41 (authentication)${gist ? `: ${gist}` : ''}`, 401);
    return fromStderr;
  },
  // Gemini's start-up cleanup can delete the session a fix round resumes: keep a copy (gemini-session.ts).
  keepSession: { save: keepGeminiSession, restore: restoreGeminiSession },
  sessionNotFound: (parsed, stderr) =>
    /(?:invalid session identifier|session[^\n]*not found|no (?:previous )?sessions? found)/i.test(`${parsed.failure?.message ?? ''}\n${stderr}`),
};
