// The keyboard's line cursor in a file's diff (issue 15: line comments without the mouse). Each
// rendered diff is one tab stop: the line that has tabindex=0 (its first line, later the one the
// cursor left on). Inside it ↓/j and ↑/k move to the next/previous line, Home/End to the first and
// last, and C or Enter opens the comment box on that line — what a click does. Only the cursor
// line carries attributes (tabindex, role, aria-label), so a 5,000-line diff stays as light as
// diffView.ts built it.

/** Diff lines a comment can name (diffView.ts lineRef): a side and a line number. */
const LINE = '.ln[data-line]';

function kindWord(row: HTMLElement): string {
  return row.classList.contains('ins') ? 'added' : row.classList.contains('del') ? 'removed' : 'unchanged';
}

function describe(row: HTMLElement, path: string | null | undefined): string {
  const n = row.getAttribute('data-line');
  const side = row.getAttribute('data-side') === 'old' ? 'old line' : 'line';
  return `${path ?? ''} ${side} ${n}, ${kindWord(row)}: ${(row.textContent ?? '').slice(1)}`.trim();
}

/** Makes `row` the tab stop of its diff, with its accessible name; the previous stop is cleared. */
function makeStop(row: HTMLElement, path: string | null | undefined): void {
  const diff = row.closest('.diff');
  for (const old of diff?.querySelectorAll('[tabindex="0"]') ?? []) {
    if (old === row) continue;
    old.removeAttribute('tabindex');
    old.removeAttribute('role');
    old.removeAttribute('aria-label');
    old.removeAttribute('aria-keyshortcuts');
  }
  row.tabIndex = 0;
  row.setAttribute('role', 'button');
  row.setAttribute('aria-label', `${describe(row, path)}. C or Enter: comment on this line.`);
  row.setAttribute('aria-keyshortcuts', 'C Enter ArrowDown ArrowUp J K');
}

/** The first line of a freshly rendered diff becomes its tab stop. */
export function tabStop(diff: HTMLElement, path: string): void {
  const first = diff.querySelector(LINE) as HTMLElement | null;
  if (first) makeStop(first, path);
}

/** Moves the cursor (and the keyboard focus) to `row`. */
export function moveCursor(row: HTMLElement): void {
  makeStop(row, row.closest('section.file')?.getAttribute('data-path'));
  row.focus();
  row.scrollIntoView?.({ block: 'nearest' });
}

/** The same line on screen twice (a context line in both columns of side by side) counts once. */
function sameLine(a: HTMLElement, b: HTMLElement): boolean {
  return a.getAttribute('data-side') === b.getAttribute('data-side') && a.getAttribute('data-line') === b.getAttribute('data-line');
}

/**
 * Handles a key on a diff line: moves the cursor, or hands the line to `comment` (C, Enter; not
 * given when the diff cannot be commented on). Returns the line when the key was used.
 */
export function lineKey(ev: KeyboardEvent, comment: ((row: HTMLElement) => void) | undefined): HTMLElement | undefined {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return undefined;
  const row = (ev.target as HTMLElement | null)?.closest?.(LINE) as HTMLElement | null;
  const diff = row?.closest('.diff');
  if (!row || !diff || ev.target !== row) return undefined;
  const key = ev.key;
  if (key === 'Enter' || key === 'c' || key === 'C') {
    if (!comment) return undefined;
    comment(row);
    return row;
  }
  const rows = [...diff.querySelectorAll(LINE)] as HTMLElement[];
  const at = rows.indexOf(row);
  let to: HTMLElement | undefined;
  if (key === 'ArrowDown' || key === 'j') {
    for (let i = at + 1; i < rows.length && !to; i++) if (!sameLine(rows[i], row)) to = rows[i];
  } else if (key === 'ArrowUp' || key === 'k') {
    for (let i = at - 1; i >= 0 && !to; i--) if (!sameLine(rows[i], row)) to = rows[i];
  } else if (key === 'Home') to = rows[0];
  else if (key === 'End') to = rows[rows.length - 1];
  else return undefined;
  if (to && to !== row) moveCursor(to);
  return row;
}
