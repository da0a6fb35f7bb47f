// The agent-CLI output parsers on output recorded from the real CLIs (test/agents/fixtures,
// recorded by test/agents/record-fixtures.ts against the fake model server), and the shared
// failure / retry-after helpers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClaudeOutput } from '../../src/swarm/harness/claude-parse';
import { parseCodexOutput } from '../../src/swarm/harness/codex-parse';
import { parseOpencodeOutput } from '../../src/swarm/harness/opencode-parse';
import { parseGeminiOutput, geminiStderrFailure } from '../../src/swarm/harness/gemini-parse';
import { failureFrom, kindFromText, retryAfterFromHeaders, retryAfterFromText, stderrGist, retryAfterFromStderr } from '../../src/swarm/harness/cli-parse';
import { CLI_SPECS, exitFailure, usageDelta } from '../../src/swarm/harness/adapters';
import type { ParsedTurn } from '../../src/swarm/harness/cli-parse';

interface Fixture {
  cli: 'claude' | 'codex' | 'opencode' | 'gemini';
  case: string;
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(__dirname, '..', 'agents', 'fixtures', `${name}.json`), 'utf8')) as Fixture;
const parsers: Record<Fixture['cli'], (s: string) => ParsedTurn> = {
  claude: parseClaudeOutput,
  codex: parseCodexOutput,
  opencode: parseOpencodeOutput,
  gemini: parseGeminiOutput,
};
const parse = (f: Fixture) => parsers[f.cli](f.stdout);
const CLIS = ['claude', 'codex', 'opencode', 'gemini'] as const;
const DONE = 'COMPLETE_AND_READY_FOR_MERGE';

for (const cli of CLIS) {
  test(`${cli}: a worker turn → final reply with the ready signal, session id, usage`, () => {
    const t = parse(fixture(`${cli}-ok`));
    assert.equal(t.failure, undefined);
    assert.ok(t.completed);
    assert.equal(t.reply, `Wrote hello.txt.\n${DONE}`);
    assert.ok(t.sessionId && t.sessionId.length >= 8, `session id: ${t.sessionId}`);
    // the fake server reports 100 in / 20 out per request and a turn makes 2 requests
    assert.equal(t.usage?.inputTokens, 200);
    assert.equal(t.usage?.outputTokens, 40);
  });

  test(`${cli}: the resumed turn keeps the session id`, () => {
    const ok = parse(fixture(`${cli}-ok`));
    const again = parse(fixture(`${cli}-resume`));
    assert.equal(again.failure, undefined);
    assert.equal(again.sessionId, ok.sessionId);
    assert.equal(again.reply, `Wrote second.txt.\n${DONE}`);
  });

  test(`${cli}: a reviewer turn (no permission bypass) → the verdict on the last line`, () => {
    const f = fixture(`${cli}-reviewer`);
    const t = parse(f);
    assert.equal(f.exitCode, 0);
    assert.equal(t.failure, undefined);
    assert.equal(t.reply.trim().split('\n').pop(), 'VERDICT: APPROVED');
    assert.ok(!f.argv.some((a) => /dangerously|--yolo|^--auto$/.test(a)), `no bypass flag for the reviewer: ${f.argv.join(' ')}`);
  });

  test(`${cli}: HTTP 429 from the provider → rate_limit (exit ${fixture(`${cli}-r429`).exitCode})`, () => {
    const f = fixture(`${cli}-r429`);
    assert.notEqual(f.exitCode, 0);
    const t = parse(f);
    const failure = t.failure ?? CLI_SPECS[f.cli].exitFailure?.(f.exitCode, f.stderr, t) ?? exitFailure(f.cli, f.exitCode, null, f.stderr, t);
    assert.equal(failure.kind, 'rate_limit', failure.message);
  });

  test(`${cli}: HTTP 401 from the provider → auth`, () => {
    const f = fixture(`${cli}-r401`);
    assert.notEqual(f.exitCode, 0);
    const t = parse(f);
    const failure = t.failure ?? CLI_SPECS[f.cli].exitFailure?.(f.exitCode, f.stderr, t) ?? exitFailure(f.cli, f.exitCode, null, f.stderr, t);
    assert.equal(failure.kind, 'auth', failure.message);
  });

  test(`${cli}: resuming an unknown session is recognised (the adapter then starts fresh)`, () => {
    const f = fixture(`${cli}-badsession`);
    assert.notEqual(f.exitCode, 0);
    const t = parse(f);
    assert.ok(CLI_SPECS[f.cli].sessionNotFound?.(t, f.stderr), `${f.stderr.slice(0, 300)}`);
    assert.ok(!CLI_SPECS[f.cli].sessionNotFound?.(parse(fixture(`${cli}-r429`)), fixture(`${cli}-r429`).stderr));
  });
}

for (const cli of ['claude', 'codex', 'gemini'] as const) {
  test(`${cli}: no API key / not logged in (real output) → auth`, () => {
    const f = fixture(`${cli}-nokey`);
    assert.notEqual(f.exitCode, 0);
    const t = parse(f);
    const failure = t.failure ?? CLI_SPECS[f.cli].exitFailure?.(f.exitCode, f.stderr, t) ?? exitFailure(f.cli, f.exitCode, null, f.stderr, t);
    assert.equal(failure.kind, 'auth', failure.message);
  });
}

test('claude: 429 result has subtype "success" but is_error / api_error_status say rate limit; usage cost is read', () => {
  const t = parseClaudeOutput(fixture('claude-r429').stdout);
  assert.equal(t.failure?.kind, 'rate_limit');
  assert.match(t.failure!.message, /429/);
  const ok = parseClaudeOutput(fixture('claude-ok').stdout);
  assert.ok((ok.usage?.costUsd ?? 0) > 0);
});

test('claude: --output-format json (one object) parses the same way', () => {
  const one = JSON.stringify({
    type: 'result',
    subtype: 'success',
    is_error: false,
    result: `done\n${DONE}`,
    session_id: 'abc-123',
    usage: { input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 7 },
    total_cost_usd: 0.01,
  });
  const t = parseClaudeOutput(one);
  assert.deepEqual(
    { reply: t.reply, sessionId: t.sessionId, usage: t.usage, failure: t.failure },
    { reply: `done\n${DONE}`, sessionId: 'abc-123', usage: { inputTokens: 15, outputTokens: 7, costUsd: 0.01 }, failure: undefined },
  );
});

// <cli>-usage.json: one worker turn recorded against the fake server reporting distinct counts per
// field and call (test/agents/fake-model-server.ts usageFor), with what it served summed beside it.
// The swarm's inputTokens are every prompt token (cache reads and writes inside), its outputTokens
// every generated token (reasoning / thinking inside).
for (const cli of CLIS) {
  test(`${cli}: the tokens parsed from a turn are the tokens the model server served (cache and reasoning counted once)`, () => {
    const f = fixture(`${cli}-usage`) as Fixture & {
      served: { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number; calls: number };
    };
    assert.equal(f.served.calls, 2);
    assert.ok(f.served.cacheRead > 0 && f.served.reasoning > 0, 'the fixture has cache and reasoning tokens to count');
    const u = parse(f).usage;
    assert.equal(u?.inputTokens, f.served.input, `input tokens: ${JSON.stringify(u)} vs served ${JSON.stringify(f.served)}`);
    assert.equal(u?.outputTokens, f.served.output, `output tokens: ${JSON.stringify(u)} vs served ${JSON.stringify(f.served)}`);
  });
}

test('gemini: thinking tokens count as output (in total_tokens only, not in output_tokens), also in -o json', () => {
  const stream = parseGeminiOutput(
    JSON.stringify({ type: 'result', status: 'success', stats: { total_tokens: 1300, input_tokens: 1200, output_tokens: 90, cached: 200 } }),
  );
  assert.deepEqual(stream.usage, { inputTokens: 1200, outputTokens: 100 });
  const json = parseGeminiOutput(
    JSON.stringify({
      session_id: 's',
      response: 'ok',
      stats: {
        models: { a: { tokens: { prompt: 1000, candidates: 50, thoughts: 5, total: 1055, cached: 10 } }, b: { tokens: { prompt: 10, candidates: 3 } } },
      },
    }),
  );
  assert.deepEqual(json.usage, { inputTokens: 1010, outputTokens: 58 });
});

test('claude: usage limit with a reset epoch → rate_limit with retryAfterMs', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  const epoch = Math.floor(now / 1000) + 3600;
  const f = failureFrom('claude', `Claude AI usage limit reached|${epoch}`, undefined, undefined, now);
  assert.equal(f.kind, 'rate_limit');
  assert.equal(f.retryAfterMs, 3600_000);
});

test('codex: usage is a running total per thread; the adapter reports the difference', () => {
  const first = parseCodexOutput(fixture('codex-ok').stdout).usage!;
  const second = parseCodexOutput(fixture('codex-resume').stdout).usage!;
  assert.deepEqual(first, { inputTokens: 200, outputTokens: 40 });
  assert.deepEqual(second, { inputTokens: 400, outputTokens: 80 }, 'codex 0.169 reports thread totals');
  assert.deepEqual(usageDelta(second, first, CLI_SPECS.codex.cumulativeUsage!), { inputTokens: 200, outputTokens: 40 });
  // Claude's total_cost_usd is a session total too, its tokens are per turn
  const c1 = parseClaudeOutput(fixture('claude-ok').stdout).usage!;
  const c2 = parseClaudeOutput(fixture('claude-resume').stdout).usage!;
  assert.deepEqual(usageDelta(c2, c1, CLI_SPECS.claude.cumulativeUsage!), { inputTokens: 200, outputTokens: 40, costUsd: c1.costUsd });
});

test('codex: turn.failed is the failure; item errors and reconnect messages are notes', () => {
  const lines = [
    '{"type":"thread.started","thread_id":"t-1"}',
    '{"type":"error","message":"Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)"}',
    '{"type":"item.completed","item":{"type":"error","message":"Model metadata for `x` not found"}}',
    '{"type":"turn.failed","error":{"message":"You\'ve hit your usage limit. Try again in 2 hours 5 minutes."}}',
  ];
  const t = parseCodexOutput(lines.join('\n'));
  assert.equal(t.sessionId, 't-1');
  assert.equal(t.failure?.kind, 'rate_limit');
  assert.equal(t.failure?.retryAfterMs, (2 * 60 + 5) * 60_000);
  assert.equal(t.notes.length, 2);
});

test('opencode: the 429 error event carries the retry-after header', () => {
  const t = parseOpencodeOutput(fixture('opencode-r429').stdout);
  assert.equal(t.failure?.kind, 'rate_limit');
  assert.equal(t.failure?.retryAfterMs, 1000);
});

test('opencode: the reply is the text of the last step, not the narration before tool calls', () => {
  const ev = (type: string, part: object) => JSON.stringify({ type, sessionID: 'ses_1', part });
  const out = [
    ev('step_start', {}),
    ev('text', { text: 'I will write the file.' }),
    ev('tool_use', { tool: 'write', state: { status: 'completed' } }),
    ev('step_finish', { reason: 'tool-calls', tokens: { input: 1, output: 2, cache: { read: 3, write: 0 } }, cost: 0.5 }),
    ev('step_start', {}),
    ev('text', { text: `Done.\n${DONE}` }),
    ev('step_finish', { reason: 'stop', tokens: { input: 1, output: 1 }, cost: 0.25 }),
  ].join('\n');
  const t = parseOpencodeOutput(out);
  assert.equal(t.reply, `Done.\n${DONE}`);
  assert.deepEqual(t.usage, { inputTokens: 5, outputTokens: 3, costUsd: 0.75 });
  assert.ok(t.completed);
});

test('gemini: -o json output and its stderr error object are understood too', () => {
  const t = parseGeminiOutput(
    JSON.stringify({ session_id: 's-1', response: `ok\n${DONE}`, stats: { models: { 'gemini-2.5-pro': { tokens: { prompt: 10, candidates: 3 } } } } }),
  );
  assert.equal(t.reply, `ok\n${DONE}`);
  assert.equal(t.sessionId, 's-1');
  assert.deepEqual(t.usage, { inputTokens: 10, outputTokens: 3 });
  const f = geminiStderrFailure(
    'Attempt 1 failed\n{"session_id":"s","error":{"type":"Error","message":"Resource has been exhausted (e.g. check quota).","code":429}}\n',
  );
  assert.equal(f?.kind, 'rate_limit');
  assert.equal(CLI_SPECS.gemini.exitFailure?.(41, '{"error":{"message":"Invalid auth method selected.","code":41}}', parseGeminiOutput(''))?.kind, 'auth');
  assert.equal(CLI_SPECS.gemini.exitFailure?.(173, 'some noise', parseGeminiOutput(''))?.kind, 'rate_limit');
  assert.equal(retryAfterFromStderr('  retryDelayMs: 23500,\n  status: 429'), 23500);
});

test('gemini: a failed tool does not fail the run but is noted', () => {
  const out = [
    '{"type":"init","session_id":"s"}',
    '{"type":"tool_use","tool_name":"write_file","tool_id":"w1","parameters":{}}',
    '{"type":"tool_result","tool_id":"w1","status":"error","error":{"message":"Path not in workspace"}}',
    '{"type":"message","role":"assistant","content":"Could not","delta":true}',
    '{"type":"message","role":"assistant","content":" write.","delta":true}',
    '{"type":"result","status":"success","stats":{"input_tokens":1,"output_tokens":2}}',
  ].join('\n');
  const t = parseGeminiOutput(out);
  assert.equal(t.failure, undefined);
  assert.equal(t.reply, 'Could not write.');
  assert.match(t.notes[0], /Path not in workspace/);
});

test('failure text: auth vs rate limit vs crash', () => {
  assert.equal(kindFromText('Invalid API key · Please run /login'), 'auth');
  assert.equal(kindFromText('unexpected status 401 Unauthorized'), 'auth');
  assert.equal(kindFromText('API key not valid. Please pass a valid API key.'), 'auth');
  assert.equal(kindFromText('exceeded retry limit, last status: 429 Too Many Requests'), 'rate_limit');
  assert.equal(kindFromText('Resource has been exhausted (e.g. check quota).'), 'rate_limit');
  assert.equal(kindFromText("You've hit your usage limit"), 'rate_limit');
  assert.equal(kindFromText('Overloaded'), 'rate_limit');
  assert.equal(kindFromText('segmentation fault'), undefined);
  assert.equal(kindFromText('Context window limit reached'), undefined);
  assert.equal(failureFrom('x', 'boom').kind, 'crash');
  assert.equal(failureFrom('x', 'whatever', 401).kind, 'auth');
});

test('retry-after: text forms, headers, and nothing when there is no hint', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  assert.equal(retryAfterFromText('Please try again in 20s.', now), 20_000);
  assert.equal(retryAfterFromText('Please retry in 23.5s.', now), 23_500);
  assert.equal(retryAfterFromText('Rate limit reached. Please try again in 120ms', now), 120);
  assert.equal(retryAfterFromText('try again in 1 hour and 30 minutes', now), 90 * 60_000);
  assert.equal(retryAfterFromText('limit resets at 2026-11-23T12:00:00Z', now), 2 * 3600_000);
  assert.equal(retryAfterFromText('usage limit reached', now), undefined);
  // Claude Code's subscription limits: "resets in 1h", "resets 3pm (Europe/Berlin)", "resets Aug 8"
  assert.equal(retryAfterFromText('5-hour limit reached · resets in 1h 30m', now), 90 * 60_000);
  const local = new Date(now);
  const threePm = new Date(now);
  threePm.setHours(15, 0, 0, 0);
  if (threePm.getTime() <= now) threePm.setDate(threePm.getDate() + 1);
  assert.equal(retryAfterFromText("You've hit your limit · resets 3pm (Europe/Berlin)", now), threePm.getTime() - now);
  const dec1 = new Date(`Dec 1 ${local.getFullYear()} 00:00:00`).getTime();
  assert.equal(retryAfterFromText('spend limit reached · resets Dec 1 · request an increase', now), dec1 - now);
  assert.equal(failureFrom('claude', 'spend limit reached · resets Dec 1').kind, 'rate_limit');
  assert.equal(retryAfterFromHeaders({ 'retry-after': '7' }, now), 7000);
  assert.equal(retryAfterFromHeaders({ 'Retry-After-Ms': '250' }, now), 250);
  assert.equal(retryAfterFromHeaders({ 'retry-after': 'Mon, 23 Nov 2026 10:01:00 GMT' }, now), 60_000);
  assert.equal(retryAfterFromHeaders({ 'x-ratelimit-reset-requests': '1m30s' }, now), 90_000);
  assert.equal(retryAfterFromHeaders({}, now), undefined);
});

test('stderr gist: skips colour codes, stack frames and known banners', () => {
  const f = fixture('codex-badsession');
  assert.match(stderrGist(f.stderr), /no rollout found for thread id/);
  assert.doesNotMatch(stderrGist(f.stderr), /<unknown>|Refusing to create helper binaries/);
  assert.equal(stderrGist('\x1b[91m\x1b[1mError: \x1b[0mSession not found\n'), 'Error: Session not found');
});

test('a reply assembled from many deltas keeps a bounded tail (signals are at the end)', () => {
  const chunk = 'x'.repeat(999) + '\n';
  const lines = ['{"type":"init","session_id":"s"}'];
  for (let i = 0; i < 1500; i++) lines.push(JSON.stringify({ type: 'message', role: 'assistant', content: chunk, delta: true }));
  lines.push(JSON.stringify({ type: 'message', role: 'assistant', content: DONE, delta: true }), '{"type":"result","status":"success","stats":{}}');
  const t = parseGeminiOutput(lines.join('\n'));
  assert.ok(t.reply.length <= 1_000_000);
  assert.ok(t.reply.endsWith(`\n${DONE}`));
});
