// The live output renderer (src/shared/agentRender.ts) against the recorded streams of the four
// CLIs (test/agents/fixtures): people see the assistant's words, the tools with their files and
// commands, errors and the end of the turn, never raw JSON; nothing an agent prints can put an
// escape sequence on the terminal; an endless line costs bounded memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentLogRenderer, renderLog, renderLogLine } from '../../src/shared/agentRender';

const FIX = join(__dirname, '..', 'agents', 'fixtures');
const fixture = (name: string): { stdout: string; stderr: string } => JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8'));
/** A log file as proc.ts writes it: stdout and stderr appended as they come. */
const logOf = (name: string) => {
  const f = fixture(name);
  return f.stdout + f.stderr;
};
const plain = (name: string) => renderLog(logOf(name), { color: false });

for (const cli of ['claude', 'codex', 'gemini', 'opencode']) {
  test(`${cli}: a worker turn reads as words, the tool call with its file, and the end of the turn`, () => {
    const out = plain(`${cli}-ok`);
    assert.match(out, /Wrote hello\.txt\./, out);
    assert.match(out, /COMPLETE_AND_READY_FOR_MERGE/);
    assert.match(out, /▸ \S+ .*hello\.txt/, `a tool line naming the file:\n${out}`);
    if (cli !== 'opencode' || /"reason":"stop"/.test(logOf(`${cli}-ok`))) assert.match(out, /turn finished/);
    for (const line of out.split('\r\n')) assert.ok(!/^\s*\{".*":/.test(line), `raw JSON shown: ${line}`);
    assert.ok(out.endsWith('\r\n'), 'pseudoterminal line ends');
    assert.ok(!out.replace(/\r\n/g, '').includes('\n'), 'every line break is \\r\\n');
  });

  test(`${cli}: the reviewer's verdict is shown`, () => {
    assert.match(plain(`${cli}-reviewer`), /VERDICT: APPROVED/);
  });
}

test('errors the CLIs report are shown as errors (rate limits, bad keys)', () => {
  assert.match(plain('codex-r429'), /turn failed: exceeded retry limit, last status: 429 Too Many Requests/);
  assert.match(plain('gemini-r429'), /turn failed: \[API Error: Resource has been exhausted/);
  assert.match(plain('claude-r429'), /API Error: Request rejected \(429\)/);
  assert.match(plain('claude-r401'), /Invalid API key/);
  const colored = renderLog(fixture('codex-r429').stdout);
  assert.match(colored, /\x1b\[31mturn failed/, 'errors in red');
});

test('every recorded stream renders without throwing and without raw JSON', () => {
  for (const f of readdirSync(FIX).filter((n) => n.endsWith('.json'))) {
    const out = plain(f.slice(0, -5));
    for (const line of out.split('\r\n')) assert.ok(!/^\s*\{"(type|duration_api_ms)"/.test(line), `${f}: ${line}`);
  }
});

test('the usage of a turn is in its last line (Claude: cost; Codex: tokens)', () => {
  assert.match(plain('claude-ok'), /turn finished \(\$0\.002 · 200 in \/ 40 out\)/);
  assert.match(plain('codex-ok'), /turn finished \(200 in \/ 40 out\)/);
});

test('codex commands show the command; claude Bash the command; a failing command its exit', () => {
  const codexCmd =
    '{"type":"item.started","item":{"id":"i","type":"command_execution","command":"bash -lc \'npm test\'","status":"in_progress"}}\n{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"npm test","aggregated_output":"1 failing","exit_code":1,"status":"failed"}}\n';
  const out = renderLog(codexCmd, { color: false });
  assert.match(out, /▸ \$ bash -lc 'npm test'/);
  assert.match(out, /✗ exit 1: 1 failing/);
  const claudeBash = JSON.stringify({
    type: 'assistant',
    session_id: 's',
    message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'git status' } }] },
  });
  assert.deepEqual(renderLogLine(claudeBash), [{ kind: 'tool', text: '▸ Bash $ git status' }]);
});

test('plain text from a command harness is shown as it is', () => {
  assert.equal(renderLog('working on t1\nCOMPLETE_AND_READY_FOR_MERGE\n', { color: false }), 'working on t1\r\nCOMPLETE_AND_READY_FOR_MERGE\r\n');
});

test('hostile output: escape sequences, \\r overwrites, BEL, OSC 52 clipboard writes and bidi marks are shown escaped, in plain text and inside events', () => {
  const evil = 'ok\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\rfake line\u202eevil\x9b31m';
  const outs = [
    renderLog(`${evil}\n`),
    renderLog(`${JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: evil } })}\n`),
    renderLog(
      `${JSON.stringify({ type: 'assistant', session_id: 's', message: { content: [{ type: 'tool_use', name: `Write${evil}`, input: { file_path: evil } }] } })}\n`,
    ),
    renderLog(`${JSON.stringify({ type: 'message', timestamp: 't', role: 'assistant', content: evil, delta: true })}\n`),
  ];
  for (const out of outs) {
    // The only ESC bytes left are the renderer's own SGR colours.
    const stripped = out.replace(/\x1b\[(?:\d+)?m/g, '');
    assert.ok(!/[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202e]/.test(stripped.replace(/\r\n/g, '')), JSON.stringify(out));
    assert.ok(!/\r(?!\n)/.test(out), 'no bare \\r');
    assert.match(out, /\\x1b\[2J/);
  }
});

test('bounded memory: an endless line is not kept; the next line renders again', () => {
  const r = new AgentLogRenderer({ maxLineBytes: 1000, color: false });
  let out = '';
  for (let i = 0; i < 10_000; i++) out += r.push('x'.repeat(1000)); // 10 MB without a newline
  assert.equal(out, '');
  assert.ok((r as unknown as { partial: string }).partial.length <= 1000);
  out += r.push('\nafter\n');
  assert.match(out, /… a line of 10000000 characters, not shown\r\nafter\r\n/);
});

test('chunks split anywhere give the same rendering as the whole log', () => {
  const whole = logOf('claude-ok');
  const once = renderLog(whole);
  for (const size of [1, 7, 64, 1000]) {
    const r = new AgentLogRenderer();
    let out = '';
    for (let i = 0; i < whole.length; i += size) out += r.push(whole.slice(i, i + size));
    assert.equal(out + r.end(), once, `chunks of ${size}`);
  }
});
