// A local fake model server for driving the REAL agent CLIs in tests (see
// /work/shared/docs/agent-clis.md for what each CLI sends). Loopback only, random port, bounded
// (request count and body size), started and stopped by the tests. It speaks:
//   POST /v1/messages                       Anthropic Messages SSE   (Claude Code; OpenCode @ai-sdk/anthropic)
//   POST /v1/responses                      OpenAI Responses SSE     (Codex; OpenCode @ai-sdk/openai)
//   POST /v1/chat/completions               OpenAI Chat SSE          (OpenCode @ai-sdk/openai-compatible)
//   POST /v1beta/models/M:streamGenerateContent   Gemini SSE         (Gemini CLI)
//   POST /v1beta/models/M:generateContent   Gemini JSON              (Gemini's model router, when no -m)
//
// Leading path segments before /v1 or /v1beta select a mode or tag a request:
//   /r429/...  every request answers HTTP 429 (rate limit)        /r401/... HTTP 401 (bad key)
//   /r500/...  HTTP 500                                            /t-<tag>/... tags the request (recorded)
// and `failNext(status, n)` / `setFailing(status|null)` switch the same at run time (a 429 storm).
//
// Turns are scripted: `script(view)` returns what the model does next. The default script reads
// directives from the latest user prompt, one per line:
//   FAKE_WRITE <relative/path> <JSON string content>   call the CLI's file-write tool (one per step)
//   FAKE_SHELL <JSON string command>                   call the CLI's shell tool (one per step)
//   FAKE_REPLY <JSON string>                           the final text reply
//   FAKE_VERDICT APPROVED|NEEDS_CHANGES|REJECTED       reply "...\nVERDICT: X" (reviewer)
// Without FAKE_REPLY the final reply ends with COMPLETE_AND_READY_FOR_MERGE.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';

const realTmp = (): string => {
  try {
    return realpathSync(tmpdir());
  } catch {
    return tmpdir();
  }
};

export type Protocol = 'anthropic' | 'responses' | 'chat' | 'gemini' | 'gemini-generate' | 'other';

export interface RecordedRequest {
  seq: number;
  time: number;
  method: string;
  path: string;
  /** From a `/t-<tag>/` path segment. */
  tag?: string;
  /** From a `/r429/` style path segment. */
  mode?: string;
  protocol: Protocol;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  bodyText: string;
  /** Session header the CLI sent (Claude x-claude-code-session-id, Codex session-id, OpenCode x-session-id). */
  sessionHeader?: string;
  status: number;
  /** The tokens this request's reply reported (answered model calls only; see usageFor). */
  usage?: ServedUsage;
  /** What the script decided (for debugging failed tests). */
  action?: FakeAction;
  view?: ConversationView;
}

/** A protocol-independent view of one model request. */
export interface ConversationView {
  protocol: Protocol;
  model: string;
  tag?: string;
  /** The worktree / working directory the CLI told the model about. */
  cwd?: string;
  /** System text (system prompt, developer messages, Claude's role:"system" message). */
  system: string;
  /** Text of the latest user prompt (not a tool result). */
  prompt: string;
  /** Every user prompt text in the history, oldest first (resume carries earlier ones). */
  prompts: string[];
  /** Tool results since the latest prompt (= steps already taken in this turn). */
  toolResultsSincePrompt: number;
  /** Number of messages / input items / contents in the request. */
  messageCount: number;
  tools: ToolInfo[];
}

export interface ToolInfo {
  name: string;
  /** "custom" for Codex's freeform apply_patch. */
  kind: 'function' | 'custom';
  properties: string[];
}

export type FakeAction =
  | { kind: 'write'; path: string; content: string }
  /** Run a command with the CLI's shell tool (Bash / exec_command / bash / run_shell_command), in the cwd. */
  | { kind: 'shell'; command: string }
  | { kind: 'text'; text: string }
  | { kind: 'http'; status: number; message?: string; retryAfterS?: number };

export type FakeScript = (view: ConversationView, req: RecordedRequest) => FakeAction;

export interface FakeModelServerOptions {
  script?: FakeScript;
  /** Refuse (HTTP 503) after this many requests. Default 5000. */
  maxRequests?: number;
  /** Refuse bodies above this. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Keep full bodies of at most this many requests (older ones keep metadata only). Default 400. */
  keepBodies?: number;
  /** Scripted writes outside these folders are refused (a CLI reporting the wrong cwd must not
   *  make a test write into the real checkout). Default: the OS temp folder. */
  writeRoots?: string[];
}

const DONE = 'COMPLETE_AND_READY_FOR_MERGE';

/** The default script: FAKE_* directives in the latest prompt (see the header). */
export function directiveScript(view: ConversationView): FakeAction {
  if (/title generator|generate a (short )?title/i.test(view.system) && !view.tools.length) return { kind: 'text', text: 'Fake task title' };
  const steps: ({ kind: 'write'; path: string; content: string } | { kind: 'shell'; command: string })[] = [];
  let reply: string | undefined;
  for (const line of view.prompt.split('\n')) {
    const w = /^\s*FAKE_WRITE\s+(\S+)\s+(".*")\s*$/.exec(line);
    if (w) {
      steps.push({ kind: 'write', path: w[1], content: JSON.parse(w[2]) as string });
      continue;
    }
    const sh = /^\s*FAKE_SHELL\s+(".*")\s*$/.exec(line);
    if (sh) {
      steps.push({ kind: 'shell', command: JSON.parse(sh[1]) as string });
      continue;
    }
    const r = /^\s*FAKE_REPLY\s+(".*")\s*$/.exec(line);
    if (r) {
      reply = JSON.parse(r[1]) as string;
      continue;
    }
    const v = /^\s*FAKE_VERDICT\s+(APPROVED|NEEDS_CHANGES|REJECTED)\s*$/.exec(line);
    if (v) reply = v[1] === 'APPROVED' ? `The change does what the task asks.\nVERDICT: APPROVED` : `Please add a note to NOTES.md.\nVERDICT: ${v[1]}`;
  }
  const step = view.toolResultsSincePrompt;
  if (step < steps.length) return steps[step];
  const wrote = steps.flatMap((x) => (x.kind === 'write' ? [x.path] : []));
  return { kind: 'text', text: reply ?? (wrote.length ? `Wrote ${wrote.join(', ')}.\n${DONE}` : `Done.\n${DONE}`) };
}

// --- request parsing ----------------------------------------------------------------------

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const NOT_PROMPT = /^\s*(<system-reminder>|<environment_context>|<user_instructions>|<permissions|# AGENTS\.md|<INSTRUCTIONS>)/;

function textOfParts(content: unknown, textKeys = ['text']): string[] {
  if (typeof content === 'string') return [content];
  const out: string[] = [];
  for (const p of arr(content)) {
    const o = obj(p);
    for (const k of textKeys) if (typeof o[k] === 'string') out.push(o[k] as string);
  }
  return out;
}

function findCwd(texts: string[]): string | undefined {
  const all = texts.join('\n');
  const pats = [
    /Primary working directory:\s*(\/[^\s<]*)/, // Claude Code
    /<cwd>(\/[^<]+)<\/cwd>/, // Codex
    /Workspace Directories:\*\*\s*\n\s*-\s*(\/\S+)/, // Gemini CLI
    /Working directory:\s*(\/[^\s<]*)/, // OpenCode
    /working directory[^/\n]{0,40}(\/[^\s<"']+)/i,
  ];
  for (const p of pats) {
    const m = p.exec(all);
    if (m) return m[1].replace(/[.,;:)]+$/, '');
  }
  return undefined;
}

interface Parsed {
  system: string[];
  prompts: string[];
  toolResultsSincePrompt: number;
  messageCount: number;
  tools: ToolInfo[];
  model: string;
  texts: string[];
}

function schemaProps(s: unknown): string[] {
  return Object.keys(obj(obj(s).properties));
}

function parseAnthropic(b: Json): Parsed {
  const system = textOfParts(b.system);
  const prompts: string[] = [];
  const texts: string[] = [...system];
  let since = 0;
  const msgs = arr(b.messages);
  for (const m of msgs) {
    const mo = obj(m);
    const role = str(mo.role);
    const t = textOfParts(mo.content);
    texts.push(...t);
    if (role === 'system') {
      system.push(...t);
      continue;
    }
    if (role !== 'user') continue;
    const hasToolResult = arr(mo.content).some((p) => obj(p).type === 'tool_result');
    const own = t.filter((x) => !NOT_PROMPT.test(x) && x.trim());
    if (!hasToolResult && own.length) {
      prompts.push(own.join('\n'));
      since = 0;
    } else if (hasToolResult) since++;
  }
  const tools = arr(b.tools).map((t) => ({ name: str(obj(t).name), kind: 'function' as const, properties: schemaProps(obj(t).input_schema) }));
  return { system, prompts, toolResultsSincePrompt: since, messageCount: msgs.length, tools, model: str(b.model), texts };
}

function parseResponses(b: Json): Parsed {
  const system = [str(b.instructions)].filter(Boolean);
  const prompts: string[] = [];
  const texts: string[] = [...system];
  let since = 0;
  const items = typeof b.input === 'string' ? [{ type: 'message', role: 'user', content: b.input }] : arr(b.input);
  for (const it of items) {
    const io = obj(it);
    const type = str(io.type) || 'message';
    if (type === 'message') {
      const t = textOfParts(io.content);
      texts.push(...t);
      if (io.role === 'developer' || io.role === 'system') {
        system.push(...t);
        continue;
      }
      if (io.role !== 'user') continue;
      const own = t.filter((x) => !NOT_PROMPT.test(x) && x.trim());
      if (own.length) {
        prompts.push(own.join('\n'));
        since = 0;
      }
    } else if (/_call_output$/.test(type)) since++;
  }
  const tools = arr(b.tools).map((t) => {
    const to = obj(t);
    return { name: str(to.name), kind: to.type === 'custom' ? ('custom' as const) : ('function' as const), properties: schemaProps(to.parameters) };
  });
  return { system, prompts, toolResultsSincePrompt: since, messageCount: items.length, tools, model: str(b.model), texts };
}

function parseChat(b: Json): Parsed {
  const system: string[] = [];
  const prompts: string[] = [];
  const texts: string[] = [];
  let since = 0;
  const msgs = arr(b.messages);
  for (const m of msgs) {
    const mo = obj(m);
    const t = textOfParts(mo.content);
    texts.push(...t);
    if (mo.role === 'system' || mo.role === 'developer') system.push(...t);
    else if (mo.role === 'tool') since++;
    else if (mo.role === 'user') {
      const own = t.filter((x) => !NOT_PROMPT.test(x) && x.trim());
      if (own.length) {
        prompts.push(own.join('\n'));
        since = 0;
      }
    }
  }
  const tools = arr(b.tools).map((t) => {
    const f = obj(obj(t).function);
    return { name: str(f.name), kind: 'function' as const, properties: schemaProps(f.parameters) };
  });
  return { system, prompts, toolResultsSincePrompt: since, messageCount: msgs.length, tools, model: str(b.model), texts };
}

function parseGemini(b: Json, model: string): Parsed {
  const system = textOfParts(obj(b.systemInstruction).parts);
  const prompts: string[] = [];
  const texts: string[] = [...system];
  let since = 0;
  const contents = arr(b.contents);
  for (const c of contents) {
    const co = obj(c);
    const parts = arr(co.parts);
    const t = textOfParts(parts);
    texts.push(...t);
    if (co.role !== 'user') continue;
    const hasResp = parts.some((p) => 'functionResponse' in obj(p));
    const own = t.filter((x) => !NOT_PROMPT.test(x) && x.trim());
    if (hasResp) since++;
    else if (own.length) {
      prompts.push(own.join('\n'));
      since = 0;
    }
  }
  const tools: ToolInfo[] = [];
  for (const t of arr(b.tools))
    for (const f of arr(obj(t).functionDeclarations)) {
      const fo = obj(f);
      tools.push({ name: str(fo.name), kind: 'function', properties: schemaProps(fo.parametersJsonSchema ?? fo.parameters) });
    }
  return { system, prompts, toolResultsSincePrompt: since, messageCount: contents.length, tools, model, texts };
}

// --- tool calls ---------------------------------------------------------------------------

interface ToolCall {
  name: string;
  custom: boolean;
  args: Json;
  input?: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Turn "write this file" into a call of whichever file-write tool the CLI offered. */
function shellCallFor(command: string, view: ConversationView, description = 'run a command'): ToolCall | string {
  const by = (n: string) => view.tools.find((t) => t.name === n);
  if (by('exec_command')) return { name: 'exec_command', custom: false, args: { cmd: command, ...(view.cwd ? { workdir: view.cwd } : {}) } };
  for (const name of ['Bash', 'bash', 'run_shell_command', 'shell']) if (by(name)) return { name, custom: false, args: { command, description } };
  return `fake server: no shell tool among ${view.tools.map((t) => t.name).join(', ')}`;
}

function toolCallFor(action: { path: string; content: string }, view: ConversationView, writeRoots: string[]): ToolCall | string {
  const abs = isAbsolute(action.path) ? action.path : view.cwd ? join(view.cwd, action.path) : undefined;
  if (abs && !writeRoots.some((r) => abs.startsWith(r.replace(/\/?$/, '/')))) return `fake server: refusing to write ${abs}: outside ${writeRoots.join(', ')}`;
  const by = (n: string) => view.tools.find((t) => t.name === n);
  const patch = by('apply_patch');
  if (patch?.kind === 'custom') {
    const body = action.content
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `+${l}`)
      .join('\n');
    return { name: 'apply_patch', custom: true, args: {}, input: `*** Begin Patch\n*** Add File: ${action.path}\n${body}\n*** End Patch\n` };
  }
  if (!abs) return 'fake server: could not find the working directory in the request';
  for (const name of ['Write', 'write', 'write_file']) {
    const t = by(name);
    if (!t) continue;
    const pathKey = ['file_path', 'filePath', 'path', 'absolute_path'].find((k) => t.properties.includes(k)) ?? 'file_path';
    return { name, custom: false, args: { [pathKey]: abs, content: action.content } };
  }
  const sh = `mkdir -p "$(dirname ${shellQuote(abs)})" && printf '%s' ${shellQuote(action.content)} > ${shellQuote(abs)}`;
  const call = shellCallFor(sh, view, 'write file');
  return typeof call === 'string' ? `fake server: no file-write tool among ${view.tools.map((t) => t.name).join(', ')}` : call;
}

// --- SSE writers --------------------------------------------------------------------------

let idCounter = 0;
const nextId = (p: string) => `${p}_${Date.now().toString(36)}${(++idCounter).toString(36)}`;

/**
 * The tokens the server reports for one model call, in one protocol-independent shape: `input` is
 * every prompt token (cache reads and writes included), `output` every generated token (reasoning
 * included). Each protocol gets them in its own fields (see usageFor's callers): Anthropic's
 * input_tokens excludes the cache ones; OpenAI's prompt/input tokens include cached_tokens and
 * completion/output tokens include reasoning_tokens; Gemini's promptTokenCount includes
 * cachedContentTokenCount and candidatesTokenCount excludes thoughtsTokenCount. Only Anthropic
 * has cache writes. Distinct numbers per field, and per call (`n` is the call's number), so a sum
 * taken over the wrong fields or the wrong calls cannot come out right.
 */
export interface ServedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}
export function usageFor(protocol: Protocol, n: number): ServedUsage {
  return { input: 1234 + n, output: 56 + (n % 10), cacheRead: 200 + n, cacheWrite: protocol === 'anthropic' ? 30 : 0, reasoning: 7 };
}
/** The countTokens / non-usage default (Gemini's countTokens answer). */
const USAGE = { input: 1234 };

function sse(res: ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const e of events) res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
  res.end();
}

function anthropicReply(res: ServerResponse, model: string, out: ToolCall | string, stream: boolean, u: ServedUsage): void {
  const id = nextId('msg');
  const block = typeof out === 'string' ? { type: 'text', text: out } : { type: 'tool_use', id: nextId('toolu'), name: out.name, input: out.args };
  const stop = typeof out === 'string' ? 'end_turn' : 'tool_use';
  if (!stream) {
    json(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [block],
      stop_reason: stop,
      stop_sequence: null,
      usage: {
        input_tokens: u.input - u.cacheRead - u.cacheWrite,
        cache_creation_input_tokens: u.cacheWrite,
        cache_read_input_tokens: u.cacheRead,
        output_tokens: u.output,
      },
    });
    return;
  }
  const ev = (type: string, data: Json) => ({ event: type, data: { type, ...data } });
  sse(res, [
    ev('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: u.input - u.cacheRead - u.cacheWrite,
          cache_creation_input_tokens: u.cacheWrite,
          cache_read_input_tokens: u.cacheRead,
          output_tokens: 1,
        },
      },
    }),
    ev('content_block_start', { index: 0, content_block: typeof out === 'string' ? { type: 'text', text: '' } : { ...block, input: {} } }),
    ev('content_block_delta', {
      index: 0,
      delta: typeof out === 'string' ? { type: 'text_delta', text: out } : { type: 'input_json_delta', partial_json: JSON.stringify(out.args) },
    }),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: u.output } }),
    ev('message_stop', {}),
  ]);
}

function responsesReply(res: ServerResponse, model: string, out: ToolCall | string, stream: boolean, u: ServedUsage): void {
  const respId = nextId('resp');
  let item: Json;
  if (typeof out === 'string')
    item = { type: 'message', id: nextId('msg'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: out, annotations: [] }] };
  else if (out.custom)
    item = { type: 'custom_tool_call', id: nextId('ctc'), call_id: nextId('call'), name: out.name, input: out.input ?? '', status: 'completed' };
  else item = { type: 'function_call', id: nextId('fc'), call_id: nextId('call'), name: out.name, arguments: JSON.stringify(out.args), status: 'completed' };
  const usage = {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
  const response = (status: string, output: Json[]) => ({
    id: respId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output,
    usage: status === 'completed' ? usage : null,
  });
  if (!stream) {
    json(res, 200, response('completed', [item]));
    return;
  }
  let seq = 0;
  const ev = (type: string, data: Json) => ({ event: type, data: { type, sequence_number: seq++, ...data } });
  const events = [ev('response.created', { response: response('in_progress', []) }), ev('response.in_progress', { response: response('in_progress', []) })];
  if (typeof out === 'string') {
    const empty = { ...item, status: 'in_progress', content: [] };
    const part = { type: 'output_text', text: '', annotations: [] };
    events.push(
      ev('response.output_item.added', { output_index: 0, item: empty }),
      ev('response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part }),
      ev('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: out, logprobs: [] }),
      ev('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text: out, logprobs: [] }),
      ev('response.content_part.done', { item_id: item.id, output_index: 0, content_index: 0, part: { ...part, text: out } }),
    );
  } else if (!out.custom) {
    events.push(
      ev('response.output_item.added', { output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } }),
      ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: item.arguments }),
      ev('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: item.arguments }),
    );
  } else {
    events.push(ev('response.output_item.added', { output_index: 0, item: { ...item, input: '', status: 'in_progress' } }));
  }
  events.push(ev('response.output_item.done', { output_index: 0, item }), ev('response.completed', { response: response('completed', [item]) }));
  sse(res, events);
}

function chatReply(res: ServerResponse, model: string, out: ToolCall | string, stream: boolean, u: ServedUsage): void {
  const id = nextId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: u.input,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
    completion_tokens: u.output,
    completion_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
  const callId = nextId('call');
  if (!stream) {
    const message =
      typeof out === 'string'
        ? { role: 'assistant', content: out }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: callId, type: 'function', function: { name: out.name, arguments: JSON.stringify(out.args) } }],
          };
    json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message, finish_reason: typeof out === 'string' ? 'stop' : 'tool_calls' }],
      usage,
    });
    return;
  }
  const chunk = (delta: Json, finish: string | null) => ({
    data: { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] },
  });
  const events =
    typeof out === 'string'
      ? [chunk({ role: 'assistant', content: '' }, null), chunk({ content: out }, null), chunk({}, 'stop')]
      : [
          chunk(
            { role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: out.name, arguments: '' } }] },
            null,
          ),
          chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(out.args) } }] }, null),
          chunk({}, 'tool_calls'),
        ];
  sse(res, [...events, { data: { id, object: 'chat.completion.chunk', created, model, choices: [], usage } }, { data: '[DONE]' }]);
}

function geminiReply(res: ServerResponse, model: string, out: ToolCall | string, stream: boolean, u: ServedUsage): void {
  const part = typeof out === 'string' ? { text: out } : { functionCall: { name: out.name, args: out.args } };
  const data = {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: {
      promptTokenCount: u.input,
      cachedContentTokenCount: u.cacheRead,
      candidatesTokenCount: u.output - u.reasoning,
      thoughtsTokenCount: u.reasoning,
      totalTokenCount: u.input + u.output,
    },
    modelVersion: model,
  };
  if (stream) sse(res, [{ data }]);
  else json(res, 200, data);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorReply(res: ServerResponse, protocol: Protocol, status: number, message?: string, retryAfterS?: number): void {
  const headers: Record<string, string> = retryAfterS !== undefined ? { 'retry-after': String(retryAfterS) } : {};
  const rate = status === 429;
  const auth = status === 401 || status === 403;
  if (protocol === 'anthropic') {
    const type = rate ? 'rate_limit_error' : auth ? 'authentication_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    json(
      res,
      status,
      { type: 'error', error: { type, message: message ?? (rate ? 'Fake rate limit: too many requests' : auth ? 'invalid x-api-key' : 'Fake server error') } },
      headers,
    );
  } else if (protocol === 'gemini' || protocol === 'gemini-generate') {
    const s = rate ? 'RESOURCE_EXHAUSTED' : auth ? 'UNAUTHENTICATED' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
    json(
      res,
      status,
      {
        error: {
          code: status,
          message:
            message ??
            (rate ? 'Resource has been exhausted (e.g. check quota).' : auth ? 'API key not valid. Please pass a valid API key.' : 'Fake server error'),
          status: s,
        },
      },
      headers,
    );
  } else {
    const code = rate ? 'rate_limit_exceeded' : auth ? 'invalid_api_key' : 'server_error';
    json(
      res,
      status,
      {
        error: {
          message: message ?? (rate ? 'Rate limit reached (fake)' : auth ? 'Incorrect API key provided: sk-fake. (fake)' : 'Fake server error'),
          type: rate ? 'requests' : auth ? 'invalid_request_error' : 'server_error',
          param: null,
          code,
        },
      },
      headers,
    );
  }
}

// --- the server ---------------------------------------------------------------------------

export class FakeModelServer {
  private server?: Server;
  private seq = 0;
  private failing: { status: number; remaining: number; retryAfterS?: number } | null = null;
  readonly requests: RecordedRequest[] = [];
  /** Model calls answered with a reply (each reported usage; errors and side routes not counted). */
  served = 0;
  script: FakeScript;
  port = 0;

  constructor(private readonly opts: FakeModelServerOptions = {}) {
    this.script = opts.script ?? directiveScript;
  }

  /** http://127.0.0.1:PORT (no trailing slash). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        try {
          json(res, 500, { error: { message: String(e) } });
        } catch {
          /* gone */
        }
      });
    });
    // Long enough that a CLI reusing its connection for the next call of a turn (after a tool ran
    // on a loaded machine) never sends into a socket the server is closing ("fetch failed sending
    // request"); stop() closes every connection anyway.
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `count` model requests answer HTTP `status` (429 storm: failNext(429, Infinity)). */
  failNext(status: number, count: number, retryAfterS?: number): void {
    this.failing = { status, remaining: count, retryAfterS };
  }

  /** Every model request answers `status` until called with null. */
  setFailing(status: number | null, retryAfterS?: number): void {
    this.failing = status === null ? null : { status, remaining: Infinity, retryAfterS };
  }

  /** The usage the answered model calls of `tag` reported, summed (`calls`: how many). */
  servedUsage(tag?: string, which: (r: RecordedRequest) => boolean = () => true): ServedUsage & { calls: number } {
    const sum = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, calls: 0 };
    for (const r of this.modelRequests(tag)) {
      if (!r.usage || !which(r)) continue;
      sum.calls++;
      for (const k of ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const) sum[k] += r.usage[k];
    }
    return sum;
  }

  /** Model requests (not side calls), optionally of one tag. */
  modelRequests(tag?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.protocol !== 'other' && (tag === undefined || r.tag === tag));
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | null> {
    const max = this.opts.maxBodyBytes ?? 32 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > max) return null;
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seq = ++this.seq;
    const url = new URL(req.url ?? '/', 'http://x');
    const segs = url.pathname.split('/').filter(Boolean);
    let tag: string | undefined;
    let mode: string | undefined;
    while (segs.length && segs[0] !== 'v1' && segs[0] !== 'v1beta') {
      const s = segs.shift()!;
      if (/^r\d{3}$/.test(s)) mode = s;
      else if (s.startsWith('t-')) tag = s.slice(2);
    }
    const path = '/' + segs.join('/');
    const rec: RecordedRequest = {
      seq,
      time: Date.now(),
      method: req.method ?? 'GET',
      path,
      tag,
      mode,
      protocol: 'other',
      headers: req.headers,
      body: undefined,
      bodyText: '',
      status: 0,
    };
    this.requests.push(rec);
    const keep = this.opts.keepBodies ?? 400;
    if (this.requests.length > keep) {
      const old = this.requests[this.requests.length - keep - 1];
      old.body = undefined;
      old.bodyText = '';
      old.view = undefined;
    }

    if (seq > (this.opts.maxRequests ?? 5000)) {
      rec.status = 503;
      json(res, 503, { error: { message: 'fake server: request limit reached' } });
      return;
    }
    const raw = await this.readBody(req);
    if (raw === null) {
      rec.status = 413;
      json(res, 413, { error: { message: 'fake server: body too large' } });
      return;
    }
    rec.bodyText = raw.toString('utf8');
    try {
      rec.body = rec.bodyText ? JSON.parse(rec.bodyText) : undefined;
    } catch {
      rec.body = undefined;
    }
    const b = obj(rec.body);
    rec.sessionHeader = [req.headers['x-claude-code-session-id'], req.headers['session-id'], req.headers['x-session-id']]
      .map((h) => (Array.isArray(h) ? h[0] : h))
      .find(Boolean);

    let parsed: Parsed | undefined;
    let stream = b.stream === true;
    let gemModel = '';
    if (rec.method === 'POST' && path === '/v1/messages') {
      rec.protocol = 'anthropic';
      parsed = parseAnthropic(b);
    } else if (rec.method === 'POST' && path === '/v1/responses') {
      rec.protocol = 'responses';
      parsed = parseResponses(b);
    } else if (rec.method === 'POST' && path === '/v1/chat/completions') {
      rec.protocol = 'chat';
      parsed = parseChat(b);
    } else {
      const g = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/.exec(path);
      if (g && rec.method === 'POST') {
        gemModel = decodeURIComponent(g[1]);
        if (g[2] === 'countTokens') {
          rec.status = 200;
          json(res, 200, { totalTokens: USAGE.input });
          return;
        }
        rec.protocol = g[2] === 'streamGenerateContent' ? 'gemini' : 'gemini-generate';
        stream = g[2] === 'streamGenerateContent';
        parsed = parseGemini(b, gemModel);
      }
    }
    if (!parsed) {
      if (rec.method === 'GET' && /\/models$/.test(path)) {
        rec.status = 200;
        json(res, 200, { object: 'list', data: [], models: [] });
        return;
      }
      rec.status = 404;
      json(res, 404, { error: { message: `fake server: no route for ${rec.method} ${path}` } });
      return;
    }

    const forced = mode ? Number(mode.slice(1)) : undefined;
    if (forced && forced !== 200) {
      rec.status = forced;
      errorReply(res, rec.protocol, forced, undefined, forced === 429 ? 1 : undefined);
      return;
    }
    if (this.failing && this.failing.remaining > 0) {
      this.failing.remaining--;
      const f = this.failing;
      if (f.remaining <= 0) this.failing = null;
      rec.status = f.status;
      errorReply(res, rec.protocol, f.status, undefined, f.retryAfterS);
      return;
    }

    const view: ConversationView = {
      protocol: rec.protocol,
      model: parsed.model,
      tag,
      cwd: findCwd(parsed.texts),
      system: parsed.system.join('\n'),
      prompt: parsed.prompts[parsed.prompts.length - 1] ?? '',
      prompts: parsed.prompts,
      toolResultsSincePrompt: parsed.toolResultsSincePrompt,
      messageCount: parsed.messageCount,
      tools: parsed.tools,
    };
    rec.view = view;

    if (rec.protocol === 'gemini-generate' && /complexity|router/i.test(JSON.stringify(obj(b.generationConfig)) + view.system)) {
      // Gemini CLI's model router (only without -m): a valid classification.
      rec.status = 200;
      rec.usage = usageFor(rec.protocol, ++this.served);
      geminiReply(res, gemModel, JSON.stringify({ complexity_reasoning: 'fake: simple task', complexity_score: 10 }), false, rec.usage);
      return;
    }

    const action = this.script(view, rec);
    rec.action = action;
    if (action.kind === 'http') {
      rec.status = action.status;
      errorReply(res, rec.protocol, action.status, action.message, action.retryAfterS);
      return;
    }
    const callFor = (a: FakeAction & { kind: 'write' | 'shell' }) =>
      a.kind === 'write' ? toolCallFor(a, view, this.opts.writeRoots ?? [realTmp()]) : shellCallFor(a.command, view);
    let out: ToolCall | string = action.kind === 'text' ? action.text : callFor(action);
    // A write the CLI offers no tool for (a restricted reviewer) or that is refused here is skipped:
    // the model says so and goes on with the script's next step.
    const skipped: string[] = [];
    for (let step = view.toolResultsSincePrompt + 1; typeof out === 'string' && action.kind !== 'text' && skipped.length < 20; step++) {
      skipped.push(out);
      const next = this.script({ ...view, toolResultsSincePrompt: step }, rec);
      if (next.kind === 'http') {
        rec.status = next.status;
        errorReply(res, rec.protocol, next.status, next.message, next.retryAfterS);
        return;
      }
      out = next.kind === 'text' ? `${skipped.join('\n')}\n${next.text}` : callFor(next);
      if (next.kind === 'text') break;
    }
    rec.status = 200;
    const model = parsed.model || gemModel || 'fake-model';
    const u = (rec.usage = usageFor(rec.protocol, ++this.served));
    if (rec.protocol === 'anthropic') anthropicReply(res, model, out, stream, u);
    else if (rec.protocol === 'responses') responsesReply(res, model, out, stream, u);
    else if (rec.protocol === 'chat') chatReply(res, model, out, stream, u);
    else geminiReply(res, model, out, stream, u);
  }
}

/** Start a server (tests: `const s = await startFakeModelServer(); after(() => s.stop())`). */
export async function startFakeModelServer(opts: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  return new FakeModelServer(opts).start();
}
