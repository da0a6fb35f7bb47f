// OpenCode `run --format json` JSONL → reply, session, usage, failure. Verified against
// opencode 1.18.33 (test/agents/fixtures/opencode-*.jsonl). Every event carries sessionID:
//   {"type":"step_start",...}  {"type":"tool_use","part":{"tool","state":{"status","input","output"}}}
//   {"type":"text","part":{"text"}}  {"type":"step_finish","part":{"reason":"tool-calls"|"stop","tokens":{input,output,reasoning,cache:{read,write}},"cost"}}
//   {"type":"error","error":{"name":"APIError","data":{"message","statusCode":429,"isRetryable","responseHeaders",...}}}

import {
  addUsage,
  asNum,
  asObj,
  asStr,
  capReply,
  emptyTurn,
  failureFrom,
  pushNote,
  readEvent,
  sumDefined,
  type Json,
  type ParsedTurn,
  type TurnParser,
} from './cli-parse';
import type { AgentFailure } from './types';

export function opencodeErrorFailure(err: Json | undefined): AgentFailure {
  const name = asStr(err?.name) ?? 'Error';
  const data = asObj(err?.data);
  const message = asStr(data?.message) ?? asStr(err?.message) ?? name;
  const status = asNum(data?.statusCode);
  const headers = asObj(data?.responseHeaders);
  const body = asStr(data?.responseBody) ?? '';
  if (name === 'ProviderAuthError') return failureFrom('opencode', `${message}`, 401);
  const f = failureFrom('opencode', status ? `${message} (HTTP ${status})` : `${name}: ${message}`, status, headers);
  if (f.kind === 'crash' && body) return failureFrom('opencode', `${name}: ${message} ${body}`, status, headers);
  return f;
}

export class OpencodeJsonParser implements TurnParser {
  private t = emptyTurn();
  private stepText: string[] = [];
  private lastText = '';
  private errorEv?: Json;

  push(line: string): void {
    const ev = readEvent(line, this.t, 'sessionID');
    if (!ev) return;
    const part = asObj(ev.part);
    switch (ev.type) {
      case 'step_start':
        this.stepText = [];
        break;
      case 'text': {
        const text = asStr(part?.text);
        if (text) {
          this.stepText.push(text);
          this.lastText = text;
          if (this.stepText.length > 1000) this.stepText.splice(0, this.stepText.length - 1000);
        }
        break;
      }
      case 'tool_use': {
        const state = asObj(part?.state);
        if (state?.status === 'error') pushNote(this.t.notes, `tool ${asStr(part?.tool) ?? '?'} failed: ${asStr(state.error) ?? ''}`);
        break;
      }
      case 'step_finish': {
        const tok = asObj(part?.tokens);
        const cache = asObj(tok?.cache);
        const inputTokens = sumDefined(asNum(tok?.input), asNum(cache?.read), asNum(cache?.write));
        const outputTokens = sumDefined(asNum(tok?.output), asNum(tok?.reasoning));
        const costUsd = asNum(part?.cost);
        this.t.usage = addUsage(this.t.usage, {
          ...(inputTokens !== undefined ? { inputTokens } : {}),
          ...(outputTokens !== undefined ? { outputTokens } : {}),
          ...(costUsd !== undefined ? { costUsd } : {}),
        });
        if (part?.reason === 'stop' || part?.reason === 'end_turn' || part?.reason === 'length') this.t.completed = true;
        break;
      }
      case 'error':
        this.errorEv = asObj(ev.error) ?? { message: asStr(ev.message) ?? 'error' };
        break;
      default:
        break;
    }
  }

  result(): ParsedTurn {
    const t: ParsedTurn = { ...this.t, notes: [...this.t.notes] };
    t.reply = capReply(this.stepText.length ? this.stepText.join('\n') : this.lastText);
    if (this.errorEv) t.failure = opencodeErrorFailure(this.errorEv);
    return t;
  }
}

export function parseOpencodeOutput(stdout: string): ParsedTurn {
  const p = new OpencodeJsonParser();
  for (const line of stdout.split('\n')) p.push(line);
  return p.result();
}
