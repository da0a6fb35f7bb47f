// One file's diff as DOM: diff2html's parser gives hunks and line numbers; the rows are built with
// createElement and textContent only. diff2html's own renderer returns an HTML string (it escapes
// the content, but the page's rule is that text from agents never passes through an HTML parser),
// so this module renders the parsed model itself: unified or side by side, with the changed part
// of paired lines marked.
//
// Each row is one element plus its text; line numbers live in a data attribute shown by CSS
// (`::before { content: attr(data-ln) }`), which keeps a 5,000-line file at ~10k nodes and keeps
// numbers out of copied text. Rows are grouped in chunks of CHUNK_ROWS that the stylesheet marks
// `content-visibility: auto`, so the browser lays out and paints only the chunks on screen and a
// long file is usable as soon as its first screen is.

import { parse } from 'diff2html/lib/diff-parser.js';
import type { DiffBlock, DiffLine } from 'diff2html/lib/types.js';
import type { DiffLayout } from '../shared/reviewProtocol';

/** Lines longer than this are not word-compared (cost, and a minified line is unreadable anyway). */
const INTRA_LINE_LIMIT = 1_000;
/** Rows per `content-visibility: auto` chunk. */
export const CHUNK_ROWS = 200;

function pad(n: number | undefined, width: number): string {
  const s = n === undefined ? '' : String(n);
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

function kind(line: DiffLine): 'ins' | 'del' | 'ctx' {
  return line.type === 'insert' ? 'ins' : line.type === 'delete' ? 'del' : 'ctx';
}

/** Common prefix and suffix lengths of two lines, ignoring the +/- sign in column 0. */
function changedRange(a: string, b: string): { start: number; endA: number; endB: number } | undefined {
  if (a.length > INTRA_LINE_LIMIT || b.length > INTRA_LINE_LIMIT) return undefined;
  let start = 1;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  // Nothing in common besides the sign: marking the whole line adds nothing.
  if (start === 1 && endA === a.length && endB === b.length) return undefined;
  return { start, endA, endB };
}

function fillText(doc: Document, el: HTMLElement, text: string, mark?: { start: number; end: number }): void {
  if (!mark || mark.end <= mark.start) {
    el.textContent = text;
    return;
  }
  const m = doc.createElement('mark');
  m.textContent = text.slice(mark.start, mark.end);
  el.append(text.slice(0, mark.start), m, text.slice(mark.end));
}

interface Row {
  del?: DiffLine;
  ins?: DiffLine;
  ctx?: DiffLine;
}

/**
 * Groups a hunk into rows: context lines alone, and each run of deletions followed by insertions
 * paired line by line (the pairing a side-by-side view shows and intra-line marks compare).
 */
function rows(block: DiffBlock): Row[] {
  const out: Row[] = [];
  const lines = block.lines;
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.type === 'context') {
      out.push({ ctx: l });
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const inss: DiffLine[] = [];
    while (i < lines.length && lines[i].type === 'delete') dels.push(lines[i++]);
    while (i < lines.length && lines[i].type === 'insert') inss.push(lines[i++]);
    const n = Math.max(dels.length, inss.length);
    for (let k = 0; k < n; k++) out.push({ del: dels[k], ins: inss[k] });
  }
  return out;
}

function numberWidth(blocks: DiffBlock[]): number {
  let max = 0;
  for (const b of blocks) {
    const last = b.lines[b.lines.length - 1];
    if (last) max = Math.max(max, last.oldNumber ?? 0, last.newNumber ?? 0, b.oldStartLine + b.lines.length, b.newStartLine + b.lines.length);
  }
  return Math.max(3, String(max).length);
}

/**
 * Which line a row is, for line comments: `data-side` new (a line of the commit on screen) or old
 * (a removed line, numbered in the base) and `data-line`.
 */
function lineRef(el: HTMLElement, line: DiffLine, side: 'new' | 'old'): void {
  const n = side === 'old' ? line.oldNumber : line.newNumber;
  if (n === undefined) return;
  el.setAttribute('data-side', side);
  el.setAttribute('data-line', String(n));
}

function unifiedLine(doc: Document, line: DiffLine, w: number, mark?: { start: number; end: number }): HTMLElement {
  const el = doc.createElement('div');
  el.setAttribute('class', `ln ${kind(line)}`);
  el.setAttribute('data-ln', `${pad(line.oldNumber, w)} ${pad(line.newNumber, w)} `);
  lineRef(el, line, line.type === 'delete' ? 'old' : 'new');
  fillText(doc, el, line.content, mark);
  return el;
}

function splitCell(doc: Document, line: DiffLine | undefined, w: number, mark?: { start: number; end: number }, side?: 'old' | 'new'): HTMLElement {
  const el = doc.createElement('div');
  if (!line) {
    el.setAttribute('class', 'ln empty');
    el.setAttribute('data-ln', `${pad(undefined, w)} `);
    return el;
  }
  el.setAttribute('class', `ln ${kind(line)}`);
  el.setAttribute('data-ln', `${pad(side === 'old' ? line.oldNumber : line.newNumber, w)} `);
  // A context line is the same line on both sides: a comment on it is on the commit's line.
  lineRef(el, line, line.type === 'delete' ? 'old' : 'new');
  fillText(doc, el, line.content, mark);
  return el;
}

export interface RenderedDiff {
  element: HTMLElement;
  /** Rows rendered (for tests and the benchmark). */
  lines: number;
}

/** The changed part of each paired deletion/insertion, for the intra-line mark. */
function lineMarks(pairs: Row[]): Map<DiffLine, { start: number; end: number }> {
  const marks = new Map<DiffLine, { start: number; end: number }>();
  for (const row of pairs) {
    if (!row.del || !row.ins) continue;
    const range = changedRange(row.del.content, row.ins.content);
    if (!range) continue;
    marks.set(row.del, { start: range.start, end: range.endA });
    marks.set(row.ins, { start: range.start, end: range.endB });
  }
  return marks;
}

/** Appends rows into chunks of CHUNK_ROWS (see the header comment). */
class ChunkWriter {
  private chunk: HTMLElement | undefined;
  private inChunk = 0;
  rows = 0;
  constructor(
    private readonly doc: Document,
    private readonly root: HTMLElement,
  ) {}
  add(el: HTMLElement): void {
    if (!this.chunk || this.inChunk >= CHUNK_ROWS) {
      this.chunk = this.doc.createElement('div');
      this.chunk.setAttribute('class', 'chunk');
      this.root.appendChild(this.chunk);
      this.inChunk = 0;
    }
    this.chunk.appendChild(el);
    this.inChunk++;
    if (!el.classList.contains('hunk')) this.rows++;
  }
}

/** Renders one file's unified-diff chunk. Binary, rename-only and mode-only chunks get a note. */
export function renderFileDiff(doc: Document, chunk: string, layout: DiffLayout): RenderedDiff {
  const root = doc.createElement('div');
  root.setAttribute('class', `diff diff-${layout}`);
  const blocks = parse(chunk).flatMap((f) => f.blocks);
  if (blocks.every((b) => b.lines.length === 0)) {
    const note = doc.createElement('div');
    note.className = 'diff-note';
    note.textContent = /^(Binary files |GIT binary patch)/m.test(chunk)
      ? 'Binary file: no text diff to show.'
      : 'No changes to the content (rename, copy or mode change only).';
    root.appendChild(note);
    return { element: root, lines: 0 };
  }
  const w = numberWidth(blocks);
  // Wrapped lines hang under the code, not under the numbers: the stylesheet indents by this.
  root.style.setProperty('--ln-ch', String(layout === 'unified' ? 2 * w + 2 : w + 1));
  // Built detached and attached once by the caller: one layout pass however long the file is.
  const out = new ChunkWriter(doc, root);
  for (const block of blocks) {
    const header = doc.createElement('div');
    header.setAttribute('class', 'hunk');
    header.textContent = block.header;
    out.add(header);
    const pairs = rows(block);
    const marks = lineMarks(pairs);
    if (layout === 'unified') {
      // File order: context, then each run's deletions, then its insertions.
      for (const line of block.lines) out.add(unifiedLine(doc, line, w, marks.get(line)));
      continue;
    }
    for (const row of pairs) {
      const r = doc.createElement('div');
      r.setAttribute('class', 'row');
      if (row.ctx) r.append(splitCell(doc, row.ctx, w, undefined, 'old'), splitCell(doc, row.ctx, w, undefined, 'new'));
      else r.append(splitCell(doc, row.del, w, row.del && marks.get(row.del), 'old'), splitCell(doc, row.ins, w, row.ins && marks.get(row.ins), 'new'));
      out.add(r);
    }
  }
  return { element: root, lines: out.rows };
}
