// An agent turn's log rendered for people: what the assistant says, the tools it calls (with the
// file names and commands), errors, and the end of the turn with its usage — not the raw JSON
// events. Understands the event streams of the four CLIs (Claude Code stream-json, Codex exec
// --json, Gemini CLI stream-json, OpenCode run --format json; the recorded streams are in
// test/agents/fixtures) and shows any other line (a `command` harness's stdout, stderr) as it is.
//
// Pure (no I/O, no vscode): the live terminal (src/extension/liveOutput.ts) feeds it chunks of the
// log file as they are written. Memory is bounded: a line longer than `maxLineBytes` is not kept,
// only said. Everything from the agent goes through terminalSafe (src/swarm/text.ts), so an agent
// cannot move the cursor, recolour, retitle the terminal or write the clipboard; the only escape
// sequences in the output are the renderer's own colours.

import { terminalSafe } from '../swarm/text';
import { formatUsage } from '../swarm/cost';

export type RenderedKind = 'text' | 'tool' | 'result' | 'error' | 'info' | 'plain';

export interface RenderedLine {
  kind: RenderedKind;
  text: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One line of text, cut to a readable length. */
function short(s: string, max = 200): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The interesting part of a tool's input: a file, a command, a pattern, a URL. */
function toolArgs(input: Json | undefined): string {
  if (!input) return '';
  const cmd = input.command ?? input.cmd;
  if (Array.isArray(cmd)) return `$ ${short(cmd.map(String).join(' '))}`;
  if (typeof cmd === 'string') return `$ ${short(cmd)}`;
  for (const k of ['file_path', 'filePath', 'path', 'absolute_path', 'notebook_path', 'pattern', 'query', 'url', 'description', 'prompt']) {
    const v = str(input[k]);
    if (v) return short(v, 160);
  }
  return '';
}

function tool(name: string, input: Json | undefined): RenderedLine {
  const args = toolArgs(input);
  return { kind: 'tool', text: `▸ ${name}${args ? ` ${args}` : ''}` };
}

function textLines(kind: RenderedKind, text: string): RenderedLine[] {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((t) => ({ kind, text: t }));
}

function usageInfo(prefix: string, u: { inputTokens?: number; outputTokens?: number; costUsd?: number }): RenderedLine {
  const words = formatUsage(u);
  return { kind: 'result', text: `${prefix}${words ? ` (${words})` : ''}` };
}

// --- one event per CLI -------------------------------------------------------------------------

function claude(ev: Json): RenderedLine[] | undefined {
  const type = str(ev.type);
  if (type === 'system') return str(ev.subtype) === 'init' ? [{ kind: 'info', text: `session started${str(ev.model) ? ` (${str(ev.model)})` : ''}` }] : [];
  if (type === 'assistant' || type === 'user') {
    const content = obj(ev.message)?.content;
    if (!Array.isArray(content)) return typeof content === 'string' && type === 'assistant' ? textLines('text', content) : [];
    const out: RenderedLine[] = [];
    for (const c of content) {
      const part = obj(c);
      if (!part) continue;
      if (part.type === 'text' && type === 'assistant') out.push(...textLines('text', str(part.text) ?? ''));
      else if (part.type === 'thinking') out.push(...textLines('info', short(str(part.thinking) ?? '', 400)));
      else if (part.type === 'tool_use') out.push(tool(str(part.name) ?? 'tool', obj(part.input)));
      else if (part.type === 'tool_result' && part.is_error === true) out.push({ kind: 'error', text: `  ✗ ${short(resultText(part.content))}` });
    }
    return out;
  }
  if (type === 'result' || (type === undefined && 'total_cost_usd' in ev && 'session_id' in ev)) {
    const failed = ev.is_error === true || str(ev.terminal_reason) === 'api_error' || (str(ev.subtype) ?? '').startsWith('error');
    const u = obj(ev.usage);
    const usage = {
      inputTokens: sum(num(u?.input_tokens), num(u?.cache_creation_input_tokens), num(u?.cache_read_input_tokens)),
      outputTokens: num(u?.output_tokens),
      costUsd: num(ev.total_cost_usd),
    };
    return failed ? [{ kind: 'error', text: `turn failed${str(ev.result) ? `: ${short(str(ev.result)!)}` : ''}` }] : [usageInfo('turn finished', usage)];
  }
  return undefined;
}

function resultText(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((x) => str(obj(x)?.text) ?? '').join(' ');
  return '';
}

function sum(...xs: (number | undefined)[]): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? d.reduce((a, b) => a + b, 0) : undefined;
}

function codex(ev: Json): RenderedLine[] | undefined {
  const type = str(ev.type);
  if (type === 'thread.started') return [{ kind: 'info', text: 'session started' }];
  if (type === 'turn.started') return [];
  if (type === 'turn.completed') {
    const u = obj(ev.usage);
    return [usageInfo('turn finished', { inputTokens: num(u?.input_tokens), outputTokens: num(u?.output_tokens) })];
  }
  if (type === 'turn.failed') return [{ kind: 'error', text: `turn failed: ${short(str(obj(ev.error)?.message) ?? '')}` }];
  if (type === 'error') return [{ kind: 'error', text: short(str(ev.message) ?? 'error') }];
  if (type === 'item.started' || type === 'item.updated' || type === 'item.completed') {
    const item = obj(ev.item);
    if (!item) return [];
    const it = str(item.type);
    const done = type === 'item.completed';
    if (it === 'agent_message') return done ? textLines('text', str(item.text) ?? '') : [];
    if (it === 'reasoning') return done ? [{ kind: 'info', text: short(str(item.text) ?? '', 400) }] : [];
    if (it === 'command_execution') {
      if (type === 'item.started') return [{ kind: 'tool', text: `▸ $ ${short(str(item.command) ?? '')}` }];
      if (!done) return [];
      const code = num(item.exit_code);
      return code !== undefined && code !== 0
        ? [{ kind: 'error', text: `  ✗ exit ${code}${str(item.aggregated_output) ? `: ${short(str(item.aggregated_output)!)}` : ''}` }]
        : [];
    }
    if (it === 'file_change') {
      if (!done) return [];
      const changes = Array.isArray(item.changes) ? item.changes.map(obj).filter((c): c is Json => !!c) : [];
      return changes.map((c) => ({ kind: 'tool' as const, text: `▸ ${str(c.kind) ?? 'edit'} ${short(str(c.path) ?? '', 160)}` }));
    }
    if (it === 'mcp_tool_call') return type === 'item.started' ? [{ kind: 'tool', text: `▸ ${str(item.server) ?? 'mcp'}.${str(item.tool) ?? 'tool'}` }] : [];
    if (it === 'web_search') return type === 'item.started' ? [{ kind: 'tool', text: `▸ web search ${short(str(item.query) ?? '')}` }] : [];
    if (it === 'todo_list') return [];
    if (it === 'error') return [{ kind: 'error', text: short(str(item.message) ?? 'error') }];
    return [];
  }
  return undefined;
}

function gemini(ev: Json): RenderedLine[] | undefined {
  const type = str(ev.type);
  if (type === 'init') return [{ kind: 'info', text: `session started${str(ev.model) ? ` (${str(ev.model)})` : ''}` }];
  if (type === 'message') {
    if (str(ev.role) !== 'assistant') return []; // the prompt, echoed
    const text = str(ev.content) ?? '';
    return ev.delta === true ? [{ kind: 'text', text: `\u0000delta${text}` }] : textLines('text', text);
  }
  if (type === 'tool_use') return [tool(str(ev.tool_name) ?? 'tool', obj(ev.parameters))];
  if (type === 'tool_result')
    return str(ev.status) === 'error' ? [{ kind: 'error', text: `  ✗ ${short(str(obj(ev.error)?.message) ?? str(ev.output) ?? 'failed')}` }] : [];
  if (type === 'error') return [{ kind: 'error', text: short(str(ev.message) ?? 'error') }];
  if (type === 'result') {
    if (str(ev.status) === 'error') return [{ kind: 'error', text: `turn failed: ${short(str(obj(ev.error)?.message) ?? '')}` }];
    const s = obj(ev.stats);
    return [usageInfo('turn finished', { inputTokens: num(s?.input_tokens), outputTokens: num(s?.output_tokens) })];
  }
  return undefined;
}

function opencode(ev: Json): RenderedLine[] | undefined {
  const type = str(ev.type);
  const part = obj(ev.part);
  if (type === 'step_start') return [];
  if (type === 'step_finish')
    return str(part?.reason) === 'stop'
      ? [usageInfo('turn finished', { inputTokens: num(obj(part?.tokens)?.input), outputTokens: num(obj(part?.tokens)?.output), costUsd: num(part?.cost) })]
      : [];
  if (type === 'text') return textLines('text', str(part?.text) ?? '');
  if (type === 'reasoning') return [{ kind: 'info', text: short(str(part?.text) ?? '', 400) }];
  if (type === 'tool_use') {
    const state = obj(part?.state);
    const out = [tool(str(part?.tool) ?? 'tool', obj(state?.input))];
    if (str(state?.status) === 'error') out.push({ kind: 'error', text: `  ✗ ${short(str(state?.error) ?? 'failed')}` });
    return out;
  }
  if (type === 'error') return [{ kind: 'error', text: short(str(obj(obj(ev.error)?.data)?.message) ?? str(obj(ev.error)?.name) ?? 'error') }];
  return undefined;
}

/** One line of a log: the event rendered, or the line itself when it is not an event we know. */
export function renderLogLine(line: string): RenderedLine[] {
  const t = line.trim();
  if (t.startsWith('{') && t.endsWith('}')) {
    let ev: Json | undefined;
    try {
      ev = obj(JSON.parse(t));
    } catch {
      ev = undefined;
    }
    if (ev) {
      // OpenCode events carry a sessionID and a part; Codex's types are dotted or bare; Gemini's
      // carry a timestamp string; Claude's the session_id.
      const r =
        ('part' in ev || 'sessionID' in ev ? opencode(ev) : undefined) ??
        (typeof ev.timestamp === 'string' ? gemini(ev) : undefined) ??
        ('session_id' in ev || ev.type === 'assistant' || ev.type === 'user' || ev.type === 'system' || ev.type === 'result' ? claude(ev) : undefined) ??
        codex(ev) ??
        gemini(ev);
      if (r) return r;
      return [{ kind: 'info', text: `· ${short(str(ev.type) ?? 'event', 60)}` }];
    }
  }
  return [{ kind: 'plain', text: line.replace(/\r$/, '') }];
}

// --- the stream ---------------------------------------------------------------------------------

const COLOR: Record<RenderedKind, [string, string]> = {
  text: ['', ''],
  plain: ['', ''],
  tool: ['\x1b[36m', '\x1b[0m'], // cyan
  result: ['\x1b[32m', '\x1b[0m'], // green
  error: ['\x1b[31m', '\x1b[0m'], // red
  info: ['\x1b[2m', '\x1b[0m'], // dim
};

export interface RenderOptions {
  /** A line longer than this is not kept in memory, only said (default 1 MiB). */
  maxLineBytes?: number;
  /** Colours (ANSI SGR) around tool calls, errors and notes. */
  color?: boolean;
}

/**
 * Chunks of a log in, terminal text out (lines end with \r\n, as a pseudoterminal wants). Holds at
 * most one unfinished line of at most `maxLineBytes`.
 */
export class AgentLogRenderer {
  private partial = '';
  private skipping = 0;
  private midDelta = false;
  private readonly maxLine: number;
  private readonly color: boolean;

  constructor(o: RenderOptions = {}) {
    this.maxLine = o.maxLineBytes ?? 1 << 20;
    this.color = o.color ?? true;
  }

  /** Render what is complete in `chunk`; an unfinished last line waits for the next chunk. */
  push(chunk: string): string {
    let out = '';
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.skipping) {
        out += this.skipped(this.skipping + piece.length);
        this.skipping = 0;
        this.partial = '';
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      out += this.line(line);
    }
    const rest = chunk.slice(start);
    if (this.skipping) this.skipping += rest.length;
    else if (this.partial.length + rest.length > this.maxLine) {
      this.skipping = this.partial.length + rest.length;
      this.partial = '';
    } else this.partial += rest;
    return out;
  }

  /** The end of the log: whatever is left of an unfinished line. */
  end(): string {
    let out = '';
    if (this.skipping) out += this.skipped(this.skipping);
    else if (this.partial) out += this.line(this.partial);
    this.partial = '';
    this.skipping = 0;
    if (this.midDelta) {
      out += '\r\n';
      this.midDelta = false;
    }
    return out;
  }

  /** A note from the viewer itself (a turn started or ended), in the same style. */
  note(text: string): string {
    return this.closeDelta() + this.paint({ kind: 'info', text });
  }

  private skipped(chars: number): string {
    return this.closeDelta() + this.paint({ kind: 'info', text: `… a line of ${chars} characters, not shown` });
  }

  private closeDelta(): string {
    if (!this.midDelta) return '';
    this.midDelta = false;
    return '\r\n';
  }

  private line(line: string): string {
    let out = '';
    for (const r of renderLogLine(line)) {
      if (r.kind === 'text' && r.text.startsWith('\u0000delta')) {
        // Streamed assistant text (Gemini deltas): written as it comes, one line until something else.
        const parts = r.text.slice(6).split('\n');
        out += parts.map((p) => terminalSafe(p)).join('\r\n');
        this.midDelta = !r.text.endsWith('\n');
        continue;
      }
      out += this.closeDelta() + this.paint(r);
    }
    return out;
  }

  private paint(r: RenderedLine): string {
    const safe = terminalSafe(r.text); // one line: control characters (ESC, \r, BEL, bidi) escaped
    const [on, off] = this.color ? COLOR[r.kind] : ['', ''];
    return `${on}${safe}${off}\r\n`;
  }
}

/** A whole log rendered at once (a finished turn; tests). */
export function renderLog(text: string, o: RenderOptions = {}): string {
  const r = new AgentLogRenderer(o);
  return r.push(text) + r.end();
}
