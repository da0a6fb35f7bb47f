// The changed files: a toolbar (full diff / changes since the last reviewed round, unified / side
// by side, expand, collapse, refresh), then one disclosure per file with its diff. Large files
// load when opened. In the full diff, a click on a line opens a comment box under it; the line
// comments go with Request changes (src/shared/lineComments.ts). The keyboard does the same
// (lineCursor.ts): each diff is one tab stop, the arrow keys or j/k move a line cursor, C or Enter
// comments on its line, Escape closes the box.

import type { DiffLayout, DiffView } from '../../shared/reviewProtocol';
import type { ReviewFileView } from '../../shared/reviewViewModel';
import type { LineComment } from '../../shared/lineComments';
import { renderFileDiff } from '../diffView';
import { shortSha } from '../format';
import { effectiveLayout, type PageState } from '../state';
import type { Dom } from '../dom';
import { lineKey, moveCursor, tabStop } from './lineCursor';

export interface FilesActions {
  expand(paths: string[], open: boolean): void;
  layout(layout: DiffLayout): void;
  view(view: DiffView): void;
  loadFile(path: string): void;
  openNativeDiff(path: string): void;
  refresh(): void;
  addComment(c: LineComment): void;
  removeComment(index: number): void;
}

interface FileEntry {
  view: ReviewFileView;
  el: HTMLElement;
  toggle: HTMLElement;
  body: HTMLElement;
  open: boolean;
  /** The diff text, inline or loaded on expand. */
  diff?: string;
  loading: boolean;
  /** The layout the body was rendered in (undefined: not rendered yet). */
  renderedLayout?: DiffLayout;
}

const LETTER = { added: 'A', deleted: 'D', modified: 'M', renamed: 'R', copied: 'C', mode: 'M' } as const;

export class FilesView {
  readonly el: HTMLElement;
  private readonly headEl: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly noteEl: HTMLElement;
  private readonly viewButtons: Record<DiffView, HTMLElement>;
  private readonly layoutButtons: Record<DiffLayout, HTMLElement>;
  private files = new Map<string, FileEntry>();
  /** Identity of the rendered list: the file DOM is kept while it stays the same. */
  private key = '';
  private state: PageState | undefined;

  constructor(
    private readonly dom: Dom,
    private readonly actions: FilesActions,
  ) {
    this.el = dom.el('section', 'files');
    this.el.setAttribute('aria-label', 'Changes');
    this.headEl = dom.el('div', 'files-head');
    const toolbar = dom.el('div', 'toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Diff view');
    this.viewButtons = {
      full: dom.button('Full diff', 'diff-multiple', true, () => actions.view('full')),
      interdiff: dom.button('Since last review', 'history', true, () => actions.view('interdiff')),
    };
    this.layoutButtons = {
      unified: dom.button('Unified', 'list-flat', true, () => actions.layout('unified')),
      split: dom.button('Side by side', 'split-horizontal', true, () => actions.layout('split')),
    };
    toolbar.append(
      this.viewButtons.full,
      this.viewButtons.interdiff,
      this.layoutButtons.unified,
      this.layoutButtons.split,
      dom.button('Expand all', 'expand-all', true, () => this.setAllOpen(true)),
      dom.button('Collapse all', 'collapse-all', true, () => this.setAllOpen(false)),
      dom.button('Refresh', 'refresh', true, () => actions.refresh()),
    );
    this.noteEl = dom.el('p', 'muted view-note');
    this.listEl = dom.el('div', 'file-list');
    this.listEl.addEventListener('click', (ev) => this.onListClick(ev));
    this.listEl.addEventListener('keydown', (ev) => {
      const row = lineKey(ev, this.commentable() ? (r) => this.commentOn(r) : undefined);
      if (row) ev.preventDefault();
    });
    this.el.append(this.headEl, toolbar, this.noteEl, this.listEl);
  }

  private get viewName(): DiffView {
    return this.state?.ui.view === 'interdiff' && this.state.model?.interdiff ? 'interdiff' : 'full';
  }

  render(s: PageState): void {
    const prev = this.state;
    this.state = s;
    const m = s.model;
    if (!m) return;
    const view = this.viewName;
    const layout = effectiveLayout(s);
    for (const v of ['full', 'interdiff'] as const) {
      const b = this.viewButtons[v];
      b.hidden = !m.interdiff;
      b.setAttribute('aria-pressed', String(view === v));
      b.toggleAttribute('secondary', view !== v);
    }
    for (const l of ['unified', 'split'] as const) {
      const b = this.layoutButtons[l];
      b.setAttribute('aria-pressed', String(s.ui.layout === l));
      b.toggleAttribute('secondary', s.ui.layout !== l);
    }
    const notes: string[] = [];
    if (view === 'interdiff' && m.interdiff)
      notes.push(
        `What changed since round ${m.interdiff.fromRound} reviewed ${shortSha(m.interdiff.fromSha)}, up to ${shortSha(m.sha)} (includes anything merged in from the base).`,
      );
    if (s.ui.layout === 'split' && s.narrow) notes.push('Side by side needs a wider panel: shown unified.');
    if (view === 'full' && m.canDecide)
      notes.push('Click a line to comment on it (keyboard: Tab into the diff, ↑/↓ or j/k, then C or Enter); the comments go with Request changes.');
    this.noteEl.textContent = notes.join(' ');

    const files = view === 'interdiff' && m.interdiff ? m.interdiff.files : m.files;
    const added = view === 'interdiff' && m.interdiff ? m.interdiff.added : m.added;
    const removed = view === 'interdiff' && m.interdiff ? m.interdiff.removed : m.removed;
    const title = view === 'interdiff' ? 'Since the last review' : 'Changes';
    this.headEl.replaceChildren(
      this.dom.text('h2', files.length ? `${title}: ${files.length} file${files.length === 1 ? '' : 's'}, +${added} −${removed}` : title),
    );

    const key = `${view}\n${m.sha ?? ''}\n${files.map((f) => `${f.path}\t${f.lines}`).join('\n')}`;
    if (key !== this.key) {
      this.key = key;
      this.rebuild(files, m.collapseLines, view);
    } else {
      // Same commit and files: keep the DOM (open files, scroll); pick up diffs that came inline.
      for (const f of files) {
        const e = this.files.get(f.path);
        if (e && f.diff !== undefined && e.diff === undefined) {
          e.diff = f.diff;
          if (e.open) this.renderBody(e);
        }
      }
    }
    const layoutChanged = prev && effectiveLayout(prev) !== layout;
    const commentsChanged = prev?.ui.comments !== s.ui.comments;
    for (const e of this.files.values()) {
      if (e.open && layoutChanged) this.renderBody(e);
      else if (e.open && commentsChanged) this.placeComments(e);
    }
  }

  /** A large file's diff arrived (dropped when another commit is on screen). */
  onFileDiff(sha: string, path: string, diff: string): void {
    if (!this.state?.model || sha !== this.state.model.sha || this.viewName !== 'full') return;
    const e = this.files.get(path);
    if (!e) return;
    e.diff = diff;
    e.loading = false;
    e.renderedLayout = undefined;
    if (e.open) this.renderBody(e);
  }

  private rebuild(files: ReviewFileView[], collapseLines: number, view: DiffView): void {
    this.files.clear();
    const list = this.listEl;
    list.replaceChildren();
    const m = this.state!.model!;
    if (files.length === 0) {
      list.appendChild(
        this.dom.text(
          'p',
          view === 'interdiff' ? 'No changes since the last review.' : m.sha ? 'No changes against the base.' : 'Nothing to show until the worker commits.',
          'muted',
        ),
      );
      return;
    }
    for (const [i, f] of files.entries()) {
      const entry = this.fileEntry(f, collapseLines, i, view);
      this.files.set(f.path, entry);
      list.appendChild(entry.el);
      if (entry.open) this.renderBody(entry);
    }
  }

  /**
   * One file: a native disclosure button (path, counts, status) and "Open diff", then the body. Not
   * a vscode-collapsible: its heading is upper-cased by the component, and paths are
   * case-sensitive; a <button aria-expanded> is also keyboard- and screen-reader-ready as is.
   */
  private fileEntry(f: ReviewFileView, collapseLines: number, index: number, view: DiffView): FileEntry {
    const dom = this.dom;
    const el = dom.el('section', `file file-${f.status}`);
    el.setAttribute('data-path', f.path);
    const head = dom.el('div', 'file-head');
    const toggle = dom.doc.createElement('button');
    toggle.className = 'file-toggle';
    toggle.type = 'button';
    const bodyId = `file-body-${view}-${index}`;
    toggle.setAttribute('aria-controls', bodyId);
    const chevron = dom.icon('chevron-right');
    chevron.classList.add('chevron');
    const status = dom.text('span', LETTER[f.status], `file-status file-status-${f.status}`);
    status.setAttribute('title', f.status);
    const parts = [`+${f.added} −${f.removed}`];
    if (f.oldPath) parts.push(`${f.status} from ${f.oldPath}`);
    else if (f.status !== 'modified') parts.push(f.status);
    if (f.binary) parts.push('binary');
    if (f.diff === undefined) parts.push(view === 'interdiff' ? `large: ${f.lines} lines, see the full diff` : `large: ${f.lines} lines, loads when opened`);
    toggle.append(chevron, status, dom.path('span', f.path, 'file-path'), dom.text('span', parts.join(' · '), 'file-desc'));

    // A native button, not a vscode-button: one custom element (with its shadow root) per file
    // made a 3,000-file diff take seconds to open; this one is styled to match.
    const nativeDiff = dom.doc.createElement('button');
    nativeDiff.type = 'button';
    nativeDiff.className = 'open-diff';
    nativeDiff.append(dom.icon('diff'), dom.doc.createTextNode(' Open diff'));
    nativeDiff.setAttribute('aria-label', `Open ${f.path} in the diff editor`);
    nativeDiff.setAttribute('title', 'Open in VS Code’s diff editor');
    const m = this.state?.model;
    nativeDiff.disabled = !m?.sha || !m.baseSha || view !== 'full';
    nativeDiff.hidden = view !== 'full';
    nativeDiff.addEventListener('click', () => {
      if (!nativeDiff.disabled) this.actions.openNativeDiff(f.path);
    });
    head.append(toggle, nativeDiff);

    const body = dom.el('div', 'file-body');
    body.id = bodyId;
    el.append(head, body);

    const saved = view === 'full' ? this.state?.ui.expanded[f.path] : undefined;
    const open = saved ?? (f.diff !== undefined && f.lines <= collapseLines);
    const entry: FileEntry = { view: f, el, toggle, body, open, loading: false };
    if (f.diff !== undefined) entry.diff = f.diff;
    this.setOpen(entry, open, view);
    toggle.addEventListener('click', () => {
      const nowOpen = !entry.open;
      this.setOpen(entry, nowOpen, view);
      if (view === 'full') this.actions.expand([f.path], nowOpen);
    });
    return entry;
  }

  private setOpen(e: FileEntry, open: boolean, view: DiffView): void {
    e.open = open;
    e.toggle.setAttribute('aria-expanded', String(open));
    e.el.classList.toggle('open', open);
    e.body.hidden = !open;
    if (open) this.renderBody(e, view);
  }

  private setAllOpen(open: boolean): void {
    const paths: string[] = [];
    for (const e of this.files.values()) {
      // Expand all leaves held-back large files closed: each is opened on purpose.
      if (open && e.diff === undefined) continue;
      paths.push(e.view.path);
      this.setOpen(e, open, this.viewName);
    }
    if (this.viewName === 'full') this.actions.expand(paths, open);
  }

  /** Renders an open file's diff, asking the host for it first when it was held back. */
  private renderBody(e: FileEntry, view: DiffView = this.viewName): void {
    const s = this.state;
    if (!s) return;
    if (e.diff === undefined) {
      if (view === 'full' && !e.loading && s.model?.sha) {
        e.loading = true;
        e.body.replaceChildren(this.dom.text('p', `Loading ${e.view.lines} lines…`, 'muted loading'));
        this.actions.loadFile(e.view.path);
      } else if (view !== 'full') e.body.replaceChildren(this.dom.text('p', 'Too large to show here: open it in the full diff.', 'muted'));
      return;
    }
    const layout = effectiveLayout(s);
    if (e.renderedLayout === layout) return;
    const scroller = this.dom.el('div', 'diff-scroll');
    const diff = renderFileDiff(this.dom.doc, e.diff, layout).element;
    scroller.appendChild(diff);
    e.body.replaceChildren(scroller);
    tabStop(diff, e.view.path);
    e.renderedLayout = layout;
    if (view === 'full') this.placeComments(e);
  }

  // Line comments ------------------------------------------------------------------------------

  /** Shows the unsent comments of one file under their lines. */
  private placeComments(e: FileEntry): void {
    for (const old of e.body.querySelectorAll('.line-comment')) old.remove();
    const comments = this.state?.ui.comments ?? [];
    comments.forEach((c, index) => {
      if (c.path !== e.view.path) return;
      const row = e.body.querySelector(`.ln[data-side="${c.side}"][data-line="${c.line}"]`);
      const box = this.dom.el('div', 'line-comment');
      box.setAttribute('data-line', String(c.line));
      box.append(this.dom.icon('comment'), this.dom.text('span', ` ${c.body}`, 'line-comment-body'));
      const remove = this.dom.button('Remove', 'trash', true, () => this.actions.removeComment(index));
      remove.setAttribute('aria-label', `Remove the comment on line ${c.line}`);
      box.appendChild(remove);
      const anchor = row?.closest('.row') ?? row;
      if (anchor) anchor.after(box);
      else e.body.appendChild(box);
    });
  }

  private commentable(): boolean {
    const s = this.state;
    return !!s?.model?.canDecide && !!s.model.sha && this.viewName === 'full';
  }

  private onListClick(ev: Event): void {
    if (!this.commentable()) return;
    const target = ev.target as HTMLElement | null;
    const row = target?.closest?.('.ln[data-line]') as HTMLElement | null;
    if (!row) return;
    // Selecting text is not a request to comment.
    const sel = this.dom.doc.getSelection?.();
    if (sel && !sel.isCollapsed && sel.toString().length > 0) return;
    this.commentOn(row);
  }

  /** Opens the comment box under a diff line (a click, or C / Enter on the line cursor). */
  private commentOn(row: HTMLElement): void {
    if (!this.commentable()) return;
    const fileEl = row.closest('section.file');
    const path = fileEl?.getAttribute('data-path');
    const line = Number(row.getAttribute('data-line'));
    const side = row.getAttribute('data-side') === 'old' ? 'old' : 'new';
    if (!path || !Number.isSafeInteger(line) || line < 1) return;
    this.openEditor(row, { path, line, side, lineText: (row.textContent ?? '').slice(1) });
  }

  private openEditor(row: HTMLElement, at: Omit<LineComment, 'body'>): void {
    for (const old of this.listEl.querySelectorAll('.comment-editor')) old.remove();
    const dom = this.dom;
    const box = dom.el('div', 'comment-editor');
    const label = `Comment on ${at.path} ${at.side === 'old' ? 'removed line' : 'line'} ${at.line}`;
    box.appendChild(dom.text('p', label, 'muted'));
    const input = dom.doc.createElement('vscode-textarea') as HTMLElement & { value?: unknown };
    input.setAttribute('rows', '2');
    input.setAttribute('label', label);
    input.className = 'comment-input';
    // Back to the line the box is about (the keyboard user continues from there).
    const close = () => {
      box.remove();
      if (row.isConnected) moveCursor(row);
    };
    const submit = () => {
      const body = typeof input.value === 'string' ? input.value.trim() : '';
      if (!body) return;
      box.remove();
      this.actions.addComment({ ...at, body });
      if (row.isConnected) moveCursor(row);
    };
    const add = dom.button('Add comment (Ctrl+Enter)', 'add', false, submit);
    const cancel = dom.button('Cancel (Escape)', 'close', true, close);
    box.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') close();
      else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) submit();
      else return;
      ev.preventDefault();
      ev.stopPropagation();
    });
    const buttons = dom.el('div', 'buttons');
    buttons.append(add, cancel);
    box.append(input, buttons);
    (row.closest('.row') ?? row).after(box);
    // The component renders its inner <textarea> (where delegatesFocus sends the focus) after it
    // is attached: focus again once it has.
    input.focus();
    void (input as { updateComplete?: Promise<unknown> }).updateComplete?.then(() => {
      if (box.isConnected && !box.contains(this.dom.doc.activeElement)) input.focus();
    });
  }
}
