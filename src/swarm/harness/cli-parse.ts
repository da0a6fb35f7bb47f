// Pure helpers shared by the agent-CLI output parsers (claude-parse.ts, codex-parse.ts,
// opencode-parse.ts, gemini-parse.ts): JSON lines, failure classes from error text and status
// codes, and "when may we try again" from whatever the CLI or the provider said. No I/O here.

import type { AgentFailure, AgentUsage } from './types';

/** What a CLI's structured output said about one turn. */
export interface ParsedTurn {
  /** The final reply text ('' when the CLI gave none). */
  reply: string;
  sessionId?: string;
  usage?: AgentUsage;
  /** A failure the CLI reported in its structured output (rate limit, auth, API error, ...). */
  failure?: AgentFailure;
  /** True once the CLI's own "turn finished" record was seen (result / turn.completed / ...). */
  completed: boolean;
  /** Non-fatal error or warning messages the CLI emitted (retries, tool failures), newest last, capped. */
  notes: string[];
  /** Events that were not JSON (banner lines and the like), counted. */
  nonJsonLines: number;
}

/** Streaming parser of one CLI's stdout: feed it lines, then ask for the result. */
export interface TurnParser {
  push(line: string): void;
  result(): ParsedTurn;
}

export type Json = Record<string, unknown>;

export function asObj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
export function asStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function asNum(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** One JSON object per line; anything else (banners, blank lines) gives undefined. */
export function parseJsonLine(line: string): Json | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    return asObj(JSON.parse(t));
  } catch {
    return undefined;
  }
}

export const MAX_NOTES = 20;
/** Replies assembled from many deltas keep at most this much (the end: signals are on the last lines). */
export const MAX_REPLY_CHARS = 1_000_000;
export function capReply(s: string): string {
  return s.length > MAX_REPLY_CHARS ? s.slice(s.length - MAX_REPLY_CHARS) : s;
}
export function pushNote(notes: string[], note: string): void {
  const n = note.length > 500 ? `${note.slice(0, 497)}...` : note;
  if (notes[notes.length - 1] === n) return;
  notes.push(n);
  if (notes.length > MAX_NOTES) notes.shift();
}

export function addUsage(into: AgentUsage | undefined, add: AgentUsage): AgentUsage {
  const u: AgentUsage = { ...into };
  if (add.inputTokens !== undefined) u.inputTokens = (u.inputTokens ?? 0) + add.inputTokens;
  if (add.outputTokens !== undefined) u.outputTokens = (u.outputTokens ?? 0) + add.outputTokens;
  if (add.costUsd !== undefined) u.costUsd = (u.costUsd ?? 0) + add.costUsd;
  return u;
}

export function sumDefined(...xs: (number | undefined)[]): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? d.reduce((a, b) => a + b, 0) : undefined;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

function unitMs(u: string): number | undefined {
  const l = u.toLowerCase();
  return UNIT_MS[l] ?? UNIT_MS[l.replace(/s$/, '')];
}

/**
 * How long to wait, from a provider's or CLI's error text:
 * "try again in 1h 20m", "Please retry in 23.5s", "retry after 30 seconds", "resets in 2 hours",
 * "usage limit reached|1767225600" (epoch seconds, Claude), "reset at 2026-11-23T12:00:00Z".
 */
export function retryAfterFromText(text: string, now = Date.now()): number | undefined {
  const epoch = /limit reached\|(\d{10,13})\b/i.exec(text);
  if (epoch) {
    const n = Number(epoch[1]);
    const at = n < 1e12 ? n * 1000 : n;
    return Math.max(0, at - now);
  }
  const iso = /\b(?:reset|resets|try again|retry)\s+(?:at|after)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/i.exec(text);
  if (iso) {
    const at = Date.parse(iso[1]);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const clock = /\bresets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b/i.exec(text);
  if (clock) {
    // "resets 3pm (Europe/Berlin)": the next such wall-clock time here (the zone is not converted).
    let h = Number(clock[1]) % 12;
    if (clock[3].toLowerCase() === 'pm') h += 12;
    const d = new Date(now);
    d.setHours(h, Number(clock[2] ?? 0), 0, 0);
    if (d.getTime() <= now) d.setDate(d.getDate() + 1);
    return d.getTime() - now;
  }
  const day = /\bresets?\s+(?:on\s+)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})\b/i.exec(text);
  if (day) {
    const year = new Date(now).getFullYear();
    let at = Date.parse(`${day[1]} ${day[2]} ${year} 00:00:00`);
    if (Number.isFinite(at) && at <= now) at = Date.parse(`${day[1]} ${day[2]} ${year + 1} 00:00:00`);
    if (Number.isFinite(at)) return at - now;
  }
  const m =
    /\b(?:try again|retry|retrying|wait|resets?|available again)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b[\s,]*(?:and\s+)?)+)/i.exec(
      text,
    );
  if (!m) return undefined;
  let total = 0;
  for (const part of m[1].matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) {
    const f = unitMs(part[2]);
    if (f === undefined) return undefined;
    total += Number(part[1]) * f;
  }
  return total > 0 ? Math.round(total) : undefined;
}

/** From HTTP response headers (retry-after seconds or date, retry-after-ms, x-ratelimit-reset-*). */
export function retryAfterFromHeaders(headers: Json | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string' || typeof v === 'number') h[k.toLowerCase()] = String(v);
  if (h['retry-after-ms'] && Number.isFinite(Number(h['retry-after-ms']))) return Math.max(0, Number(h['retry-after-ms']));
  const ra = h['retry-after'];
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  for (const k of ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-unified-reset']) {
    if (!h[k]) continue;
    const v = h[k];
    const at = /^\d{10}$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  for (const k of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    if (!h[k]) continue;
    const ms = retryAfterFromText(`retry after ${h[k].replace(/(\d)([a-z]+)/gi, '$1 $2 ')}`, now);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

const AUTH_RE =
  /\b(?:401|403)\b|unauthori[sz]ed|authentication[_ ]error|invalid[ _-]?(?:x-)?api[ _-]?key|api key not valid|incorrect api key|API_KEY_INVALID|not logged in|please (?:run )?\/?login|log ?in (?:again|required)|invalid (?:bearer|access) token|token (?:has )?expired|oauth token|credit balance is too low|invalid auth method|no auth(?:entication)? (?:method|credentials)|missing api key|api key (?:is )?(?:missing|required)|missing environment variable: `?[A-Z0-9_]*(?:KEY|TOKEN)[A-Z0-9_]*|must specify the [A-Z0-9_]*(?:KEY|TOKEN)|PERMISSION_DENIED|UNAUTHENTICATED/i;
const RATE_RE =
  /\b429\b|rate[ _-]?limit|too many requests|usage limit|(?:rate|session|weekly|daily|monthly|spend|credit|\d+-hour) limit reached|quota|RESOURCE_EXHAUSTED|overloaded|\b529\b|insufficient_quota|hit your (?:usage )?limit|capacity/i;

/** Failure kind from an HTTP status code, when it decides. */
export function kindFromStatus(status: number | undefined): 'auth' | 'rate_limit' | undefined {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || status === 529) return 'rate_limit';
  return undefined;
}

/** Failure kind from free error text; undefined when it looks like neither an auth nor a limit problem. */
export function kindFromText(text: string): 'auth' | 'rate_limit' | undefined {
  if (!text) return undefined;
  const rate = RATE_RE.test(text);
  const auth = AUTH_RE.test(text);
  if (rate && auth) {
    // Both mentioned: the explicit status code decides, else the rate limit (it resets by itself).
    if (/\b429\b/.test(text)) return 'rate_limit';
    if (/\b401\b|\b403\b/.test(text)) return 'auth';
    return 'rate_limit';
  }
  return rate ? 'rate_limit' : auth ? 'auth' : undefined;
}

/** A failure from a message (and optionally a status code and headers). Unknown → crash. */
export function failureFrom(program: string, message: string, status?: number, headers?: Json, now = Date.now()): AgentFailure {
  const kind = kindFromStatus(status) ?? kindFromText(message) ?? 'crash';
  const msg = oneLine(message, 400);
  if (kind === 'rate_limit') {
    const retryAfterMs = retryAfterFromHeaders(headers, now) ?? retryAfterFromText(message, now);
    // A zero wait ("retry-after: 0") after the CLI's own retries is no advice: leave it to the pool's back-off.
    return { kind, message: `${program} hit a rate or usage limit: ${msg}`, ...(retryAfterMs !== undefined && retryAfterMs > 0 ? { retryAfterMs } : {}) };
  }
  if (kind === 'auth') return { kind, message: `${program} is not logged in or its API key was refused: ${msg}` };
  return { kind, message: `${program} failed: ${msg}` };
}

export function oneLine(s: string, max = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

/** Remove terminal colour codes. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '');
}

const STDERR_NOISE =
  /^(warning: 256-color|yolo mode is enabled|ripgrep is not available|\[startup\]|npm warn|WARNING: proceeding, even though|stack backtrace:|\d+: <unknown>$|at (?:async )?\S+ \(|at file:|[{}]$|Reading (?:additional input|prompt) from stdin)/i;
const ERRORISH = /error|fail|denied|invalid|not found|refused|unauthori|forbidden|limit|quota|exhausted|429|401|403|cannot|could not|unable/i;

/** The last lines of stderr that look like errors (skipping known noise and stack frames), for messages. */
export function stderrGist(stderr: string, maxLines = 3): string {
  const lines = stripAnsi(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !STDERR_NOISE.test(l));
  const errs = lines.filter((l) => ERRORISH.test(l));
  return (errs.length ? errs : lines).slice(-maxLines).join(' | ');
}

/** A wait the CLI printed on stderr (Gemini's "retryDelayMs: 1234", or retry text). */
export function retryAfterFromStderr(stderr: string, now = Date.now()): number | undefined {
  const m = /retryDelayMs:\s*(\d+)/.exec(stderr);
  if (m) return Number(m[1]);
  return retryAfterFromText(stripAnsi(stderr).slice(-8000), now);
}

/** JSON objects printed on stderr (Gemini's -o json errors, for instance). */
export function jsonObjectsIn(text: string): Json[] {
  const out: Json[] = [];
  for (const line of text.split('\n')) {
    const o = parseJsonLine(line);
    if (o) out.push(o);
  }
  return out;
}

/**
 * One line of a CLI's JSONL event stream: the event, or undefined for a line that is not JSON
 * (counted). `sessionKey` names the field that carries the CLI's session id, picked up on the way.
 */
export function readEvent(line: string, t: ParsedTurn, sessionKey?: string): Json | undefined {
  const ev = parseJsonLine(line);
  if (!ev) {
    if (line.trim()) t.nonJsonLines++;
    return undefined;
  }
  const sid = sessionKey ? asStr(ev[sessionKey]) : undefined;
  if (sid) t.sessionId = sid;
  return ev;
}

export function emptyTurn(): ParsedTurn {
  return { reply: '', completed: false, notes: [], nonJsonLines: 0 };
}

/** True when `dir` is not `base` and not inside it (both absolute). */
export function outsideDir(dir: string, base: string): boolean {
  const norm = (p: string) => p.replace(/\/+$/, '');
  const d = norm(dir);
  const b = norm(base);
  return d !== b && !d.startsWith(`${b}/`);
}
