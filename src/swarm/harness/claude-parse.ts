// Claude Code `-p --output-format stream-json --verbose` (or `json`) → reply, session, usage,
// failure. Verified against claude 2.1.330 (test/agents/fixtures/claude-*.jsonl):
//   {"type":"system","subtype":"init","session_id",...}
//   {"type":"system","subtype":"api_retry","attempt","max_retries","retry_delay_ms","error_status":429,"error":"rate_limit"}
//   {"type":"assistant","message":{content:[...]},"error"?:"rate_limit"}   {"type":"user",...}
//   {"type":"result","subtype":"success","is_error":false,"result":"...","session_id","usage",
//    "total_cost_usd","terminal_reason","api_error_status"?,"api_error_type"?}
// On a 429 the result still says subtype "success": is_error / api_error_status decide.

import type { AgentFailure } from './types';
import { asNum, asObj, asStr, emptyTurn, failureFrom, pushNote, readEvent, sumDefined, type Json, type ParsedTurn, type TurnParser } from './cli-parse';

export function claudeUsage(usage: Json | undefined, cost: number | undefined): ParsedTurn['usage'] {
  const inputTokens = sumDefined(asNum(usage?.input_tokens), asNum(usage?.cache_creation_input_tokens), asNum(usage?.cache_read_input_tokens));
  const outputTokens = asNum(usage?.output_tokens);
  if (inputTokens === undefined && outputTokens === undefined && cost === undefined) return undefined;
  return {
    ...(inputTokens !== undefined ? { inputTokens } : {}),
    ...(outputTokens !== undefined ? { outputTokens } : {}),
    ...(cost !== undefined ? { costUsd: cost } : {}),
  };
}

function textOf(message: Json | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) => asObj(b))
    .filter((b): b is Json => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('');
}

export function claudeResultFailure(ev: Json): AgentFailure | undefined {
  const isError = ev.is_error === true || (asStr(ev.subtype) ?? '').startsWith('error');
  if (!isError) return undefined;
  const status = asNum(ev.api_error_status);
  const errType = asStr(ev.api_error_type) ?? '';
  const text = asStr(ev.result) ?? (Array.isArray(ev.errors) ? ev.errors.join('; ') : '') ?? '';
  const reason = asStr(ev.terminal_reason) ?? asStr(ev.subtype) ?? 'error';
  const msg = text || `${reason}${errType ? ` (${errType})` : ''}`;
  const st = status ?? (errType === 'rate_limit_error' ? 429 : errType === 'authentication_error' ? 401 : undefined);
  return failureFrom('claude', msg, st);
}

export class ClaudeStreamParser implements TurnParser {
  private t = emptyTurn();
  private lastAssistant = '';
  private resultEv?: Json;

  push(line: string): void {
    const ev = readEvent(line, this.t, 'session_id');
    if (!ev) return;
    switch (ev.type) {
      case 'system':
        if (ev.subtype === 'api_retry')
          pushNote(
            this.t.notes,
            `retry ${asNum(ev.attempt) ?? '?'}/${asNum(ev.max_retries) ?? '?'} after ${asNum(ev.error_status) ?? asStr(ev.error) ?? 'error'}`,
          );
        break;
      case 'assistant': {
        const msg = asObj(ev.message);
        const text = textOf(msg);
        if (text) this.lastAssistant = text;
        if (ev.error) pushNote(this.t.notes, `${String(ev.error)}: ${text}`);
        break;
      }
      case 'result':
        this.resultEv = ev;
        break;
      default:
        break;
    }
  }

  result(): ParsedTurn {
    const t: ParsedTurn = { ...this.t, notes: [...this.t.notes] };
    const r = this.resultEv;
    if (!r) {
      t.reply = this.lastAssistant;
      return t;
    }
    t.completed = true;
    t.usage = claudeUsage(asObj(r.usage), asNum(r.total_cost_usd));
    t.failure = claudeResultFailure(r);
    t.reply = asStr(r.result) ?? this.lastAssistant;
    return t;
  }
}

/** Parse a whole stdout at once (tests, `--output-format json`). */
export function parseClaudeOutput(stdout: string): ParsedTurn {
  const p = new ClaudeStreamParser();
  for (const line of stdout.split('\n')) p.push(line);
  return p.result();
}
