// The fake model server the real-CLI tests use (test/agents/fake-model-server.ts), without any
// CLI: each protocol's scripted tool call / text reply, the 429 and 401 modes, the write-root
// guard and request recording.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeModelServer } from '../agents/fake-model-server';

const TMP = realpathSync(tmpdir());
const WT = join(TMP, 'wt-x');
const PROMPT = 'Do it.\nFAKE_WRITE a/b.txt "hi\\n"\n';
const serverP = startFakeModelServer();
after(async () => (await serverP).stop());

async function post(path: string, body: unknown): Promise<{ status: number; text: string; headers: Headers }> {
  const s = await serverP;
  const r = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}
const events = (sse: string) =>
  sse
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

test('anthropic: Write tool call with an absolute path in the reported cwd, then the final text', async () => {
  const tools = [{ name: 'Write', input_schema: { properties: { file_path: {}, content: {} } } }];
  const first = await post('/v1/messages', {
    model: 'm',
    stream: true,
    tools,
    messages: [
      { role: 'system', content: `Primary working directory: ${WT}` },
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>x</system-reminder>' },
          { type: 'text', text: PROMPT },
        ],
      },
    ],
  });
  const delta = events(first.text).find((e) => e.type === 'content_block_delta') as { delta: { partial_json: string } };
  assert.deepEqual(JSON.parse(delta.delta.partial_json), { file_path: join(WT, 'a/b.txt'), content: 'hi\n' });
  const second = await post('/v1/messages', {
    model: 'm',
    stream: true,
    tools,
    messages: [
      { role: 'system', content: `Primary working directory: ${WT}` },
      { role: 'user', content: PROMPT },
      { role: 'assistant', content: [{ type: 'tool_use' }] },
      { role: 'user', content: [{ type: 'tool_result', content: 'ok' }] },
    ],
  });
  const text = events(second.text)
    .filter((e) => e.type === 'content_block_delta')
    .map((e) => (e as { delta: { text: string } }).delta.text)
    .join('');
  assert.match(text, /COMPLETE_AND_READY_FOR_MERGE$/);
});

test('responses: Codex apply_patch (custom tool) with a relative Add File patch', async () => {
  const r = await post('/v1/responses', {
    model: 'gpt-5.5',
    stream: true,
    tools: [{ type: 'custom', name: 'apply_patch' }],
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: `<environment_context><cwd>${WT}</cwd></environment_context>` }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: PROMPT }] },
    ],
  });
  const done = events(r.text).find((e) => e.type === 'response.output_item.done') as { item: { type: string; input: string } };
  assert.equal(done.item.type, 'custom_tool_call');
  assert.equal(done.item.input, '*** Begin Patch\n*** Add File: a/b.txt\n+hi\n*** End Patch\n');
  assert.ok(events(r.text).some((e) => e.type === 'response.completed'));
});

test('chat completions: OpenCode write tool; gemini: write_file; reviewer verdicts', async () => {
  const chat = await post('/v1/chat/completions', {
    model: 'f',
    stream: true,
    tools: [{ type: 'function', function: { name: 'write', parameters: { properties: { filePath: {}, content: {} } } } }],
    messages: [
      { role: 'system', content: `Working directory: ${WT}` },
      { role: 'user', content: PROMPT },
    ],
  });
  const call = (events(chat.text)[0] as { choices: { delta: { tool_calls: { function: { name: string } }[] } }[] }).choices[0].delta.tool_calls[0];
  assert.equal(call.function.name, 'write');
  assert.match(chat.text, /filePath.*a\/b\.txt/);
  const gem = await post('/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', {
    contents: [{ role: 'user', parts: [{ text: `- **Workspace Directories:**\n  - ${WT}` }, { text: PROMPT }] }],
    tools: [{ functionDeclarations: [{ name: 'write_file', parametersJsonSchema: { properties: { file_path: {}, content: {} } } }] }],
  });
  const part = (events(gem.text)[0] as { candidates: { content: { parts: { functionCall: { name: string; args: Record<string, string> } }[] } }[] })
    .candidates[0].content.parts[0];
  assert.deepEqual(part.functionCall, { name: 'write_file', args: { file_path: join(WT, 'a/b.txt'), content: 'hi\n' } });
  const rev = await post('/v1/chat/completions', { model: 'f', stream: true, messages: [{ role: 'user', content: 'Review.\nFAKE_VERDICT NEEDS_CHANGES\n' }] });
  assert.match(rev.text, /VERDICT: NEEDS_CHANGES/);
});

test("modes: /r429 and /r401 answer in each protocol's error shape; failNext; tags and bodies are recorded", async () => {
  const s = await serverP;
  const r429 = await post('/t-mode/r429/v1/messages', { messages: [] });
  assert.equal(r429.status, 429);
  assert.equal(r429.headers.get('retry-after'), '1');
  assert.match(r429.text, /rate_limit_error/);
  const r401 = await post('/r401/v1/responses', { input: [] });
  assert.equal(r401.status, 401);
  assert.match(r401.text, /invalid_api_key/);
  s.failNext(429, 1);
  assert.equal((await post('/v1beta/models/g:streamGenerateContent', { contents: [] })).status, 429);
  assert.equal((await post('/v1beta/models/g:streamGenerateContent', { contents: [{ role: 'user', parts: [{ text: 'FAKE_REPLY "ok"' }] }] })).status, 200);
  const tagged = s.modelRequests('mode');
  assert.equal(tagged.length, 1);
  assert.equal(tagged[0].status, 429);
  assert.equal(tagged[0].path, '/v1/messages');
});

test('a write outside the allowed roots is refused (a CLI that reports the wrong cwd cannot make a test write into a real checkout)', async () => {
  const r = await post('/v1/chat/completions', {
    model: 'f',
    stream: true,
    tools: [{ type: 'function', function: { name: 'write', parameters: { properties: { filePath: {}, content: {} } } } }],
    messages: [
      { role: 'system', content: 'Working directory: /work/somewhere' },
      { role: 'user', content: PROMPT },
    ],
  });
  assert.match(r.text, /refusing to write \/work\/somewhere\/a\/b\.txt/);
});
