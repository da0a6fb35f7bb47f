// Splits a `git diff` into one chunk per file and reads each chunk's header (paths, rename/copy,
// new/deleted, binary, +/- counts) without rendering anything. The host uses it to build the view
// model and to hold back large files until the page asks for them; the page renders each chunk's
// hunks with diff2html's parser.
//
// Paths are read from the header lines git writes one path per line on (`--- a/…`, `+++ b/…`,
// `rename from …`), with git's C-style quoting undone, because diff2html's name handling keeps
// the quotes and escapes of paths with spaces, tabs or non-ASCII bytes.

import type { FileChangeStatus, ReviewFileView } from './reviewViewModel';

export interface DiffFileChunk {
  /** The chunk's text, starting at its `diff --git` line (the whole input for a non-git diff). */
  text: string;
  lines: number;
}

/** What a file's diff header says: the same fields the panel's file view carries. */
export type DiffFileHeader = Pick<ReviewFileView, 'path' | 'oldPath' | 'status' | 'binary' | 'added' | 'removed'>;

/** Lines of a text, counting a last line without a newline; 0 for the empty string. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/**
 * One chunk per `diff --git` header. Hunk content lines always start with ' ', '+', '-' or '\',
 * so a line that starts with "diff --git " is always a header, never file content.
 */
export function splitDiffFiles(diff: string): DiffFileChunk[] {
  if (diff.trim().length === 0) return [];
  const starts: number[] = [];
  if (diff.startsWith('diff --git ')) starts.push(0);
  for (let i = diff.indexOf('\ndiff --git '); i !== -1; i = diff.indexOf('\ndiff --git ', i + 1)) starts.push(i + 1);
  if (starts.length === 0) return [{ text: diff, lines: countLines(diff) }];
  const chunks: DiffFileChunk[] = [];
  // Anything before the first header (e.g. a `git show` preamble) is not a file; drop it.
  for (let k = 0; k < starts.length; k++) {
    const text = diff.slice(starts[k], k + 1 < starts.length ? starts[k + 1] : diff.length);
    chunks.push({ text, lines: countLines(text) });
  }
  return chunks;
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Undo git's path quoting ("a/\303\251t\303\251 \"x\".txt" → a/été "x".txt). Unquoted input is returned as is. */
export function unquoteGitPath(s: string): string {
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      for (const b of new TextEncoder().encode(ch)) bytes.push(b);
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else if (next in C_ESCAPES) {
      bytes.push(C_ESCAPES[next]);
      i += 1;
    } else {
      bytes.push(92);
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}

function stripPrefix(p: string, prefix: string): string {
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** The path of a `--- a/x` / `+++ b/x` line, or undefined for /dev/null. */
function markerPath(rest: string, prefix: 'a/' | 'b/'): string | undefined {
  // git appends a tab after names that contain spaces (so `patch` can find the end); drop it.
  const raw = rest.replace(/\t$/, '');
  if (raw === '/dev/null') return undefined;
  return stripPrefix(unquoteGitPath(raw), prefix);
}

/** `diff --git a/x b/x` when both sides are the same path (the only form that is unambiguous). */
function pathsFromGitLine(line: string): { a?: string; b?: string } {
  const rest = line.slice('diff --git '.length);
  const quoted = /^("(?:[^"\\]|\\.)*")\s+("(?:[^"\\]|\\.)*")$/.exec(rest);
  if (quoted) return { a: stripPrefix(unquoteGitPath(quoted[1]), 'a/'), b: stripPrefix(unquoteGitPath(quoted[2]), 'b/') };
  // "a/P b/P": the same P twice, so the split point is the middle.
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (rest[half] === ' ' && a.startsWith('a/') && b.startsWith('b/') && a.slice(2) === b.slice(2)) return { a: a.slice(2), b: b.slice(2) };
  }
  const simple = /^a\/(\S+) b\/(\S+)$/.exec(rest);
  return simple ? { a: simple[1], b: simple[2] } : {};
}

/** Reads one file chunk's header and counts its added/removed lines. */
export function readDiffFileHeader(chunk: string): DiffFileHeader {
  let oldPath: string | undefined;
  let newPath: string | undefined;
  let renameFrom: string | undefined;
  let renameTo: string | undefined;
  let copy = false;
  let isNew = false;
  let isDeleted = false;
  let binary = false;
  let modeChange = false;
  let sawMinus = false;
  let sawPlus = false;
  let gitLine: { a?: string; b?: string } = {};
  let added = 0;
  let removed = 0;
  let inHunks = false;

  let pos = 0;
  while (pos < chunk.length) {
    let end = chunk.indexOf('\n', pos);
    if (end === -1) end = chunk.length;
    let line = chunk.slice(pos, end);
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (inHunks) {
      const c = line.charCodeAt(0);
      if (c === 43 /* + */) added++;
      else if (c === 45 /* - */) removed++;
      continue;
    }
    if (line.startsWith('@@')) inHunks = true;
    else if (line.startsWith('diff --git ')) gitLine = pathsFromGitLine(line);
    else if (line.startsWith('--- ')) {
      sawMinus = true;
      oldPath = markerPath(line.slice(4), 'a/');
    } else if (line.startsWith('+++ ')) {
      sawPlus = true;
      newPath = markerPath(line.slice(4), 'b/');
    } else if (line.startsWith('rename from ')) renameFrom = unquoteGitPath(line.slice(12));
    else if (line.startsWith('rename to ')) renameTo = unquoteGitPath(line.slice(10));
    else if (line.startsWith('copy from ')) {
      copy = true;
      renameFrom = unquoteGitPath(line.slice(10));
    } else if (line.startsWith('copy to ')) {
      copy = true;
      renameTo = unquoteGitPath(line.slice(8));
    } else if (line.startsWith('new file mode ')) isNew = true;
    else if (line.startsWith('deleted file mode ')) isDeleted = true;
    else if (line.startsWith('old mode ') || line.startsWith('new mode ')) modeChange = true;
    else if (line.startsWith('Binary files ') || line === 'GIT binary patch') binary = true;
  }

  const before = renameFrom ?? (sawMinus ? oldPath : undefined) ?? gitLine.a;
  const after = renameTo ?? (sawPlus ? newPath : undefined) ?? gitLine.b;
  let status: FileChangeStatus;
  if (isNew || (sawMinus && oldPath === undefined)) status = 'added';
  else if (isDeleted || (sawPlus && newPath === undefined)) status = 'deleted';
  else if (renameFrom !== undefined && renameTo !== undefined) status = copy ? 'copied' : 'renamed';
  else if (modeChange && added === 0 && removed === 0 && !binary) status = 'mode';
  else status = 'modified';

  const path = (status === 'deleted' ? before : after) ?? after ?? before ?? '(unknown path)';
  const header: DiffFileHeader = { path, status, binary, added, removed };
  if ((status === 'renamed' || status === 'copied') && before !== undefined && before !== path) header.oldPath = before;
  return header;
}
