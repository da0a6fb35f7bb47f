// Line comments of the review panel: the user comments on lines of the diff, and Request changes
// sends them to the agent as structured feedback — file, line, the line's text, the comment.
//
// They travel inside the decision's text (formatted here, on the host), so they take the one path
// every human decision takes: signed decision files, the sealed review round, and the fix round's
// prompt (`accumulatedFeedback` in src/swarm/flow.ts) — no second channel to keep in step with
// docs/security.md. The panel reads them back from the round (parseLineComments) to show, in the
// next round, which commented lines the fix changed (commentedLineChanged, on the interdiff).

import { readDiffFileHeader, splitDiffFiles } from './diffFiles';

export interface LineComment {
  /** File path in the diff the comment was made on (the path after the change). */
  path: string;
  /** Line number: in the commit on screen (`new`), or in the base for a removed line (`old`). */
  line: number;
  side: 'new' | 'old';
  /** The line's text as shown (without the +/- sign). */
  lineText: string;
  /** The user's comment. */
  body: string;
}

export const LINE_COMMENT_LIMITS = { comments: 200, lineText: 1_000, body: 5_000 } as const;

/** The heading that starts the structured block in a decision's text. */
export const LINE_COMMENTS_HEADING = '## Line comments (file, line, the line as shown, comment)';

/** A code span that holds any text: a backtick run longer than any inside it (CommonMark). */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function oneLine(text: string, max: number): string {
  const t = text.replace(/[\r\n]+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The block appended to the decision's text: readable for the agent, parseable for the panel. */
export function formatLineComments(comments: readonly LineComment[]): string {
  if (comments.length === 0) return '';
  const items = comments.map((c, i) => {
    const where = c.side === 'old' ? `removed line ${c.line} (base)` : `line ${c.line}`;
    const body = c.body
      .trim()
      .split(/\r?\n/)
      .map((l) => (l ? `   ${l}` : ''))
      .join('\n');
    return `${i + 1}. ${codeSpan(oneLine(c.path, 4_096))} ${where}:\n   > ${codeSpan(oneLine(c.lineText, LINE_COMMENT_LIMITS.lineText))}\n\n${body}`;
  });
  return `${LINE_COMMENTS_HEADING}\n\n${items.join('\n\n')}`;
}

/** The decision text with the comments appended (what the engine records and the agent reads). */
export function decisionTextWithComments(text: string | undefined, comments: readonly LineComment[]): string | undefined {
  const block = formatLineComments(comments);
  const t = text?.trim() ?? '';
  if (!block) return t || undefined;
  return t ? `${t}\n\n${block}` : block;
}

function unspan(s: string): string | undefined {
  const m = /^(`+)(.*)\1$/s.exec(s);
  if (!m) return undefined;
  const inner = m[2];
  return inner.length >= 2 && inner.startsWith(' ') && inner.endsWith(' ') ? inner.slice(1, -1) : inner;
}

/** The comments in a decision's text (empty when it has none). Display only: never trusted. */
export function parseLineComments(text: string | undefined): LineComment[] {
  if (!text) return [];
  const at = text.indexOf(LINE_COMMENTS_HEADING);
  if (at < 0) return [];
  const lines = text.slice(at + LINE_COMMENTS_HEADING.length).split(/\r?\n/);
  const out: LineComment[] = [];
  let cur: LineComment | undefined;
  const head = /^\d+\. (`+.*`+) (removed line (\d+) \(base\)|line (\d+)):$/;
  for (const l of lines) {
    const h = head.exec(l);
    if (h) {
      const path = unspan(h[1]);
      if (cur) out.push(cur);
      cur = path === undefined ? undefined : { path, line: Number(h[3] ?? h[4]), side: h[3] ? 'old' : 'new', lineText: '', body: '' };
      continue;
    }
    if (!cur) continue;
    if (l.startsWith('   > ') && !cur.lineText && !cur.body) {
      cur.lineText = unspan(l.slice(5)) ?? l.slice(5);
      continue;
    }
    cur.body += `${cur.body ? '\n' : ''}${l.startsWith('   ') ? l.slice(3) : l}`;
  }
  if (cur) out.push(cur);
  for (const c of out) c.body = c.body.trim();
  return out.slice(0, LINE_COMMENT_LIMITS.comments);
}

/**
 * Did the change from the commented commit to the one on screen (the interdiff) touch the
 * commented line? `new`-side lines are lines of the commented commit, i.e. the old side of the
 * interdiff: changed when a hunk deletes or replaces that line number, or the file was deleted or
 * renamed away. Removed lines (`old` side) lie in the base, which a fix does not change: null.
 */
export function commentedLineChanged(interdiff: string, c: LineComment): boolean | null {
  if (c.side === 'old') return null;
  for (const chunk of splitDiffFiles(interdiff)) {
    const h = readDiffFileHeader(chunk.text);
    const before = h.oldPath ?? h.path;
    if (before !== c.path) continue;
    if (h.status === 'deleted' || (h.status === 'renamed' && h.path !== c.path)) return true;
    let oldLine = 0;
    for (const l of chunk.text.split('\n')) {
      const hunk = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(l);
      if (hunk) {
        oldLine = Number(hunk[1]);
        continue;
      }
      if (oldLine === 0) continue;
      if (l.startsWith('-')) {
        if (oldLine === c.line) return true;
        oldLine++;
      } else if (l.startsWith(' ')) oldLine++;
    }
    return false;
  }
  return false;
}
