// Gemini CLI `-o stream-json` (or `-o json`) → reply, session, usage, failure. Verified against
// gemini 0.61.0 (test/agents/fixtures/gemini-*.jsonl):
//   {"type":"init","session_id","model"}  {"type":"message","role":"user"|"assistant","content","delta":true}
//   {"type":"tool_use","tool_name","tool_id","parameters"}  {"type":"tool_result","tool_id","status":"success"|"error"}
//   {"type":"error","severity","message"}
//   {"type":"result","status":"success"|"error","error"?:{"type","message"},"stats":{"total_tokens","input_tokens","output_tokens","cached","input",...}}
// `-o json` prints one {"session_id","response","stats"} object, and errors as
// {"session_id","error":{"type","message","code"}} on stderr. The exit code of an API error is
// its HTTP status modulo 256 (429 → 173); 41 is "auth method / credentials".

import {
  asNum,
  asObj,
  asStr,
  capReply,
  emptyTurn,
  failureFrom,
  jsonObjectsIn,
  pushNote,
  readEvent,
  sumDefined,
  type Json,
  type ParsedTurn,
  type TurnParser,
} from './cli-parse';
import type { AgentFailure } from './types';

/** Gemini's fatal exit codes (packages/core FatalError subclasses) and HTTP statuses mod 256. */
export const GEMINI_EXIT = { auth: 41, input: 42, sandbox: 44, config: 52, turnLimit: 53, tool: 54, cancelled: 130, rateLimit: 429 & 0xff } as const;

/**
 * Tokens from Gemini's stats. input_tokens is the prompt count with the cached tokens inside
 * ("cached" is a part of it); output_tokens is the candidates count WITHOUT the thinking tokens,
 * which are billed as output: those are only in total_tokens (= prompt + candidates + thoughts, plus
 * the rare tool-use prompt tokens of server-side tools), so output = total − input when total says more.
 */
function statsUsage(stats: Json | undefined): ParsedTurn['usage'] {
  if (!stats) return undefined;
  const withThoughts = (input: number | undefined, output: number | undefined, total: number | undefined, thoughts?: number) =>
    thoughts !== undefined && output !== undefined
      ? output + thoughts
      : total !== undefined && input !== undefined && output !== undefined && total - input > output
        ? total - input
        : output;
  let inputTokens = asNum(stats.input_tokens);
  let outputTokens = withThoughts(inputTokens, asNum(stats.output_tokens), asNum(stats.total_tokens));
  if (inputTokens === undefined && outputTokens === undefined) {
    // -o json: stats.models.<name>.tokens.{prompt,candidates,thoughts,total} (older) or {input_tokens,output_tokens,total_tokens}
    for (const m of Object.values(asObj(stats.models) ?? {})) {
      const mo = asObj(m);
      const tok = asObj(mo?.tokens) ?? mo;
      const inp = asNum(tok?.prompt) ?? asNum(tok?.input_tokens) ?? asNum(tok?.input);
      inputTokens = sumDefined(inputTokens, inp);
      outputTokens = sumDefined(
        outputTokens,
        withThoughts(inp, asNum(tok?.candidates) ?? asNum(tok?.output_tokens), asNum(tok?.total) ?? asNum(tok?.total_tokens), asNum(tok?.thoughts)),
      );
    }
  }
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  return { ...(inputTokens !== undefined ? { inputTokens } : {}), ...(outputTokens !== undefined ? { outputTokens } : {}) };
}

export function geminiErrorFailure(err: Json | undefined): AgentFailure {
  const message = asStr(err?.message) ?? 'error';
  const code = asNum(err?.code) ?? asNum(err?.status);
  if (code === GEMINI_EXIT.auth) return failureFrom('gemini', message, 401);
  return failureFrom('gemini', message, code);
}

export class GeminiStreamParser implements TurnParser {
  private t = emptyTurn();
  private text = '';
  private lastText = '';
  private resultEv?: Json;
  private jsonResponse?: string;

  push(line: string): void {
    const ev = readEvent(line, this.t, 'session_id');
    if (!ev) return;
    switch (ev.type) {
      case 'message':
        if (ev.role === 'assistant' && typeof ev.content === 'string') {
          this.text = capReply(ev.delta === true ? this.text + ev.content : ev.content);
          this.lastText = this.text;
        }
        break;
      case 'tool_use':
        this.text = '';
        break;
      case 'tool_result':
        if (ev.status === 'error') pushNote(this.t.notes, `tool ${asStr(ev.tool_id) ?? '?'} failed: ${asStr(asObj(ev.error)?.message) ?? ''}`);
        break;
      case 'error':
        pushNote(this.t.notes, `${asStr(ev.severity) ?? 'error'}: ${asStr(ev.message) ?? ''}`);
        break;
      case 'result':
        this.resultEv = ev;
        break;
      default:
        if (ev.type === undefined) {
          // -o json: one object with response / error
          if (typeof ev.response === 'string') {
            this.jsonResponse = ev.response;
            this.t.completed = true;
            this.t.usage = statsUsage(asObj(ev.stats));
          }
          if (asObj(ev.error)) this.t.failure = geminiErrorFailure(asObj(ev.error));
        }
        break;
    }
  }

  result(): ParsedTurn {
    const t: ParsedTurn = { ...this.t, notes: [...this.t.notes] };
    t.reply = this.jsonResponse ?? (this.text || this.lastText);
    const r = this.resultEv;
    if (r) {
      t.completed = true;
      t.usage = statsUsage(asObj(r.stats));
      if (r.status !== 'success') t.failure = geminiErrorFailure(asObj(r.error) ?? { message: `status ${String(r.status)}` });
    }
    return t;
  }
}

export function parseGeminiOutput(stdout: string): ParsedTurn {
  const p = new GeminiStreamParser();
  for (const line of stdout.split('\n')) p.push(line);
  return p.result();
}

/** A failure Gemini printed as JSON on stderr ({"error":{"message","code"}}), if any. */
export function geminiStderrFailure(stderr: string): AgentFailure | undefined {
  const objs = jsonObjectsIn(stderr).filter((o) => asObj(o.error));
  const last = objs[objs.length - 1];
  return last ? geminiErrorFailure(asObj(last.error)) : undefined;
}
