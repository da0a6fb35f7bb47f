// Codex `exec --json` JSONL → reply, session, usage, failure. Verified against codex 0.169.0
// (test/agents/fixtures/codex-*.jsonl):
//   {"type":"thread.started","thread_id"}  {"type":"turn.started"}
//   {"type":"item.started"|"item.updated"|"item.completed","item":{"type":"agent_message"|"file_change"|"command_execution"|"reasoning"|"error",...}}
//   {"type":"turn.completed","usage":{"input_tokens","cached_input_tokens","output_tokens",...}}
//   {"type":"error","message":"Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)"}
//   {"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}

import { addUsage, asNum, asObj, asStr, emptyTurn, failureFrom, pushNote, readEvent, type ParsedTurn, type TurnParser } from './cli-parse';

export class CodexJsonParser implements TurnParser {
  private t = emptyTurn();
  private lastMessage = '';
  private failedMessage?: string;
  private lastError?: string;

  push(line: string): void {
    const ev = readEvent(line, this.t);
    if (!ev) return;
    switch (ev.type) {
      case 'thread.started': {
        const id = asStr(ev.thread_id);
        if (id) this.t.sessionId = id;
        break;
      }
      case 'item.completed': {
        const item = asObj(ev.item);
        if (item?.type === 'agent_message' && typeof item.text === 'string') this.lastMessage = item.text;
        else if (item?.type === 'error' && typeof item.message === 'string') pushNote(this.t.notes, item.message);
        else if (item?.type === 'command_execution' && asNum(item.exit_code) && item.exit_code !== 0)
          pushNote(this.t.notes, `command failed (${String(item.exit_code)}): ${asStr(item.command) ?? ''}`);
        break;
      }
      case 'turn.completed': {
        const u = asObj(ev.usage);
        this.t.completed = true;
        this.t.usage = addUsage(this.t.usage, {
          ...(asNum(u?.input_tokens) !== undefined ? { inputTokens: asNum(u?.input_tokens) } : {}),
          ...(asNum(u?.output_tokens) !== undefined ? { outputTokens: asNum(u?.output_tokens) } : {}),
        });
        break;
      }
      case 'turn.failed':
        this.failedMessage = asStr(asObj(ev.error)?.message) ?? 'turn failed';
        break;
      case 'error': {
        const m = asStr(ev.message);
        if (m) {
          this.lastError = m;
          pushNote(this.t.notes, m);
        }
        break;
      }
      default:
        break;
    }
  }

  result(): ParsedTurn {
    const t: ParsedTurn = { ...this.t, notes: [...this.t.notes], reply: this.lastMessage };
    if (this.failedMessage !== undefined) {
      t.failure = failureFrom('codex', this.failedMessage);
      if (t.failure.kind === 'crash' && this.lastError && this.lastError !== this.failedMessage)
        t.failure = failureFrom('codex', `${this.failedMessage} (${this.lastError})`);
    }
    return t;
  }
}

export function parseCodexOutput(stdout: string): ParsedTurn {
  const p = new CodexJsonParser();
  for (const line of stdout.split('\n')) p.push(line);
  return p.result();
}
