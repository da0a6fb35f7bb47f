// Tokens and cost per task with the REAL agent CLIs, checked against what the fake model server
// served (issue 16: "cost numbers checked against the fake model server's reported usage"). Each
// answered model call reports its own distinct counts (fake-model-server.ts usageFor: prompt
// tokens with cache reads — and for Anthropic cache writes — inside, output tokens with reasoning
// inside). A swarm with the CLI as worker and reviewer runs one task through a NEEDS_CHANGES review,
// a fix round that resumes the worker's session, and an APPROVED review; then the task's usage in
// its state, in `swarm tasks --json` and the run's usage in summary.json must equal the sums over
// the calls the server answered:
//   inputTokens  = every prompt token, cache reads and writes included
//   outputTokens = every generated token, reasoning / thinking included
//   costUsd      = Claude: its total_cost_usd (a session total; the adapter takes the difference),
//                  which is Anthropic's price for the model applied to those tokens;
//                  OpenCode: its per-step cost from the model's price in its config;
//                  Codex and Gemini report no cost, and the swarm has no price table: none.
// What each CLI reports, as read from its output (harness/*-parse.ts):
//   Claude   result.usage input_tokens + cache_creation_input_tokens + cache_read_input_tokens, output_tokens; total_cost_usd
//   Codex    turn.completed.usage input_tokens (cached_input_tokens inside), output_tokens (reasoning inside), thread totals
//   OpenCode step_finish.part.tokens input + cache.read + cache.write, output + reasoning; part.cost
//   Gemini   result.stats input_tokens (cached inside), output_tokens without thoughts: total_tokens − input_tokens

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, runSwarm, cli } from '../helpers/repo';
import { startFakeModelServer, type ConversationView, type FakeAction, type FakeModelServer, type RecordedRequest } from './fake-model-server';
import { cliInstalled, cliSetup, OPENCODE_PRICE, type CliName } from './cli-env';

const DONE = 'COMPLETE_AND_READY_FOR_MERGE';
const repos: TestRepo[] = [];
const servers: FakeModelServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const r of repos) r.cleanup();
});

/** Reviewer: NEEDS_CHANGES in round 1, APPROVED in round 2. Worker: one file a round. */
function script(view: ConversationView): FakeAction {
  const p = view.prompt;
  if (/You are the reviewer of a swarm/.test(p)) {
    const round = Number(/# Review round (\d+)/.exec(p)?.[1] ?? '1');
    return { kind: 'text', text: round === 1 ? 'Please add NOTES.md.\nVERDICT: NEEDS_CHANGES' : 'Good.\nVERDICT: APPROVED' };
  }
  const fix = /was not merged yet\. Round \d+/.test(p);
  if (view.toolResultsSincePrompt === 0) return { kind: 'write', path: fix ? 'NOTES.md' : 'feature.txt', content: fix ? 'notes\n' : 'feature\n' };
  return { kind: 'text', text: `Done.\n${DONE}` };
}

/** OpenCode's title request, if it makes one (no tools): no step of the turn, so not in OpenCode's usage; left out of the sum. */
const isTitleCall = (r: RecordedRequest) => !r.view?.tools.length && /title generator|generate a (short )?title/i.test(r.view?.system ?? '');

/** Anthropic's price of claude-opus-4-5 per million tokens (what Claude Code 2.1.330 charges it at). */
const CLAUDE_PRICE = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };

/** SWARM_AGENTS_CLIS=claude,gemini runs some of them. */
const CLIS = (['claude', 'codex', 'opencode', 'gemini'] as const).filter(
  (n) => cliInstalled(n) && (!process.env.SWARM_AGENTS_CLIS || process.env.SWARM_AGENTS_CLIS.split(',').includes(n)),
);

function expectedCost(name: CliName, calls: RecordedRequest[]): number | undefined {
  if (name === 'claude')
    return calls.reduce(
      (s, r) =>
        s +
        ((r.usage!.input - r.usage!.cacheRead - r.usage!.cacheWrite) * CLAUDE_PRICE.input +
          r.usage!.cacheWrite * CLAUDE_PRICE.cacheWrite +
          r.usage!.cacheRead * CLAUDE_PRICE.cacheRead +
          r.usage!.output * CLAUDE_PRICE.output) /
          1e6,
      0,
    );
  if (name === 'opencode')
    return calls.reduce(
      (s, r) =>
        s +
        ((r.usage!.input - r.usage!.cacheRead - r.usage!.cacheWrite) * OPENCODE_PRICE.input +
          r.usage!.cacheWrite * OPENCODE_PRICE.cache_write +
          r.usage!.cacheRead * OPENCODE_PRICE.cache_read +
          r.usage!.output * OPENCODE_PRICE.output) /
          1e6,
      0,
    );
  return undefined;
}

describe('tokens and cost per task equal what the model server served', { skip: CLIS.length ? false : 'no CLI installed (test/agents/install.sh)' }, () => {
  for (const name of CLIS) {
    test(`${name} as worker and reviewer: task usage in state, swarm tasks --json and summary.json = the served calls`, { timeout: 240_000 }, async () => {
      const server = await startFakeModelServer({ script });
      servers.push(server);
      const repo = new TestRepo(`swarm-cost-${name}-`);
      repos.push(repo);
      const home = join(repo.home, 'cli-home');
      mkdirSync(home, { recursive: true });
      const setup = cliSetup(name, { baseUrl: `${server.url}/t-${name}`, home });
      repo.writeConfig({
        workers: [{ role: 'worker', harness: name, model: setup.model, count: 1, iterations: 5 }],
        review: { mode: 'agent', harness: name, model: setup.model, max_rounds: 3 },
        harnesses: { [name]: { command: setup.command, args: setup.args, env: setup.env, timeout_s: 120 } },
        limits: { poll_ms: 100, max_attempts: 3 },
      });
      const id = `cost-${name}`;
      repo.writeTask(id, { title: 'Add the feature', body: 'Create feature.txt and NOTES.md.' });
      const { ws, summary, events } = await runSwarm(repo.root, { timeoutMs: 230_000 });
      const failed = events.filter((e) => e.type === 'agent_finished' && e.failure);
      assert.deepEqual(summary.merged, [id], `agent failures: ${JSON.stringify(failed)}`);
      assert.deepEqual(
        events.flatMap((e) => (e.type === 'review_finished' ? [e.round.verdict] : [])),
        ['NEEDS_CHANGES', 'APPROVED'],
      );
      const turns = events.filter((e) => e.type === 'agent_finished');
      assert.equal(turns.length, 4, 'two worker rounds (the second resumed) and two reviews');

      const all = server.modelRequests(name).filter((r) => r.usage);
      const calls = all.filter((r) => !isTitleCall(r));
      const served = server.servedUsage(name, (r) => !isTitleCall(r));
      assert.equal(served.calls, calls.length);
      assert.ok(calls.length >= 6, `${calls.length} answered calls (a write and a reply per worker round, a reply per review)`);
      if (name !== 'opencode') assert.equal(all.length, calls.length, 'no side calls');
      const want = {
        inputTokens: served.input,
        outputTokens: served.output,
        ...(expectedCost(name, calls) !== undefined ? { costUsd: expectedCost(name, calls) } : {}),
      };
      const near = (u: { inputTokens?: number; outputTokens?: number; costUsd?: number } | undefined, where: string) => {
        assert.ok(u, `${where}: no usage`);
        assert.equal(u.inputTokens, want.inputTokens, `${where}: input tokens (served ${JSON.stringify(served)})`);
        assert.equal(u.outputTokens, want.outputTokens, `${where}: output tokens (served ${JSON.stringify(served)})`);
        if (want.costUsd === undefined) assert.equal(u.costUsd, undefined, `${where}: ${name} reports no cost`);
        else assert.ok(Math.abs((u.costUsd ?? NaN) - want.costUsd) < 1e-9, `${where}: cost ${u.costUsd} ≠ ${want.costUsd}`);
      };
      near((await ws.taskState(id))?.usage, 'state.json');
      near(summary.usage, 'summary.json');
      const listed = JSON.parse(cli(['tasks', '--json'], { cwd: repo.root }).stdout) as { complete: { id: string; usage?: typeof want }[] };
      near(listed.complete.find((t) => t.id === id)?.usage, 'swarm tasks --json');
    });
  }
});
